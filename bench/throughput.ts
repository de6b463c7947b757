/**
 * `npx tsx bench/throughput.ts [--events 5000] [--rounds 3] [--warm-up 2] [--in-flight 4]`: the local
 * pipeline's end-to-end rate against a floor measured in the same run, interleaved, after `--warm-up`
 * rounds of both that are not counted (each JVM's JIT needs a few rounds; the floor's, doing less work per
 * round, warms more slowly).
 *
 * - end to end: Campaign batches of 100 events of one type (the local run's mix) POSTed to the pipeline
 *   (the stack's handlers on DynamoDB Local, the stream driver, the SNS stand-in), `--in-flight` POSTs
 *   at a time as the traffic generator sends them, until every event is published;
 * - floor: DynamoDB Local writing the same items (the ingest's own classification, BatchWriteItem of 25,
 *   as many calls in flight as the ingest makes for those POSTs) into a table of the stack's shape, while
 *   a bare stream reader (GetRecords, nothing else) drains its stream, until every record is read. The
 *   floor's table is on a DynamoDB Local of its own: on one JVM, writes to every table but the first one
 *   written cost several times as much (measured: about 8x the CPU per BatchWriteItem), so a floor table
 *   next to the pipeline's would be measured on whichever table happened to be written first.
 *
 * Prints events/s of both per round and the median of the paired ratios, with the machine's load.
 */
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { createEventReader } from '../functions/ingest/event-reader.js';
import { classifyBatch } from '../functions/ingest/ingest-batch.js';
import { parseBatch } from '../functions/ingest/request-body.js';
import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../functions/shared/campaign-event-types.js';
import { parseConfig } from '../infra/config.js';
import { CampaignEventFactory } from '../local/campaign-simulator/event-factory.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { assemblePipeline, type Pipeline } from '../local/pipeline/assemble.js';
import { LOCAL_CREDENTIALS, startLocalServices } from '../local/pipeline/services.js';
import { createTable, eventTableModel } from '../local/pipeline/tables.js';
import { DEFAULT_MIX, POSTS_IN_FLIGHT } from '../local/run/traffic.js';
import { fixed, median, pairedRatio } from './statistics.js';

const BATCH = 100;
const CHUNK = 25;
const IDLE_POLL_MS = 20;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    'warm-up': { type: 'string', default: '2' },
    'in-flight': { type: 'string', default: String(POSTS_IN_FLIGHT) },
  },
});
const events = Number(values.events);
const inFlight = Number(values['in-flight']);

/** Batches of one type each, cycling through the mix by weight; fresh content per round. */
function campaignBatches(seed: number): string[] {
  const factory = new CampaignEventFactory({ seed });
  const types = DEFAULT_MIX.flatMap(([type, weight]) => Array<CampaignEventType>(weight).fill(type));
  return Array.from({ length: Math.ceil(events / BATCH) }, (_, index) =>
    JSON.stringify(factory.batch(BATCH, [types[(index * 7) % types.length] as CampaignEventType])),
  );
}

async function inParallel<T>(tasks: readonly T[], limit: number, run: (task: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) await run(tasks[next++] as T);
    }),
  );
}

async function endToEnd(pipeline: Pipeline, bodies: readonly string[]): Promise<number> {
  const publishedBefore = publishedCount(pipeline);
  const start = performance.now();
  await inParallel(bodies, inFlight, async (body) => {
    const answer = await pipeline.post(body);
    if (answer.status !== 200) throw new Error(`POST answered ${answer.status}`);
  });
  while (publishedCount(pipeline) - publishedBefore < events) await sleep(IDLE_POLL_MS);
  return events / ((performance.now() - start) / 1000);
}

/** Messages the event topics delivered (counted: `pipeline.published` keeps only the last ones per type). */
function publishedCount(pipeline: Pipeline): number {
  return Object.values(pipeline.counters.published).reduce((sum, count) => sum + count, 0);
}

/** The floor's table, written round after round like the pipeline's, and where its reader stopped. */
interface FloorTable {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly tableName: string;
  readonly streamArn: string;
  readonly iterators: Map<string, string | undefined>;
}

async function floorTable(dynamodbLocal: DynamoDbLocal, pipeline: Pipeline): Promise<FloorTable> {
  const options = {
    endpoint: dynamodbLocal.endpoint,
    region: pipeline.model.region,
    credentials: LOCAL_CREDENTIALS,
  };
  const dynamodb = new DynamoDBClient(options);
  const { streamArn } = await createTable(dynamodb, 'floor', eventTableModel(pipeline.model));
  if (streamArn === undefined) throw new Error('no stream');
  const table = { dynamodb, streams: new DynamoDBStreamsClient(options), tableName: 'floor', streamArn };
  return { ...table, iterators: new Map() };
}

async function floor(table: FloorTable, bodies: readonly string[]) {
  const read = createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES });
  const requests: WriteRequest[] = bodies.flatMap((body) => {
    const parsed = parseBatch(body, BATCH);
    if (!parsed.ok) throw new Error(parsed.rejection.message);
    const { entries } = classifyBatch(parsed.value, {
      read,
      receivedAt: new Date(),
      retentionDays: 1,
      bucket: 'large-events',
    });
    return entries.map((entry) => ({ PutRequest: { Item: entry.item.attributes } }));
  });
  const { dynamodb, tableName } = table;
  const chunks = Array.from({ length: Math.ceil(requests.length / CHUNK) }, (_, index) =>
    requests.slice(index * CHUNK, (index + 1) * CHUNK),
  );
  const start = performance.now();
  const drained = drain(table, requests.length);
  // The ingest writes a batch's 4 chunks at once: as many calls in flight as POSTs × 4.
  await inParallel(chunks, inFlight * (BATCH / CHUNK), async (chunk) => {
    let pending = chunk;
    while (pending.length > 0) {
      const output = await dynamodb.send(
        new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
      );
      pending = Object.values(output.UnprocessedItems ?? {})[0] ?? [];
    }
  });
  await drained;
  return requests.length / ((performance.now() - start) / 1000);
}

/** Reads every shard of the stream on from where it stopped until `count` more records are read. */
async function drain(table: FloorTable, count: number): Promise<void> {
  const { streams, streamArn, iterators } = table;
  let read = 0;
  let describe = true;
  while (read < count) {
    if (describe) await openShards(streams, streamArn, iterators);
    let found = 0;
    for (const [id, iterator] of iterators) {
      if (iterator === undefined) continue;
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      found += page.Records?.length ?? 0;
      iterators.set(id, page.NextShardIterator);
    }
    read += found;
    // New shards are looked for only when the known ones have nothing (DescribeStream is not free).
    describe = found === 0;
    if (found === 0) await sleep(IDLE_POLL_MS);
  }
}

async function openShards(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  iterators: Map<string, string | undefined>,
): Promise<void> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of StreamDescription?.Shards ?? []) {
    const id = shard.ShardId as string;
    if (iterators.has(id)) continue;
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: id, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    iterators.set(id, ShardIterator);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () => execSync('uptime').toString().trim();

const header = [`load before: ${load()}`];
const [services, floorDynamoDb] = await Promise.all([
  startLocalServices({ region: 'eu-central-1' }),
  startDynamoDbLocal(),
]);
const pipeline = await assemblePipeline({
  config: parseConfig({ stackName: 'bench-throughput', campaign: { clientIds: [100001] } }),
  services,
  region: services.region,
  environment: { POWERTOOLS_LOG_LEVEL: 'WARN' },
});
const table = await floorTable(floorDynamoDb, pipeline);
try {
  const samples = { pipeline: [] as number[], floor: [] as number[] };
  const warmUp = Number(values['warm-up']);
  for (let round = -warmUp; round < Number(values.rounds); round++) {
    const bodies = campaignBatches(1000 + warmUp + round);
    // Alternate which goes first, so neither always runs on a warmer (or busier) machine.
    const pipelineBodies = campaignBatches(2000 + warmUp + round);
    let rates: { pipeline: number; floor: number };
    if ((round + warmUp) % 2 === 0) {
      const floorRate = await floor(table, bodies);
      rates = { floor: floorRate, pipeline: await endToEnd(pipeline, pipelineBodies) };
    } else {
      const pipelineRate = await endToEnd(pipeline, pipelineBodies);
      rates = { pipeline: pipelineRate, floor: await floor(table, bodies) };
    }
    const label = round < 0 ? `warm-up ${round + warmUp + 1}` : `round ${round + 1}`;
    process.stderr.write(
      `${label}: pipeline ${fixed(rates.pipeline, 0)} events/s, floor ${fixed(rates.floor, 0)}\n`,
    );
    if (round < 0) continue;
    samples.pipeline.push(rates.pipeline);
    samples.floor.push(rates.floor);
  }
  header.push(`load after: ${load()}`);
  process.stdout.write(
    [
      ...header,
      '',
      `Local throughput, ${events} events per run in batches of ${BATCH}, ${inFlight} POSTs in flight, after ${warmUp} warm-up rounds:`,
      '',
      '| run | end to end events/s | floor events/s (DynamoDB Local writes + bare stream reader) | ratio |',
      '| --- | --- | --- | --- |',
      ...samples.pipeline.map(
        (rate, index) =>
          `| ${index + 1} | ${fixed(rate, 0)} | ${fixed(samples.floor[index] ?? 0, 0)} | ${fixed(rate / (samples.floor[index] ?? 1), 2)} |`,
      ),
      '',
      `Median: end to end ${fixed(median(samples.pipeline), 0)} events/s, floor ${fixed(median(samples.floor), 0)}; ratio ${fixed(pairedRatio(samples.pipeline, samples.floor), 2)}.`,
      '',
    ].join('\n'),
  );
} finally {
  table.dynamodb.destroy();
  table.streams.destroy();
  await pipeline.stop();
  await services.stop();
  await floorDynamoDb.stop();
}

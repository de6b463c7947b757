/**
 * Benchmark: AWS calls per batch of N events, and the CPU the ingest and fan-out code spend per event,
 * compared with a plain JSON.parse of the same batch (the floor any ingest has to pay).
 *
 * It runs the real handler code (middy chain, authentication, validation, key derivation, marshalling,
 * the event store and the publisher) with AWS clients replaced by counters that answer success at once,
 * so what is timed is this process's own CPU, not the network or a local emulator. CPU is measured with
 * process.cpuUsage() and reported as ratios within one run: on a shared machine absolute numbers drift,
 * ratios much less.
 *
 * Run: npm run bench   (options: --sizes 1,10,100,1000 --rounds 30)
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { BatchWriteItemCommand, BatchWriteItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PublishBatchCommand, PublishBatchCommandOutput } from '@aws-sdk/client-sns';
import type { APIGatewayProxyEvent, DynamoDBRecord } from 'aws-lambda';
import { fanOut } from '../functions/fan-out/fan-out.js';
import { createEndpointKeyVerifier } from '../functions/ingest/endpoint-keys.js';
import { createIngestHandler } from '../functions/ingest/ingest-handler.js';
import { CAMPAIGN_EVENT_TYPES } from '../functions/shared/campaign-event-types.js';
import { createEventStore } from '../functions/shared/event-store.js';
import { createPublisher } from '../functions/shared/publisher.js';
import { CampaignEventFactory } from '../local/campaign-simulator/event-factory.js';
import { createLambdaContext } from '../local/lambda-context.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i] ?? '', process.argv[i + 1] ?? '');
const sizes = (args.get('--sizes') ?? '1,10,100,1000').split(',').map(Number);
const rounds = Number(args.get('--rounds') ?? 30);

const HEADER = 'X-Campaign-Webhook-Key';
const SECRET_CACHE_SECONDS = 300;
const KEY = 'bench-endpoint-key-0123456789abcdefghijklmnopqrstuv';

/** Counts the AWS calls and answers each as fully successful. */
class CountingClients {
  batchWriteCalls = 0;
  publishBatchCalls = 0;
  secretReads = 0;
  readonly storedItems: NonNullable<BatchWriteItemCommand['input']['RequestItems']>[string] = [];

  readonly dynamodb = {
    send: async (command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput> => {
      this.batchWriteCalls++;
      for (const requests of Object.values(command.input.RequestItems ?? {}))
        this.storedItems.push(...requests);
      return { UnprocessedItems: {}, $metadata: {} };
    },
  };

  readonly sns = {
    send: async (command: PublishBatchCommand): Promise<PublishBatchCommandOutput> => {
      this.publishBatchCalls++;
      const entries = command.input.PublishBatchRequestEntries ?? [];
      return {
        Successful: entries.map((entry) => ({ Id: entry.Id, MessageId: entry.Id })),
        Failed: [],
        $metadata: {},
      };
    },
  };
}

function apiEvent(body: string): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/events',
    resource: '/events',
    body,
    isBase64Encoded: false,
    headers: { 'Content-Type': 'application/json', [HEADER]: KEY },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { identity: { sourceIp: '193.169.180.1' } } as APIGatewayProxyEvent['requestContext'],
  };
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function measure(label: string, times: number, run: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(5, times); i++) await run(); // warm up JIT and caches
  const start = cpuMicros();
  for (let i = 0; i < times; i++) await run();
  const micros = (cpuMicros() - start) / times;
  if (!Number.isFinite(micros)) throw new Error(`no measurement for ${label}`);
  return micros;
}

/**
 * Campaign sends one type per webhook, so a real batch holds one type ("single"); "mixed" (all 12 types
 * in one batch) is the worst case for the fan-out, which publishes per type.
 */
const SCENARIOS = { single: ['bounce'], mixed: CAMPAIGN_EVENT_TYPES } as const;

async function benchSize(size: number, scenario: keyof typeof SCENARIOS) {
  const factory = new CampaignEventFactory({ seed: size });
  const body = JSON.stringify(factory.batch(size, SCENARIOS[scenario]));
  const clients = new CountingClients();
  const secretsClient = new SecretsManagerClient({});
  secretsClient.send = (async () => {
    clients.secretReads++;
    return { SecretString: JSON.stringify({ current: KEY, previous: '' }), $metadata: {} };
  }) as typeof secretsClient.send;
  const secrets = new SecretsProvider({ awsSdkV3Client: secretsClient });
  const handler = createIngestHandler({
    config: {
      tableName: 'bench',
      endpointKeySecretId: 'bench',
      authHeaderName: HEADER,
      maxBodyBytes: 5_000_000,
      maxEventsPerBatch: 10_000,
      retentionDays: 30,
      eventTypes: CAMPAIGN_EVENT_TYPES,
    },
    logger: new Logger(),
    metrics: new Metrics(),
    store: createEventStore({ client: clients.dynamodb, tableName: 'bench' }),
    keyVerifier: createEndpointKeyVerifier({
      // The production loader: Powertools getSecret with its cache, over a counting client.
      load: ({ forceFetch }) =>
        secrets.get('bench', { transform: 'json', maxAge: SECRET_CACHE_SECONDS, forceFetch }),
    }),
  });
  const invoke = async () => {
    // A fresh context per call, as Lambda gives: the handler derives its storage deadline from it.
    const response = await handler(apiEvent(body), createLambdaContext());
    if (response.statusCode !== 200)
      throw new Error(`ingest answered ${response.statusCode}: ${response.body}`);
  };

  // One invocation, counted alone: the AWS calls a single batch costs on a warm function.
  await invoke(); // cold: reads the secret once
  const coldSecretReads = clients.secretReads;
  clients.batchWriteCalls = 0;
  clients.secretReads = 0;
  clients.storedItems.length = 0;
  await invoke();
  const batchWrites = clients.batchWriteCalls;
  const warmSecretReads = clients.secretReads;

  const records: DynamoDBRecord[] = clients.storedItems.map((request, index) => ({
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      NewImage: request.PutRequest?.Item as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
      SequenceNumber: String(1000 + index),
      StreamViewType: 'NEW_IMAGE',
    },
  }));
  const topicArns = new Map(
    CAMPAIGN_EVENT_TYPES.map((type) => [type, `arn:aws:sns:eu-central-1:0:bench-${type}`]),
  );
  const publisher = createPublisher({ client: clients.sns });
  clients.publishBatchCalls = 0;
  const fanOutResult = await fanOut(records, { publisher, topicArns });
  const publishBatches = clients.publishBatchCalls;
  if (fanOutResult.failures.length > 0) throw new Error('fan-out failed in the benchmark');

  const times = Math.max(3, Math.round((rounds * 1000) / Math.max(size, 10)));
  const parseMicros = await measure('JSON.parse', times * 5, () => JSON.parse(body));
  const ingestMicros = await measure('ingest', times, invoke);
  const fanOutMicros = await measure('fan-out', times, () => fanOut(records, { publisher, topicArns }));

  return {
    scenario,
    size,
    bodyKiB: Math.round(Buffer.byteLength(body) / 102.4) / 10,
    batchWrites,
    publishBatches,
    coldSecretReads,
    warmSecretReads,
    awsCallsWarm: batchWrites + publishBatches + warmSecretReads,
    parseMicrosPerEvent: parseMicros / size,
    ingestMicrosPerEvent: ingestMicros / size,
    fanOutMicrosPerEvent: fanOutMicros / size,
  };
}

const results = [];
for (const scenario of ['single', 'mixed'] as const) {
  for (const size of sizes) results.push(await benchSize(size, scenario));
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);
console.log(
  `Node ${process.version}, ${process.arch}; CPU per event = process.cpuUsage over repeated runs\n`,
);
console.log(
  [
    'batch types',
    'events',
    'body KiB',
    'BatchWriteItem',
    'PublishBatch',
    'secret reads (cold/warm)',
    'AWS calls/batch (warm)',
    'calls per 100 events',
    'JSON.parse µs/event',
    'ingest µs/event',
    'ingest ÷ parse',
    'fan-out µs/event',
    'fan-out ÷ parse',
  ].join(' | '),
);
for (const r of results) {
  console.log(
    [
      r.scenario,
      r.size,
      r.bodyKiB,
      r.batchWrites,
      r.publishBatches,
      `${r.coldSecretReads}/${r.warmSecretReads}`,
      r.awsCallsWarm,
      fixed((r.awsCallsWarm / r.size) * 100),
      fixed(r.parseMicrosPerEvent, 2),
      fixed(r.ingestMicrosPerEvent),
      `${fixed(r.ingestMicrosPerEvent / r.parseMicrosPerEvent)}x`,
      fixed(r.fanOutMicrosPerEvent),
      `${fixed(r.fanOutMicrosPerEvent / r.parseMicrosPerEvent)}x`,
    ].join(' | '),
  );
}

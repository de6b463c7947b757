import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  BatchInvoker,
  type InvocationLogEntry,
  type InvocationRecords,
  type StreamDriverStats,
} from './stream/batch-invoker.js';
import { IdleWaiters } from './stream/idle-waiters.js';
import type { OnFailureMessage } from './stream/on-failure-message.js';
import { ShardReader } from './stream/shards.js';

export interface StreamDriverOptions {
  dynamoEndpoint: string;
  streamArn: string;
  /** The Lambda handler; it gets a fresh Lambda Context per invocation (a one-argument handler is fine). */
  // biome-ignore lint/suspicious/noConfusingVoidType: handlers without a partial batch response return Promise<void>
  handler: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;
  /** Like event source mapping filter criteria: records it rejects never reach the handler (counted in stats.filtered). */
  filter?: (record: DynamoDBRecord) => boolean;
  /** Most records per invocation (GetRecords returns at most 1000). @default 100 */
  batchSize?: number;
  /** Retries of a failing batch before its records are parked (the on-failure destination); -1 retries forever, like Lambda. @default 2 */
  maxRetries?: number;
  /** Split a batch whose invocation fails (throws) in two and retry each half; splitting uses no retry. @default true */
  bisectOnError?: boolean;
  /** Pause between polls that found nothing. @default 100 */
  pollIntervalMs?: number;
  /** Honour batchItemFailures in the handler's response (ReportBatchItemFailures). @default true, like the stack */
  reportBatchItemFailures?: boolean;
  /** Where shards that exist at start are read from; shards created later are read from their start. @default 'TRIM_HORIZON' */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** An invocation running longer than this fails as "Task timed out" (the handler is not interrupted). @default 60_000, the fan-out's timeout */
  timeoutMs?: number;
  /** `awsRegion` of the records (DynamoDB Local reports "ddblocal"). @default process.env.AWS_REGION, else eu-central-1 */
  region?: string;
  /** Name in the Lambda Context. @default 'local-stream-consumer' */
  functionName?: string;
  /**
   * Records older than this (by ApproximateCreationDateTime) go to the on-failure destination before an
   * invocation, as the mapping's MaximumRecordAgeInSeconds does. @default -1 (no limit)
   */
  maxRecordAgeMs?: number;
  /** Called with each batch given up on (what Lambda sends to the on-failure destination), after it is recorded. */
  onParked?: (message: OnFailureMessage, records: readonly DynamoDBRecord[]) => void;
  /** A Streams client to use instead of one built for dynamoEndpoint (tests simulate shard splits with it). */
  streamsClient?: Pick<DynamoDBStreamsClient, 'send' | 'destroy'>;
}

export type { InvocationLogEntry, StreamDriverStats } from './stream/batch-invoker.js';
export type { OnFailureMessage } from './stream/on-failure-message.js';

export interface StreamDriver {
  /**
   * Resolves when everything written to the table before the call has been handled: a full poll of every
   * shard that started after the call found no new records, with no handler running. Rejects after
   * `timeoutMs` (default 30 s) with what is still pending, or when the driver is stopped.
   */
  waitUntilIdle(timeoutMs?: number): Promise<void>;
  /** Records given up on after the retries (the stack's on-failure destination), in order. */
  parked: DynamoDBRecord[];
  /** One message per parked batch, shaped like Lambda's on-failure destination record. */
  onFailureMessages: OnFailureMessage[];
  stats: StreamDriverStats;
  /** The last 1000 invocations, oldest first. */
  invocations: InvocationLogEntry[];
  /** Errors from the Streams API (the driver keeps polling through them); the last 100. */
  streamErrors: unknown[];
  /** Stops polling, waits for a running invocation to finish, and rejects pending waitUntilIdle calls. */
  stop(): Promise<void>;
}

const ERROR_LOG_LIMIT = 100;

/**
 * Polls a table's DynamoDB stream and invokes a handler the way Lambda's event source mapping does:
 * Lambda-shaped records, batches in stream order per shard, filter criteria, partial batch responses
 * (ReportBatchItemFailures), bisect on error, retries, and parking of what still fails. Shards are
 * followed as they close and new ones open (a child shard is read once its parent is finished).
 */
export function startStreamDriver(opts: StreamDriverOptions): StreamDriver {
  const settings = driverSettings(opts);
  const ownClient = opts.streamsClient === undefined;
  const client = opts.streamsClient ?? localStreamsClient(opts.dynamoEndpoint, settings.region);
  const records: InvocationRecords = {
    stats: { received: 0, filtered: 0, processed: 0, parked: 0, invocations: 0, retries: 0, bisections: 0 },
    parked: [],
    onFailureMessages: [],
    invocations: [],
  };
  const streamErrors: unknown[] = [];
  const idle = new IdleWaiters();
  const pause = interruptiblePause();
  let stopped = false;
  const isStopped = () => stopped;
  const invoker = new BatchInvoker({ ...settings, streamArn: opts.streamArn, isStopped }, records);
  const shards = new ShardReader({
    ...settings,
    client,
    streamArn: opts.streamArn,
    stats: records.stats,
    handleBatch: (batch, shardId) => invoker.handleBatch(batch, shardId),
    isStopped,
  });

  async function run(): Promise<void> {
    while (!stopped) {
      idle.startRound();
      const round = await pollRound(shards, streamErrors);
      if (stopped) break;
      if (round === 'idle') idle.roundWasIdle();
      // Poll again at once while there is work; pause when the stream is drained or failing.
      if (round !== 'busy') await pause.sleep(settings.pollIntervalMs);
    }
  }

  const describePending = () =>
    describeDriver({ invoker, stats: records.stats, shards, idle, lastError: streamErrors.at(-1) });
  const loop = run();

  return {
    ...records,
    streamErrors,
    waitUntilIdle(waitTimeoutMs = 30_000) {
      if (stopped) return Promise.reject(new Error('The stream driver is stopped'));
      return idle.wait(waitTimeoutMs, describePending);
    },
    async stop() {
      if (stopped) return loop;
      stopped = true;
      pause.wake();
      await loop;
      idle.rejectAll('The stream driver was stopped before it was idle');
      if (ownClient) client.destroy();
    },
  };
}

/** One poll of every shard: busy when it read or found anything, failed when the Streams API failed. */
async function pollRound(shards: ShardReader, streamErrors: unknown[]): Promise<'idle' | 'busy' | 'failed'> {
  try {
    const listedNew = await shards.refresh();
    const read = await shards.pollAll();
    return listedNew || read ? 'busy' : 'idle';
  } catch (error) {
    streamErrors.push(error);
    if (streamErrors.length > ERROR_LOG_LIMIT) streamErrors.shift();
    return 'failed';
  }
}

/** A sleep that stop() can cut short. */
function interruptiblePause() {
  let wake: () => void = () => {};
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wake(),
  };
}

/** The options with their defaults, checked. */
function driverSettings(opts: StreamDriverOptions) {
  const settings = {
    handler: opts.handler,
    filter: opts.filter,
    onParked: opts.onParked,
    startingPosition: opts.startingPosition,
    batchSize: opts.batchSize ?? 100,
    maxRetries: opts.maxRetries ?? 2,
    maxRecordAgeMs: opts.maxRecordAgeMs ?? -1,
    bisectOnError: opts.bisectOnError ?? true,
    pollIntervalMs: opts.pollIntervalMs ?? 100,
    reportBatchItemFailures: opts.reportBatchItemFailures ?? true,
    timeoutMs: opts.timeoutMs ?? 60_000,
    region: opts.region ?? process.env.AWS_REGION ?? 'eu-central-1',
    functionName: opts.functionName ?? 'local-stream-consumer',
  };
  if (!Number.isInteger(settings.batchSize) || settings.batchSize < 1)
    throw new Error(`batchSize must be >= 1, got ${settings.batchSize}`);
  if (!Number.isInteger(settings.maxRetries) || settings.maxRetries < -1) {
    throw new Error(`maxRetries must be -1 (forever) or a non-negative integer, got ${settings.maxRetries}`);
  }
  return settings;
}

function localStreamsClient(endpoint: string, region: string): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    endpoint,
    region,
    // DynamoDB Local accepts any credentials; fall back to fake ones when the environment has none.
    ...(process.env.AWS_ACCESS_KEY_ID
      ? {}
      : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  });
}

/** What a waitUntilIdle that timed out reports: what is running, waiting, counted, and the shards. */
function describeDriver(state: {
  invoker: BatchInvoker;
  stats: StreamDriverStats;
  shards: ShardReader;
  idle: IdleWaiters;
  lastError: unknown;
}): string {
  const { invoker, stats } = state;
  const parts: string[] = [];
  if (invoker.inFlight) {
    const { records, retry } = invoker.inFlight;
    const seqs = records.map((record) => record.dynamodb?.SequenceNumber);
    parts.push(
      `handler running on ${records.length} record(s) (sequence ${seqs[0]}..${seqs.at(-1)}, retry ${retry})`,
    );
  } else {
    parts.push('no handler running');
  }
  if (invoker.awaitingRetry > 0)
    parts.push(`${invoker.awaitingRetry} record(s) of the current batch awaiting retry`);
  parts.push(
    `${stats.received} received, ${stats.processed} processed, ${stats.parked} parked, ${stats.filtered} filtered`,
  );
  parts.push(state.shards.describe());
  if (state.lastError !== undefined) parts.push(`last stream error: ${String(state.lastError)}`);
  parts.push(state.idle.describe());
  return parts.join('; ');
}

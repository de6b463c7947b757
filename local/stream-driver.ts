import { randomUUID } from 'node:crypto';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createLambdaContext, withLambdaTimeout } from './lambda-context.js';
import { lambdaRecordFromWire, sendForWireJson } from './wire-json.js';

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
  /** Called with each batch given up on (what Lambda sends to the on-failure destination), after it is recorded. */
  onParked?: (message: OnFailureMessage, records: readonly DynamoDBRecord[]) => void;
  /** A Streams client to use instead of one built for dynamoEndpoint (tests simulate shard splits with it). */
  streamsClient?: Pick<DynamoDBStreamsClient, 'send' | 'destroy'>;
}

export interface StreamDriverStats {
  /** Records read from the stream. */
  received: number;
  /** Records rejected by `filter`. */
  filtered: number;
  /** Records the handler has completed (successfully, in the end). */
  processed: number;
  parked: number;
  invocations: number;
  retries: number;
  bisections: number;
}

export interface InvocationLogEntry {
  sequenceNumbers: string[];
  /** Retries this batch had used when it was invoked (bisected halves inherit their parent's count). */
  retry: number;
  outcome: 'success' | 'partial-failure' | 'error';
  /** The lowest sequence number reported in batchItemFailures, for a partial failure. */
  checkpoint?: string;
  error?: unknown;
}

/** What Lambda sends to an on-failure destination for a DynamoDB stream batch it gives up on. */
export interface OnFailureMessage {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

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

const MAX_GET_RECORDS = 1000;
const LOG_LIMIT = 1000;
const ERROR_LOG_LIMIT = 100;

interface ShardState {
  id: string;
  parentId?: string;
  /** Existed when the driver started (startingPosition applies to these only). */
  initial: boolean;
  iterator?: string;
  /** Sequence number of the last record handled (processed, parked or filtered). */
  checkpoint?: string;
  finished: boolean;
}

type Outcome =
  | { kind: 'success' }
  | { kind: 'partial-failure'; fromIndex: number; checkpoint: string }
  | { kind: 'error'; error: unknown };

/**
 * Polls a table's DynamoDB stream and invokes a handler the way Lambda's event source mapping does:
 * Lambda-shaped records, batches in stream order per shard, filter criteria, partial batch responses
 * (ReportBatchItemFailures), bisect on error, retries, and parking of what still fails. Shards are
 * followed as they close and new ones open (a child shard is read once its parent is finished).
 */
export function startStreamDriver(opts: StreamDriverOptions): StreamDriver {
  const batchSize = opts.batchSize ?? 100;
  const maxRetries = opts.maxRetries ?? 2;
  const bisectOnError = opts.bisectOnError ?? true;
  const pollIntervalMs = opts.pollIntervalMs ?? 100;
  const reportBatchItemFailures = opts.reportBatchItemFailures ?? true;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const region = opts.region ?? process.env.AWS_REGION ?? 'eu-central-1';
  const functionName = opts.functionName ?? 'local-stream-consumer';
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be >= 1, got ${batchSize}`);
  if (!Number.isInteger(maxRetries) || maxRetries < -1) {
    throw new Error(`maxRetries must be -1 (forever) or a non-negative integer, got ${maxRetries}`);
  }

  const ownClient = opts.streamsClient === undefined;
  const client =
    opts.streamsClient ??
    new DynamoDBStreamsClient({
      endpoint: opts.dynamoEndpoint,
      region,
      // DynamoDB Local accepts any credentials; fall back to fake ones when the environment has none.
      ...(process.env.AWS_ACCESS_KEY_ID
        ? {}
        : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    });

  const shards = new Map<string, ShardState>();
  const parked: DynamoDBRecord[] = [];
  const onFailureMessages: OnFailureMessage[] = [];
  const invocations: InvocationLogEntry[] = [];
  const streamErrors: unknown[] = [];
  const stats: StreamDriverStats = {
    received: 0,
    filtered: 0,
    processed: 0,
    parked: 0,
    invocations: 0,
    retries: 0,
    bisections: 0,
  };
  let stopped = false;
  let shardsListedOnce = false;
  let round = 0;
  let lastIdleRound = 0;
  let inFlight: { records: DynamoDBRecord[]; retry: number } | undefined;
  let awaitingRetry = 0;
  let wake: () => void = () => {};
  const waiters = new Set<{ target: number; resolve: () => void; reject: (error: Error) => void }>();

  // ---- the stream ----

  async function refreshShards(): Promise<boolean> {
    let changed = false;
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await client.send(
        new DescribeStreamCommand({
          StreamArn: opts.streamArn,
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || shards.has(shard.ShardId)) continue;
        const state: ShardState = { id: shard.ShardId, initial: !shardsListedOnce, finished: false };
        if (shard.ParentShardId) state.parentId = shard.ParentShardId;
        shards.set(shard.ShardId, state);
        changed = true;
      }
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    shardsListedOnce = true;
    return changed;
  }

  function readable(shard: ShardState): boolean {
    if (shard.finished) return false;
    const parent = shard.parentId === undefined ? undefined : shards.get(shard.parentId);
    return parent === undefined || parent.finished;
  }

  async function iteratorFor(shard: ShardState): Promise<string | undefined> {
    let type: ShardIteratorType = 'TRIM_HORIZON';
    if (shard.checkpoint !== undefined) type = 'AFTER_SEQUENCE_NUMBER';
    else if (shard.initial && opts.startingPosition === 'LATEST') type = 'LATEST';
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamArn: opts.streamArn,
        ShardId: shard.id,
        ShardIteratorType: type,
        SequenceNumber: shard.checkpoint,
      }),
    );
    return ShardIterator;
  }

  /** Reads one batch from a shard and handles it; returns how many records the stream gave. */
  async function pollShard(shard: ShardState): Promise<{ records: number; changed: boolean }> {
    if (shard.iterator === undefined) {
      shard.iterator = await iteratorFor(shard);
      if (shard.iterator === undefined) {
        shard.finished = true;
        return { records: 0, changed: true };
      }
    }
    let result: { Records?: Parameters<typeof lambdaRecordFromWire>[0][]; NextShardIterator?: string };
    try {
      const command = new GetRecordsCommand({
        ShardIterator: shard.iterator,
        Limit: Math.min(batchSize, MAX_GET_RECORDS),
      });
      // Read from the wire: the SDK's deserializer loses `__proto__` members of stored events.
      result = (await sendForWireJson(client, command)).wire as typeof result;
    } catch (error) {
      if (error instanceof ExpiredIteratorException) {
        shard.iterator = undefined;
        return { records: 0, changed: true };
      }
      if (error instanceof TrimmedDataAccessException) {
        // The checkpoint fell out of the stream's retention: continue from the oldest record still there.
        shard.iterator = undefined;
        shard.checkpoint = undefined;
        return { records: 0, changed: true };
      }
      throw error;
    }
    const records = (result.Records ?? []).map((record) =>
      lambdaRecordFromWire(record, opts.streamArn, region),
    );
    stats.received += records.length;
    const matching = opts.filter ? records.filter(opts.filter) : records;
    stats.filtered += records.length - matching.length;
    if (matching.length > 0) await handleBatch(matching, shard.id);
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last !== undefined) shard.checkpoint = last;
    if (stopped) return { records: records.length, changed: false };
    shard.iterator = result.NextShardIterator;
    if (result.NextShardIterator === undefined || result.NextShardIterator === null) {
      shard.finished = true; // closed and read to its end
      return { records: records.length, changed: true };
    }
    return { records: records.length, changed: false };
  }

  // ---- invoking the handler the way the event source mapping does ----

  async function handleBatch(records: DynamoDBRecord[], shardId: string): Promise<void> {
    const work: Array<{ records: DynamoDBRecord[]; retry: number; invokes: number }> = [
      { records, retry: 0, invokes: 0 },
    ];
    const exhausted = (retries: number) => maxRetries >= 0 && retries > maxRetries;
    while (work.length > 0 && !stopped) {
      const batch = work.shift() as (typeof work)[number];
      awaitingRetry = work.reduce((sum, item) => sum + item.records.length, 0);
      const outcome = await invoke(batch.records, batch.retry);
      const invokes = batch.invokes + 1;
      if (outcome.kind === 'success') {
        stats.processed += batch.records.length;
        continue;
      }
      if (outcome.kind === 'partial-failure') {
        // Records before the lowest reported failure are done; retry from there.
        stats.processed += outcome.fromIndex;
        const rest = batch.records.slice(outcome.fromIndex);
        if (exhausted(batch.retry + 1)) park(rest, shardId, invokes, undefined);
        else {
          stats.retries++;
          work.unshift({ records: rest, retry: batch.retry + 1, invokes });
        }
        continue;
      }
      if (bisectOnError && batch.records.length > 1) {
        stats.bisections++;
        const middle = Math.ceil(batch.records.length / 2);
        work.unshift(
          { records: batch.records.slice(0, middle), retry: batch.retry, invokes: 0 },
          { records: batch.records.slice(middle), retry: batch.retry, invokes: 0 },
        );
      } else if (exhausted(batch.retry + 1)) {
        park(batch.records, shardId, invokes, 'Unhandled');
      } else {
        stats.retries++;
        work.unshift({ records: batch.records, retry: batch.retry + 1, invokes });
      }
    }
    awaitingRetry = 0;
  }

  async function invoke(records: DynamoDBRecord[], retry: number): Promise<Outcome> {
    stats.invocations++;
    inFlight = { records, retry };
    const entry: InvocationLogEntry = {
      sequenceNumbers: records.map((record) => record.dynamodb?.SequenceNumber ?? ''),
      retry,
      outcome: 'success',
    };
    let outcome: Outcome;
    try {
      const event: DynamoDBStreamEvent = { Records: structuredClone(records) };
      const context = createLambdaContext({ functionName, timeoutMs, region });
      const response = await withLambdaTimeout(opts.handler(event, context), timeoutMs);
      outcome = reportBatchItemFailures ? interpretResponse(response, records) : { kind: 'success' };
    } catch (error) {
      outcome = { kind: 'error', error };
    } finally {
      inFlight = undefined;
    }
    entry.outcome = outcome.kind;
    if (outcome.kind === 'partial-failure') entry.checkpoint = outcome.checkpoint;
    if (outcome.kind === 'error') entry.error = outcome.error;
    invocations.push(entry);
    if (invocations.length > LOG_LIMIT) invocations.shift();
    return outcome;
  }

  function park(records: DynamoDBRecord[], shardId: string, invokeCount: number, functionError?: string) {
    parked.push(...records);
    stats.parked += records.length;
    const first = records[0]?.dynamodb;
    const last = records.at(-1)?.dynamodb;
    const arrival = (seconds: number | undefined) =>
      new Date((seconds ?? Date.now() / 1000) * 1000).toISOString();
    onFailureMessages.push({
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: invokeCount,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(functionError ? { functionError } : {}),
      },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first?.SequenceNumber ?? '',
        endSequenceNumber: last?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: arrival(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: arrival(last?.ApproximateCreationDateTime),
        batchSize: records.length,
        streamArn: opts.streamArn,
      },
    });
    opts.onParked?.(onFailureMessages.at(-1) as OnFailureMessage, records);
  }

  // ---- the polling loop ----

  async function run(): Promise<void> {
    while (!stopped) {
      round++;
      let idle = true;
      let failed = false;
      try {
        if (await refreshShards()) idle = false;
        for (const shard of [...shards.values()]) {
          if (stopped) break;
          if (!readable(shard)) continue;
          const polled = await pollShard(shard);
          if (polled.records > 0 || polled.changed) idle = false;
        }
      } catch (error) {
        idle = false;
        failed = true;
        streamErrors.push(error);
        if (streamErrors.length > ERROR_LOG_LIMIT) streamErrors.shift();
      }
      if (stopped) break;
      if (idle) {
        lastIdleRound = round;
        for (const waiter of waiters) if (waiter.target <= round) waiter.resolve();
      }
      // Poll again at once while there is work; pause when the stream is drained or failing.
      if (idle || failed) await pause(pollIntervalMs);
    }
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  function describePending(): string {
    const parts: string[] = [];
    if (inFlight) {
      const seqs = inFlight.records.map((record) => record.dynamodb?.SequenceNumber);
      parts.push(
        `handler running on ${inFlight.records.length} record(s) (sequence ${seqs[0]}..${seqs.at(-1)}, retry ${inFlight.retry})`,
      );
    } else {
      parts.push('no handler running');
    }
    if (awaitingRetry > 0) parts.push(`${awaitingRetry} record(s) of the current batch awaiting retry`);
    parts.push(
      `${stats.received} received, ${stats.processed} processed, ${stats.parked} parked, ${stats.filtered} filtered`,
    );
    const shardStates = [...shards.values()].map(
      (shard) =>
        `${shard.id} ${shard.finished ? 'finished' : readable(shard) ? 'open' : 'waiting for its parent'}`,
    );
    parts.push(`shards: ${shardStates.join(', ') || 'none listed yet'}`);
    const lastError = streamErrors.at(-1);
    if (lastError !== undefined) parts.push(`last stream error: ${String(lastError)}`);
    parts.push(
      lastIdleRound === 0 ? 'no idle poll yet' : `last idle poll was round ${lastIdleRound} of ${round}`,
    );
    return parts.join('; ');
  }

  const loop = run();

  return {
    parked,
    onFailureMessages,
    stats,
    invocations,
    streamErrors,
    waitUntilIdle(waitTimeoutMs = 30_000) {
      if (stopped) return Promise.reject(new Error('The stream driver is stopped'));
      // Only a poll that starts after this call can have seen every record written before it.
      const target = round + 1;
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          target,
          resolve: () => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
          reject: (error: Error) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(error);
          },
        };
        const timer = setTimeout(
          () =>
            waiter.reject(
              new Error(`Stream driver not idle after ${waitTimeoutMs} ms: ${describePending()}`),
            ),
          waitTimeoutMs,
        );
        waiters.add(waiter);
      });
    },
    async stop() {
      if (stopped) return loop;
      stopped = true;
      wake();
      await loop;
      for (const waiter of waiters)
        waiter.reject(new Error('The stream driver was stopped before it was idle'));
      if (ownClient) client.destroy();
    },
  };
}

/**
 * Lambda's reading of a handler response under ReportBatchItemFailures: no response, no or an empty
 * batchItemFailures list is a success; an identifier that is missing, empty or not in the batch makes the
 * whole batch a failure; otherwise the batch is retried from the lowest reported sequence number.
 */
function interpretResponse(response: unknown, records: DynamoDBRecord[]): Outcome {
  if (response === undefined || response === null) return { kind: 'success' };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return {
      kind: 'error',
      error: new Error(`Invalid batch response (not an object): ${JSON.stringify(response)}`),
    };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'error', error: new Error('Invalid batch response: batchItemFailures is not a list') };
  }
  if (failures.length === 0) return { kind: 'success' };
  const indexBySequence = new Map(records.map((record, index) => [record.dynamodb?.SequenceNumber, index]));
  let fromIndex = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index =
      typeof identifier === 'string' && identifier !== '' ? indexBySequence.get(identifier) : undefined;
    if (index === undefined) {
      return {
        kind: 'error',
        error: new Error(
          `Invalid batch response: itemIdentifier ${JSON.stringify(identifier)} is not a sequence number of this batch`,
        ),
      };
    }
    fromIndex = Math.min(fromIndex, index);
  }
  const checkpoint = records[fromIndex]?.dynamodb?.SequenceNumber as string;
  return { kind: 'partial-failure', fromIndex, checkpoint };
}

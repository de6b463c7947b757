import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createLambdaContext, withLambdaTimeout } from '../lambda-context.js';
import { interpretResponse, type Outcome } from './batch-response.js';
import { type OnFailureMessage, onFailureMessage } from './on-failure-message.js';

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

export interface BatchInvokerSettings {
  // biome-ignore lint/suspicious/noConfusingVoidType: handlers without a partial batch response return Promise<void>
  readonly handler: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;
  /** -1 retries forever. */
  readonly maxRetries: number;
  /** Records older than this are parked (RecordAgeExceeded) instead of invoked; -1: no limit. */
  readonly maxRecordAgeMs: number;
  readonly bisectOnError: boolean;
  readonly reportBatchItemFailures: boolean;
  readonly timeoutMs: number;
  readonly region: string;
  readonly functionName: string;
  readonly streamArn: string;
  readonly onParked?: (message: OnFailureMessage, records: readonly DynamoDBRecord[]) => void;
  readonly isStopped: () => boolean;
}

/** What the driver shows of its invocations (the arrays are the driver's public ones). */
export interface InvocationRecords {
  readonly stats: StreamDriverStats;
  readonly parked: DynamoDBRecord[];
  readonly onFailureMessages: OnFailureMessage[];
  readonly invocations: InvocationLogEntry[];
}

const LOG_LIMIT = 1000;

interface PendingBatch {
  readonly records: DynamoDBRecord[];
  readonly retry: number;
  readonly invokes: number;
}

/**
 * Invokes the handler on a stream batch the way the event source mapping does: partial batch responses
 * (ReportBatchItemFailures), bisect on error, retries, and parking of what still fails.
 */
export class BatchInvoker {
  /** The batch whose invocation is running, if any. */
  inFlight: { records: DynamoDBRecord[]; retry: number } | undefined;
  /** Records of the current batch waiting for a retry. */
  awaitingRetry = 0;

  constructor(
    private readonly settings: BatchInvokerSettings,
    private readonly records: InvocationRecords,
  ) {}

  async handleBatch(records: DynamoDBRecord[], shardId: string): Promise<void> {
    const work: PendingBatch[] = [{ records, retry: 0, invokes: 0 }];
    while (work.length > 0 && !this.settings.isStopped()) {
      const batch = work.shift() as PendingBatch;
      this.awaitingRetry = work.reduce((sum, item) => sum + item.records.length, 0);
      const expired = this.expiredHead(batch.records);
      if (expired > 0) {
        const records = batch.records.slice(0, expired);
        this.park({ records, shardId, invokeCount: batch.invokes, condition: 'RecordAgeExceeded' });
        if (expired < batch.records.length) work.unshift({ ...batch, records: batch.records.slice(expired) });
        continue;
      }
      const outcome = await this.invoke(batch.records, batch.retry);
      work.unshift(...this.next(batch, outcome, shardId));
    }
    this.awaitingRetry = 0;
  }

  /** What is left to invoke of `batch` after `outcome` (parking what ran out of retries). */
  private next(batch: PendingBatch, outcome: Outcome, shardId: string): PendingBatch[] {
    const { stats } = this.records;
    const invokes = batch.invokes + 1;
    const { maxRetries } = this.settings;
    const exhausted = (retries: number) => maxRetries >= 0 && retries > maxRetries;
    if (outcome.kind === 'success') {
      stats.processed += batch.records.length;
      return [];
    }
    if (outcome.kind === 'partial-failure') {
      // Records before the lowest reported failure are done; retry from there.
      stats.processed += outcome.fromIndex;
      const rest = batch.records.slice(outcome.fromIndex);
      if (exhausted(batch.retry + 1)) {
        this.park({ records: rest, shardId, invokeCount: invokes });
        return [];
      }
      stats.retries++;
      return [{ records: rest, retry: batch.retry + 1, invokes }];
    }
    if (this.settings.bisectOnError && batch.records.length > 1) {
      stats.bisections++;
      const middle = Math.ceil(batch.records.length / 2);
      return [
        { records: batch.records.slice(0, middle), retry: batch.retry, invokes: 0 },
        { records: batch.records.slice(middle), retry: batch.retry, invokes: 0 },
      ];
    }
    if (exhausted(batch.retry + 1)) {
      this.park({ records: batch.records, shardId, invokeCount: invokes, functionError: 'Unhandled' });
      return [];
    }
    stats.retries++;
    return [{ records: batch.records, retry: batch.retry + 1, invokes }];
  }

  /** How many records at the head of the batch are past the maximum record age. */
  private expiredHead(records: readonly DynamoDBRecord[]): number {
    const { maxRecordAgeMs } = this.settings;
    if (maxRecordAgeMs < 0) return 0;
    const oldestAllowed = Date.now() - maxRecordAgeMs;
    const index = records.findIndex(
      (record) =>
        (record.dynamodb?.ApproximateCreationDateTime ?? Number.POSITIVE_INFINITY) * 1000 >= oldestAllowed,
    );
    return index === -1 ? records.length : index;
  }

  private async invoke(records: DynamoDBRecord[], retry: number): Promise<Outcome> {
    const { settings } = this;
    this.records.stats.invocations++;
    this.inFlight = { records, retry };
    let outcome: Outcome;
    try {
      const event: DynamoDBStreamEvent = { Records: structuredClone(records) };
      const context = createLambdaContext({
        functionName: settings.functionName,
        timeoutMs: settings.timeoutMs,
        region: settings.region,
      });
      const response = await withLambdaTimeout(settings.handler(event, context), settings.timeoutMs);
      outcome = settings.reportBatchItemFailures ? interpretResponse(response, records) : { kind: 'success' };
    } catch (error) {
      outcome = { kind: 'error', error };
    } finally {
      this.inFlight = undefined;
    }
    this.log(records, retry, outcome);
    return outcome;
  }

  private log(records: DynamoDBRecord[], retry: number, outcome: Outcome): void {
    const entry: InvocationLogEntry = {
      sequenceNumbers: records.map((record) => record.dynamodb?.SequenceNumber ?? ''),
      retry,
      outcome: outcome.kind,
    };
    if (outcome.kind === 'partial-failure') entry.checkpoint = outcome.checkpoint;
    if (outcome.kind === 'error') entry.error = outcome.error;
    const { invocations } = this.records;
    invocations.push(entry);
    if (invocations.length > LOG_LIMIT) invocations.shift();
  }

  private park(batch: Parameters<typeof onFailureMessage>[0] & { records: DynamoDBRecord[] }): void {
    const { parked, stats, onFailureMessages } = this.records;
    parked.push(...batch.records);
    stats.parked += batch.records.length;
    const message = onFailureMessage(batch, this.settings);
    onFailureMessages.push(message);
    this.settings.onParked?.(message, batch.records);
  }
}

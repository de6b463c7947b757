import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { chunk, forEachConcurrently } from './batching.js';
import { type EventItem, toItem } from './events/stored-event.js';

/** BatchWriteItem's limit on put requests per call. */
export const BATCH_WRITE_LIMIT = 25;

/** The part of the DynamoDB client the store uses. */
export interface BatchWriteClient {
  send(
    command: BatchWriteItemCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<BatchWriteItemCommandOutput>;
}

export interface EventStoreOptions {
  readonly client: BatchWriteClient;
  readonly tableName: string;
  /**
   * Calls per chunk, the first included, before unprocessed items count as failed. The default keeps the
   * worst-case backoff (50+100+200+400+800 ms) well inside the function timeout. @default 6
   */
  readonly maxAttempts?: number;
  /** Backoff before the first retry, doubled each retry (full jitter). @default 50 */
  readonly baseDelayMs?: number;
  /** Largest backoff. @default 2000 */
  readonly maxDelayMs?: number;
  /** Chunks written at the same time. @default 8 */
  readonly concurrency?: number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Clock in epoch milliseconds, read against a deadline. @default Date.now */
  readonly now?: () => number;
}

export interface PutAllOptions {
  /**
   * Epoch milliseconds by which `putAll` must be done, e.g. the function's timeout minus time to answer.
   * From then on no call or retry starts (nor a backoff that would end after it), calls in flight are
   * cancelled, and the items not confirmed make it throw {@link EventStoreError}.
   */
  readonly deadline?: number;
}

export interface PutAllResult {
  /** Distinct items written (items with the same key in one call are written once). */
  readonly itemsWritten: number;
  /** BatchWriteItem calls made, retries included. */
  readonly requests: number;
  /** Calls that only re-sent unprocessed items. */
  readonly retries: number;
}

/**
 * Not every item could be stored: DynamoDB failed, or kept returning unprocessed items until the
 * attempts ran out. Some items may have been written; writes are idempotent, so the caller retries all.
 */
export class EventStoreError extends Error {
  override readonly name = 'EventStoreError';
  constructor(
    message: string,
    /** Keys of the items that were not confirmed as written. */
    readonly unconfirmedKeys: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EventStore {
  /** Writes every item (overwriting items with the same key), or throws {@link EventStoreError}. */
  putAll(items: readonly EventItem[], options?: PutAllOptions): Promise<PutAllResult>;
}

/**
 * Stores event items with BatchWriteItem: 25 puts per call, chunks written concurrently, unprocessed
 * items re-sent with exponential backoff and full jitter, a bounded number of times. Keys are made
 * unique per call first, because DynamoDB rejects a request that names one key twice. SDK-level retries
 * (throttling, 5xx, network) happen inside each call as configured on the client. With a deadline, the
 * store stops in time for its caller to answer (see {@link PutAllOptions.deadline}).
 */
export function createEventStore(options: EventStoreOptions): EventStore {
  const maxAttempts = options.maxAttempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const concurrency = options.concurrency ?? 8;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;

  async function writeChunk(requests: WriteRequest[], call: CallState) {
    let pending = requests;
    for (let attempt = 1; ; attempt++) {
      if (now() >= call.deadline) {
        throw new EventStoreError(
          `Deadline reached: ${pending.length} items not written`,
          pending.map(keyOf),
        );
      }
      call.requests++;
      if (attempt > 1) call.retries++;
      let output: BatchWriteItemCommandOutput;
      try {
        output = await options.client.send(
          new BatchWriteItemCommand({ RequestItems: { [options.tableName]: pending } }),
          { abortSignal: call.signal },
        );
      } catch (error) {
        const reason = call.signal.aborted
          ? 'Deadline reached: BatchWriteItem call cancelled'
          : `BatchWriteItem failed: ${(error as Error).name}: ${(error as Error).message}`;
        throw new EventStoreError(reason, pending.map(keyOf), { cause: error });
      }
      pending = output.UnprocessedItems?.[options.tableName] ?? [];
      if (pending.length === 0) return;
      if (attempt >= maxAttempts) {
        throw new EventStoreError(
          `${pending.length} items still unprocessed after ${maxAttempts} BatchWriteItem attempts`,
          pending.map(keyOf),
        );
      }
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.floor(random() * ceiling);
      if (now() + delay >= call.deadline) {
        throw new EventStoreError(
          `Deadline reached: ${pending.length} items still unprocessed after ${attempt} BatchWriteItem attempts`,
          pending.map(keyOf),
        );
      }
      await sleep(delay);
    }
  }

  return {
    async putAll(items, putOptions = {}) {
      const unique = new Map<string, Record<string, AttributeValue>>();
      for (const item of items) {
        if (!unique.has(item.eventKey)) unique.set(item.eventKey, toItem(item));
      }
      const requests: WriteRequest[] = [...unique.values()].map((Item) => ({ PutRequest: { Item } }));
      const chunks = chunk(requests, BATCH_WRITE_LIMIT);
      const deadline = putOptions.deadline ?? Number.POSITIVE_INFINITY;
      const cancel = new AbortController();
      const timer = Number.isFinite(deadline)
        ? setTimeout(() => cancel.abort(), Math.max(0, deadline - now()))
        : undefined;
      const call: CallState = { requests: 0, retries: 0, deadline, signal: cancel.signal };
      const failures: EventStoreError[] = [];
      try {
        await forEachConcurrently(chunks, concurrency, async (requestsInChunk) => {
          try {
            await writeChunk(requestsInChunk, call);
          } catch (error) {
            failures.push(error as EventStoreError);
          }
        });
      } finally {
        clearTimeout(timer);
      }
      if (failures.length > 0) {
        const first = failures[0] as EventStoreError;
        throw new EventStoreError(
          `${failures.length} of ${chunks.length} chunks not stored; first: ${first.message}`,
          failures.flatMap((failure) => failure.unconfirmedKeys),
          { cause: first.cause ?? first },
        );
      }
      return { itemsWritten: unique.size, requests: call.requests, retries: call.retries };
    },
  };
}

/** What the chunks of one `putAll` share: counters, its deadline, and the signal that cancels calls at it. */
interface CallState {
  requests: number;
  retries: number;
  readonly deadline: number;
  readonly signal: AbortSignal;
}

function keyOf(request: WriteRequest): string {
  return request.PutRequest?.Item?.eventKey?.S ?? '(unknown)';
}

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
  send(command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput>;
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
  putAll(items: readonly EventItem[]): Promise<PutAllResult>;
}

/**
 * Stores event items with BatchWriteItem: 25 puts per call, chunks written concurrently, unprocessed
 * items re-sent with exponential backoff and full jitter, a bounded number of times. Keys are made
 * unique per call first, because DynamoDB rejects a request that names one key twice. SDK-level retries
 * (throttling, 5xx, network) happen inside each call as configured on the client.
 */
export function createEventStore(options: EventStoreOptions): EventStore {
  const maxAttempts = options.maxAttempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const concurrency = options.concurrency ?? 8;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;

  async function writeChunk(requests: WriteRequest[], counters: { requests: number; retries: number }) {
    let pending = requests;
    for (let attempt = 1; ; attempt++) {
      counters.requests++;
      if (attempt > 1) counters.retries++;
      let output: BatchWriteItemCommandOutput;
      try {
        output = await options.client.send(
          new BatchWriteItemCommand({ RequestItems: { [options.tableName]: pending } }),
        );
      } catch (error) {
        throw new EventStoreError(
          `BatchWriteItem failed: ${(error as Error).name}: ${(error as Error).message}`,
          pending.map(keyOf),
          { cause: error },
        );
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
      await sleep(Math.floor(random() * ceiling));
    }
  }

  return {
    async putAll(items) {
      const unique = new Map<string, Record<string, AttributeValue>>();
      for (const item of items) {
        if (!unique.has(item.eventKey)) unique.set(item.eventKey, toItem(item));
      }
      const requests: WriteRequest[] = [...unique.values()].map((Item) => ({ PutRequest: { Item } }));
      const chunks = chunk(requests, BATCH_WRITE_LIMIT);
      const counters = { requests: 0, retries: 0 };
      const failures: EventStoreError[] = [];
      await forEachConcurrently(chunks, concurrency, async (requestsInChunk) => {
        try {
          await writeChunk(requestsInChunk, counters);
        } catch (error) {
          failures.push(error as EventStoreError);
        }
      });
      if (failures.length > 0) {
        const first = failures[0] as EventStoreError;
        throw new EventStoreError(
          `${failures.length} of ${chunks.length} chunks not stored; first: ${first.message}`,
          failures.flatMap((failure) => failure.unconfirmedKeys),
          { cause: first.cause ?? first },
        );
      }
      return { itemsWritten: unique.size, ...counters };
    },
  };
}

function keyOf(request: WriteRequest): string {
  return request.PutRequest?.Item?.eventKey?.S ?? '(unknown)';
}

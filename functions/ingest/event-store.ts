import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { chunk, forEachConcurrently } from '../shared/batching.js';
import type { WriteReadyItem } from './event-items.js';

/** BatchWriteItem's limit on put requests per call. */
export const BATCH_WRITE_LIMIT = 25;

/**
 * Writes in flight at once: the SDK's default socket pool per client (more would only queue in its
 * agent), so a batch of up to 1,250 events sends all its chunks at once. Fewer at a time costs more CPU
 * per call (more waits, each waking the process again): with 8, a 1,000-event batch took about a third
 * more CPU (npm run bench).
 */
export const STORE_CONCURRENCY = 50;

/** The part of the DynamoDB client the store uses. */
export interface BatchWriteClient {
  send(
    command: BatchWriteItemCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<BatchWriteItemCommandOutput>;
}

/** Writes an event's text to the large-event bucket (S3 PutObject, encrypted with the stack's key). */
export type ObjectWriter = (key: string, body: string, signal: AbortSignal) => Promise<void>;

export interface EventStoreOptions {
  readonly client: BatchWriteClient;
  readonly tableName: string;
  readonly writeObject: ObjectWriter;
  /** Calls per chunk, the first included, before unprocessed items count as failed. @default 6 */
  readonly maxAttempts?: number;
  /** Backoff before the first retry, doubled each retry (full jitter). @default 50 */
  readonly baseDelayMs?: number;
  /** Largest backoff. @default 2000 */
  readonly maxDelayMs?: number;
  /** Chunks (or objects) written at the same time. @default STORE_CONCURRENCY */
  readonly concurrency?: number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Clock in epoch milliseconds, read against a deadline. @default Date.now */
  readonly now?: () => number;
}

/** An item to store, and the quarantine item that replaces it if DynamoDB refuses it for its content. */
export interface StoreEntry {
  readonly item: WriteReadyItem;
  readonly onRefused: (reason: string) => WriteReadyItem;
}

export interface PutAllOptions {
  /**
   * Epoch milliseconds by which `putAll` must be done. From then on no call or retry starts, calls in
   * flight are cancelled, and the items not confirmed make it throw {@link EventStoreError}.
   */
  readonly deadline?: number;
}

export interface RefusedItem {
  readonly eventKey: string;
  readonly reason: string;
  /** What was stored instead (a quarantine item). */
  readonly replacement: WriteReadyItem;
}

export interface PutAllResult {
  /** Distinct items written (items with the same key in one call are written once). */
  readonly itemsWritten: number;
  /** Objects written to the large-event bucket. */
  readonly objectsWritten: number;
  /** BatchWriteItem calls made, retries and one-item calls included. */
  readonly requests: number;
  /** Calls that only re-sent unprocessed items. */
  readonly retries: number;
  /** Items DynamoDB refused for their content, each replaced by a quarantine item. */
  readonly refused: readonly RefusedItem[];
}

/**
 * Not every item could be stored: DynamoDB or S3 failed, or kept returning unprocessed items until the
 * attempts ran out. Writes are idempotent, so the caller retries all. Never carries the keys themselves
 * (a batch has thousands): only their count, so a log line of it stays small.
 */
export class EventStoreError extends Error {
  override readonly name = 'EventStoreError';
  constructor(
    message: string,
    /** How many items were not confirmed as written. */
    readonly unconfirmedItems: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EventStore {
  /** Writes every entry (overwriting items with the same key), or throws {@link EventStoreError}. */
  putAll(entries: readonly StoreEntry[], options?: PutAllOptions): Promise<PutAllResult>;
}

interface CallState {
  requests: number;
  retries: number;
  objectsWritten: number;
  readonly deadline: number;
  readonly signal: AbortSignal;
  readonly refused: RefusedItem[];
}

/**
 * Stores items: first the S3 objects of claim-checked events (so no item ever points to nothing), then
 * BatchWriteItem, 25 puts per call, chunks written concurrently, unprocessed items re-sent with
 * exponential backoff and full jitter. A chunk DynamoDB refuses for its content (ValidationException)
 * is written again one item per call, so only the refused item is affected: it is replaced by its
 * quarantine item. With a deadline, the store stops in time for its caller to answer.
 */
export function createEventStore(options: EventStoreOptions): EventStore {
  const settings = {
    maxAttempts: options.maxAttempts ?? 6,
    baseDelayMs: options.baseDelayMs ?? 50,
    maxDelayMs: options.maxDelayMs ?? 2000,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
  };
  const concurrency = options.concurrency ?? STORE_CONCURRENCY;

  const send = (requests: WriteRequest[], call: CallState) =>
    options.client.send(new BatchWriteItemCommand({ RequestItems: { [options.tableName]: requests } }), {
      abortSignal: call.signal,
    });

  async function writeObject(item: WriteReadyItem, call: CallState): Promise<void> {
    if (item.object === undefined) return;
    if (settings.now() >= call.deadline) throw new EventStoreError('Deadline reached before an S3 write', 1);
    try {
      await options.writeObject(item.object.key, item.object.body, call.signal);
    } catch (error) {
      const reason = call.signal.aborted
        ? 'Deadline reached: S3 write cancelled'
        : `S3 PutObject failed: ${describe(error)}`;
      throw new EventStoreError(reason, 1, { cause: error });
    }
    call.objectsWritten++;
  }

  async function writeChunk(entries: readonly StoreEntry[], call: CallState): Promise<void> {
    try {
      await writeWithRetries(entries.map(toRequest), call, settings, send);
    } catch (error) {
      if (!(error instanceof RefusedWrite)) throw error;
      if (entries.length === 1) return replace(entries[0] as StoreEntry, error, call);
      // One item spoils its whole call: write each alone, so only the refused one is replaced.
      for (const entry of entries) await writeChunk([entry], call);
    }
  }

  async function replace(entry: StoreEntry, refusal: RefusedWrite, call: CallState): Promise<void> {
    const replacement = entry.onRefused(refusal.message);
    await writeObject(replacement, call);
    try {
      await writeWithRetries([{ PutRequest: { Item: replacement.attributes } }], call, settings, send);
    } catch (again) {
      throw new EventStoreError(`DynamoDB refused even the quarantine item: ${describe(again)}`, 1, {
        cause: again,
      });
    }
    call.refused.push({ eventKey: entry.item.eventKey, reason: refusal.message, replacement });
  }

  return {
    async putAll(entries, putOptions = {}) {
      const unique = new Map<string, StoreEntry>();
      for (const entry of entries)
        if (!unique.has(entry.item.eventKey)) unique.set(entry.item.eventKey, entry);
      const deadline = putOptions.deadline ?? Number.POSITIVE_INFINITY;
      const cancel = new AbortController();
      const timer = Number.isFinite(deadline)
        ? setTimeout(() => cancel.abort(), Math.max(0, deadline - settings.now()))
        : undefined;
      const call: CallState = {
        requests: 0,
        retries: 0,
        objectsWritten: 0,
        deadline,
        signal: cancel.signal,
        refused: [],
      };
      try {
        const withObjects = [...unique.values()].filter((entry) => entry.item.object !== undefined);
        await settleAll(withObjects, concurrency, (entry) => writeObject(entry.item, call));
        await settleAll(chunk([...unique.values()], BATCH_WRITE_LIMIT), concurrency, (entriesInChunk) =>
          writeChunk(entriesInChunk, call),
        );
      } finally {
        clearTimeout(timer);
      }
      return {
        itemsWritten: unique.size,
        objectsWritten: call.objectsWritten,
        requests: call.requests,
        retries: call.retries,
        refused: call.refused,
      };
    },
  };
}

/** Runs every task; when any failed, throws one EventStoreError that counts what was not confirmed. */
async function settleAll<T>(
  tasks: readonly T[],
  concurrency: number,
  run: (task: T) => Promise<void>,
): Promise<void> {
  const failures: Array<{ error: unknown; items: number }> = [];
  await forEachConcurrently(tasks, concurrency, async (task) => {
    try {
      await run(task);
    } catch (error) {
      failures.push({ error, items: Array.isArray(task) ? task.length : 1 });
    }
  });
  if (failures.length === 0) return;
  const first = failures[0] as { error: unknown };
  const unconfirmed = failures.reduce((sum, failure) => {
    const counted = failure.error instanceof EventStoreError ? failure.error.unconfirmedItems : failure.items;
    return sum + Math.max(counted, 1);
  }, 0);
  throw new EventStoreError(
    `${failures.length} of ${tasks.length} writes failed; first: ${first.error instanceof EventStoreError ? first.error.message : describe(first.error)}`,
    unconfirmed,
    { cause: first.error },
  );
}

/** DynamoDB refused the call for its content (ValidationException): retrying it cannot help. */
class RefusedWrite extends Error {}

type Settings = {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;
};

async function writeWithRetries(
  requests: WriteRequest[],
  call: CallState,
  settings: Settings,
  send: (requests: WriteRequest[], call: CallState) => Promise<BatchWriteItemCommandOutput>,
): Promise<void> {
  let pending = requests;
  for (let attempt = 1; ; attempt++) {
    if (settings.now() >= call.deadline) {
      throw new EventStoreError(`Deadline reached: ${pending.length} items not written`, pending.length);
    }
    call.requests++;
    if (attempt > 1) call.retries++;
    let output: BatchWriteItemCommandOutput;
    try {
      output = await send(pending, call);
    } catch (error) {
      if ((error as Error).name === 'ValidationException' && !call.signal.aborted) {
        throw new RefusedWrite(shorten((error as Error).message));
      }
      const reason = call.signal.aborted
        ? 'Deadline reached: BatchWriteItem call cancelled'
        : `BatchWriteItem failed: ${describe(error)}`;
      throw new EventStoreError(reason, pending.length, { cause: error });
    }
    pending = Object.values(output.UnprocessedItems ?? {})[0] ?? [];
    if (pending.length === 0) return;
    if (attempt >= settings.maxAttempts) {
      throw new EventStoreError(
        `${pending.length} items still unprocessed after ${settings.maxAttempts} BatchWriteItem attempts`,
        pending.length,
      );
    }
    const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
    const delay = Math.floor(settings.random() * ceiling);
    if (settings.now() + delay >= call.deadline) {
      throw new EventStoreError(
        `Deadline reached: ${pending.length} items still unprocessed after ${attempt} BatchWriteItem attempts`,
        pending.length,
      );
    }
    await settings.sleep(delay);
  }
}

function toRequest(entry: StoreEntry): WriteRequest {
  return { PutRequest: { Item: entry.item.attributes } };
}

/** An error as `<name>: <message>`, the message cut to 300 characters (it can quote the request). */
export function describe(error: unknown): string {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  return `${name}: ${shorten(message)}`;
}

function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

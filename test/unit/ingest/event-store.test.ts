import type {
  BatchWriteItemCommand,
  BatchWriteItemCommandOutput,
  WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { createEventReader } from '../../../functions/ingest/event-reader.js';
import {
  BATCH_WRITE_LIMIT,
  createEventStore as createStore,
  EventStoreError,
  type EventStoreOptions,
  type StoreEntry,
} from '../../../functions/ingest/event-store.js';
import { classifyBatch } from '../../../functions/ingest/ingest-batch.js';
import { receivedEvents } from '../../support/stored-events.js';

const context = {
  read: createEventReader({ eventTypes: ['open'] }),
  receivedAt: new Date('2025-03-01T10:00:00Z'),
  retentionDays: 30,
  bucket: 'large-events',
};

function entriesOf(events: unknown[]): StoreEntry[] {
  // Not de-duplicated here: the store itself must write a key named twice once.
  return events.flatMap((event) => classifyBatch(receivedEvents([event]), context).entries);
}

function items(count: number, offset = 0): StoreEntry[] {
  return entriesOf(
    Array.from({ length: count }, (_, index) => ({
      type: 'open',
      clientId: 1,
      mailingId: 2,
      recipientId: `r${index + offset}`,
    })),
  );
}

const objects: Array<{ key: string; body: string }> = [];
const createEventStore = (options: Omit<EventStoreOptions, 'writeObject'> & Partial<EventStoreOptions>) =>
  createStore({
    writeObject: async (key, body) => {
      objects.push({ key, body });
    },
    ...options,
  });

/** A BatchWriteItem client that records each call and answers with `respond` (default: all processed). */
function fakeClient(respond?: (requests: WriteRequest[], call: number) => WriteRequest[] | Error) {
  const calls: WriteRequest[][] = [];
  return {
    calls,
    async send(command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput> {
      const requests = command.input.RequestItems?.events ?? [];
      calls.push(requests);
      const keys = requests.map((request) => request.PutRequest?.Item?.eventKey?.S);
      if (new Set(keys).size !== keys.length) throw new Error('ValidationException: duplicate keys');
      const answer = respond?.(requests, calls.length) ?? [];
      if (answer instanceof Error) throw answer;
      return { $metadata: {}, UnprocessedItems: answer.length > 0 ? { events: answer } : {} };
    },
  };
}

const noSleep = async () => {};
const keysOf = (requests: WriteRequest[]) => requests.map((request) => request.PutRequest?.Item?.eventKey?.S);

describe('createEventStore', () => {
  it('writes in chunks of 25 and reports what it wrote', async () => {
    const client = fakeClient();
    const store = createEventStore({ client, tableName: 'events', sleep: noSleep });
    const result = await store.putAll(items(60));
    expect(client.calls.map((call) => call.length).sort((a, b) => b - a)).toEqual([25, 25, 10]);
    expect(result).toEqual({ itemsWritten: 60, objectsWritten: 0, requests: 3, retries: 0, refused: [] });
    expect(new Set(client.calls.flatMap(keysOf)).size).toBe(60);
    expect(BATCH_WRITE_LIMIT).toBe(25);
  });

  it('writes an item named twice in one call once, since DynamoDB rejects duplicate keys', async () => {
    const client = fakeClient();
    const store = createEventStore({ client, tableName: 'events', sleep: noSleep });
    const batch = [...items(3), ...items(3)];
    const result = await store.putAll(batch);
    expect(result.itemsWritten).toBe(3);
    expect(client.calls.flat()).toHaveLength(3);
  });

  it('sends every chunk of a 1,000-event batch at once by default (the SDK keeps 50 sockets per client)', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const client = {
      async send(): Promise<BatchWriteItemCommandOutput> {
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        return { $metadata: {}, UnprocessedItems: {} };
      },
    };
    await createEventStore({ client, tableName: 'events' }).putAll(items(1000));
    expect(mostInFlight).toBe(40);
  });

  it('makes no call for an empty list', async () => {
    const client = fakeClient();
    const result = await createEventStore({ client, tableName: 'events' }).putAll([]);
    expect(result).toEqual({ itemsWritten: 0, objectsWritten: 0, requests: 0, retries: 0, refused: [] });
    expect(client.calls).toHaveLength(0);
  });

  it('re-sends only unprocessed items, with growing jittered backoff', async () => {
    const sleeps: number[] = [];
    // The first two calls leave their last item unprocessed.
    const client = fakeClient((requests, call) => (call <= 2 ? requests.slice(-1) : []));
    const store = createEventStore({
      client,
      tableName: 'events',
      concurrency: 1,
      baseDelayMs: 100,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const result = await store.putAll(items(5));
    expect(client.calls.map((call) => call.length)).toEqual([5, 1, 1]);
    expect(keysOf(client.calls[1] ?? [])).toEqual(keysOf(client.calls[0] ?? []).slice(-1));
    expect(sleeps).toEqual([50, 100]);
    expect(result).toEqual({ itemsWritten: 5, objectsWritten: 0, requests: 3, retries: 2, refused: [] });
  });

  it('caps the backoff', async () => {
    const sleeps: number[] = [];
    let left = 6;
    const client = fakeClient((requests) => (left-- > 0 ? requests : []));
    const store = createEventStore({
      client,
      tableName: 'events',
      maxAttempts: 10,
      baseDelayMs: 100,
      maxDelayMs: 300,
      random: () => 0.999,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await store.putAll(items(1));
    expect(sleeps).toEqual([99, 199, 299, 299, 299, 299]);
  });

  it('throws a typed error counting the unconfirmed items when they stay unprocessed', async () => {
    const client = fakeClient((requests) => requests);
    const store = createEventStore({ client, tableName: 'events', maxAttempts: 3, sleep: noSleep });
    const batch = items(2);
    const error = await store.putAll(batch).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EventStoreError);
    expect((error as EventStoreError).message).toMatch(
      /2 items still unprocessed after 3 BatchWriteItem attempts/,
    );
    expect((error as EventStoreError).unconfirmedItems).toBe(batch.length);
    expect(client.calls).toHaveLength(3);
  });

  it('gives up after 6 calls by default, so its backoff stays inside the function timeout', async () => {
    const sleeps: number[] = [];
    const client = fakeClient((requests) => requests);
    const store = createEventStore({
      client,
      tableName: 'events',
      random: () => 0.999,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await expect(store.putAll(items(1))).rejects.toBeInstanceOf(EventStoreError);
    expect(client.calls).toHaveLength(6);
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThan(1600);
  });

  it('throws a typed error when DynamoDB fails, after the other chunks were tried', async () => {
    const failure = Object.assign(new Error('Service unavailable'), { name: 'InternalServerError' });
    const client = fakeClient((_requests, call) => (call === 1 ? failure : []));
    const store = createEventStore({ client, tableName: 'events', concurrency: 1, sleep: noSleep });
    const error = (await store.putAll(items(30)).catch((caught: unknown) => caught)) as EventStoreError;
    expect(error).toBeInstanceOf(EventStoreError);
    expect(error.message).toMatch(/1 of 2 writes failed; first: BatchWriteItem failed: InternalServerError/);
    expect(error.unconfirmedItems).toBe(25);
    expect((error.cause as EventStoreError).cause).toBe(failure);
    expect(client.calls).toHaveLength(2);
  });

  describe('with a deadline', () => {
    /** A client whose calls each take `callMs` of a clock the test owns; it records when each call starts. */
    function slowClient(callMs: number, respond?: (requests: WriteRequest[]) => WriteRequest[]) {
      const clock = { now: 0 };
      const startedAt: number[] = [];
      return {
        clock,
        startedAt,
        async send(command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput> {
          startedAt.push(clock.now);
          clock.now += callMs;
          const unprocessed = respond?.(command.input.RequestItems?.events ?? []) ?? [];
          return { $metadata: {}, UnprocessedItems: unprocessed.length > 0 ? { events: unprocessed } : {} };
        },
      };
    }

    it('starts no call at or after the deadline, and counts the items it did not write', async () => {
      const client = slowClient(1000);
      const store = createEventStore({
        client,
        tableName: 'events',
        concurrency: 1,
        now: () => client.clock.now,
      });
      const batch = items(250);
      const error = (await store
        .putAll(batch, { deadline: 3500 })
        .catch((caught) => caught)) as EventStoreError;
      expect(error).toBeInstanceOf(EventStoreError);
      expect(error.message).toBe('6 of 10 writes failed; first: Deadline reached: 25 items not written');
      expect(client.startedAt).toEqual([0, 1000, 2000, 3000]);
      expect(error.unconfirmedItems).toBe(batch.length - 100);
    });

    it('writes everything that finishes in time, as without one', async () => {
      const client = slowClient(1000);
      const store = createEventStore({
        client,
        tableName: 'events',
        concurrency: 1,
        now: () => client.clock.now,
      });
      await expect(store.putAll(items(100), { deadline: 4001 })).resolves.toMatchObject({
        itemsWritten: 100,
        requests: 4,
        retries: 0,
      });
    });

    it('does not back off past the deadline to retry unprocessed items', async () => {
      const client = slowClient(10, (requests) => requests.slice(-2));
      const sleeps: number[] = [];
      const store = createEventStore({
        client,
        tableName: 'events',
        baseDelayMs: 100,
        random: () => 0.999,
        now: () => client.clock.now,
        sleep: async (ms) => {
          sleeps.push(ms);
          client.clock.now += ms;
        },
      });
      const batch = items(5);
      const error = (await store
        .putAll(batch, { deadline: 300 })
        .catch((caught) => caught)) as EventStoreError;
      // Calls at 0 and 109; the next backoff (199 ms) would end at 318, past the deadline.
      expect(client.startedAt).toEqual([0, 109]);
      expect(sleeps).toEqual([99]);
      expect(error.message).toBe(
        '1 of 1 writes failed; first: Deadline reached: 2 items still unprocessed after 2 BatchWriteItem attempts',
      );
      expect(error.unconfirmedItems).toBe(2);
    });

    it('cancels a call still in flight at the deadline', async () => {
      vi.useFakeTimers();
      try {
        const signals: Array<AbortSignal | undefined> = [];
        const hangingClient = {
          send(_command: BatchWriteItemCommand, options?: { abortSignal?: AbortSignal }) {
            signals.push(options?.abortSignal);
            return new Promise<BatchWriteItemCommandOutput>((_resolve, reject) => {
              options?.abortSignal?.addEventListener('abort', () =>
                reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })),
              );
            });
          },
        };
        const store = createEventStore({ client: hangingClient, tableName: 'events' });
        const outcome = store.putAll(items(30), { deadline: Date.now() + 5000 }).catch((caught) => caught);
        await vi.advanceTimersByTimeAsync(4999);
        expect(signals.map((signal) => signal?.aborted)).toEqual([false, false]);
        await vi.advanceTimersByTimeAsync(1);
        const error = (await outcome) as EventStoreError;
        expect(error).toBeInstanceOf(EventStoreError);
        expect(error.message).toBe(
          '2 of 2 writes failed; first: Deadline reached: BatchWriteItem call cancelled',
        );
        expect(error.unconfirmedItems).toBe(30);
      } finally {
        vi.useRealTimers();
      }
    });
  });

  it('writes the S3 object of a claim-checked event before any item', async () => {
    const order: string[] = [];
    const client = {
      async send(command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput> {
        order.push(`items:${command.input.RequestItems?.events?.length}`);
        return { $metadata: {}, UnprocessedItems: {} };
      },
    };
    const large = { type: 'open', clientId: 1, mailingId: 2, recipientId: 'r', padding: 'x'.repeat(200_000) };
    const store = createStore({
      client,
      tableName: 'events',
      writeObject: async (key, body) => {
        order.push(`object:${key}:${body.length}`);
      },
    });
    const entries = [...items(2), ...entriesOf([large])];
    const result = await store.putAll(entries);
    expect(order[0]).toMatch(/^object:events\/open\/[0-9a-f]{64}\.json:\d+$/);
    expect(order.slice(1)).toEqual(['items:3']);
    expect(result).toMatchObject({ itemsWritten: 3, objectsWritten: 1 });
  });

  it('fails the call (503) when S3 fails, writing no item that would point to nothing', async () => {
    const client = fakeClient();
    const store = createStore({
      client,
      tableName: 'events',
      writeObject: async () => {
        throw Object.assign(new Error('Slow down'), { name: 'SlowDown' });
      },
    });
    const large = { type: 'open', clientId: 1, recipientId: 'r', padding: 'x'.repeat(200_000) };
    const error = (await store
      .putAll(entriesOf([large]))
      .catch((caught: unknown) => caught)) as EventStoreError;
    expect(error).toBeInstanceOf(EventStoreError);
    expect(error.message).toMatch(/S3 PutObject failed: SlowDown: Slow down/);
    expect(client.calls).toEqual([]);
  });

  it('replaces only the item DynamoDB refuses for its content; its 24 neighbours are written', async () => {
    const batch = items(25);
    const poison = batch[7]?.item.eventKey;
    const refusal = Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
      name: 'ValidationException',
    });
    const client = fakeClient((requests) =>
      requests.some((request) => request.PutRequest?.Item?.eventKey?.S === poison) ? refusal : [],
    );
    const store = createEventStore({ client, tableName: 'events', sleep: noSleep });
    const result = await store.putAll(batch);
    expect(result.refused).toEqual([
      expect.objectContaining({
        eventKey: poison,
        reason: 'Item size has exceeded the maximum allowed size',
      }),
    ]);
    const replacement = result.refused[0]?.replacement;
    expect(replacement?.status).toBe('quarantined');
    expect(replacement?.object?.body).toBe(batch[7]?.item.attributes.raw?.S);
    const written = client.calls
      .filter((call) => !call.some((request) => request.PutRequest?.Item?.eventKey?.S === poison))
      .flat()
      .map((request) => request.PutRequest?.Item?.eventKey?.S);
    expect(written).toHaveLength(25);
    expect(written).toContain(replacement?.eventKey);
    expect(written).not.toContain(poison);
  });

  it('fails (503) only if DynamoDB refuses even the quarantine item', async () => {
    const refusal = Object.assign(new Error('no'), { name: 'ValidationException' });
    const client = fakeClient(() => refusal);
    const store = createEventStore({ client, tableName: 'events', sleep: noSleep });
    await expect(store.putAll(items(1))).rejects.toThrow(/refused even the quarantine item/);
  });
});

import type { BatchWriteItemCommandOutput } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointKeyVerifier } from '../../../functions/ingest/endpoint-keys.js';
import {
  createIngestHandler,
  MAX_LISTED_QUARANTINED_EVENTS,
  MAX_LOGGED_QUARANTINED_EVENTS,
  STORE_DEADLINE_MARGIN_MS,
} from '../../../functions/ingest/ingest-handler.js';
import { CAMPAIGN_EVENT_TYPES } from '../../../functions/shared/campaign-event-types.js';
import { createEventStore, type EventStore, EventStoreError } from '../../../functions/shared/event-store.js';
import { type EventItem, MAX_LISTED_ISSUES } from '../../../functions/shared/events/stored-event.js';
import { CampaignEventFactory } from '../../../local/campaign-simulator/event-factory.js';
import { capturedMetrics, type EmfDocument } from '../shared/emf.js';
import { capturedLogger } from '../shared/logs.js';

const KEY = 'the-endpoint-key-0123456789';
const HEADER = 'X-Campaign-Webhook-Key';
const receivedAt = new Date('2025-03-01T10:00:00.000Z');
const REMAINING_MS = 28_000;
const context = {
  functionName: 'ingest',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => REMAINING_MS,
} as Context;

interface Harness {
  handler: ReturnType<typeof createIngestHandler>;
  stored: EventItem[][];
  deadlines: Array<number | undefined>;
  verified: string[];
  metrics: () => EmfDocument[];
  logs: () => string[];
  failStore: (error: Error) => void;
}

let restore: Array<() => void> = [];
afterEach(() => {
  for (const undo of restore) undo();
  restore = [];
});

function harness(
  options: {
    maxBodyBytes?: number;
    maxEventsPerBatch?: number;
    verifier?: EndpointKeyVerifier;
    store?: EventStore;
  } = {},
): Harness {
  const stored: EventItem[][] = [];
  const deadlines: Array<number | undefined> = [];
  const verified: string[] = [];
  let storeFailure: Error | undefined;
  const recordingStore: EventStore = {
    async putAll(items, putOptions) {
      deadlines.push(putOptions?.deadline);
      if (storeFailure) throw storeFailure;
      stored.push([...items]);
      return { itemsWritten: items.length, requests: Math.ceil(items.length / 25), retries: 0 };
    },
  };
  const metrics = capturedMetrics('ingest');
  const logs = capturedLogger('ingest');
  restore.push(metrics.restore, logs.restore);
  const handler = createIngestHandler({
    config: {
      tableName: 'events',
      endpointKeySecretId: 'secret',
      authHeaderName: HEADER,
      maxBodyBytes: options.maxBodyBytes ?? 100_000,
      maxEventsPerBatch: options.maxEventsPerBatch ?? 500,
      retentionDays: 30,
      eventTypes: CAMPAIGN_EVENT_TYPES,
    },
    keyVerifier: options.verifier ?? {
      verify: async (key) => {
        verified.push(key);
        return key === KEY;
      },
    },
    store: options.store ?? recordingStore,
    logger: logs.logger,
    metrics: metrics.metrics,
    clock: () => receivedAt,
  });
  return {
    handler,
    stored,
    deadlines,
    verified,
    metrics: metrics.documents,
    logs: logs.lines,
    failStore: (error) => {
      storeFailure = error;
    },
  };
}

function post(
  body: string | null,
  headers: Record<string, string> = {},
  isBase64Encoded = false,
): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/events',
    headers: { [HEADER]: KEY, 'Content-Type': 'application/json', ...headers },
    multiValueHeaders: {},
    body,
    isBase64Encoded,
  } as unknown as APIGatewayProxyEvent;
}

async function invoke(h: Harness, event: APIGatewayProxyEvent) {
  const response = await h.handler(event, context);
  return { statusCode: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}

const rejectionReasons = (documents: EmfDocument[]) =>
  documents
    .filter((document) => 'RequestsRejected' in document.values)
    .map((document) => document.dimensions.Reason);

describe('ingest handler', () => {
  let events: CampaignEventFactory;
  beforeEach(() => {
    events = new CampaignEventFactory({ seed: 11, now: () => receivedAt });
  });

  it('stores a batch and answers 200 with counts that add up to the batch', async () => {
    const h = harness();
    const batch = [...events.batch(12), ...events.invalidEvents()];
    const response = await invoke(h, post(JSON.stringify(batch)));
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatchObject({ received: 17, accepted: 12, quarantined: 5, duplicates: 0 });
    expect(response.body.quarantinedEvents).toEqual(
      h.stored[0]
        ?.map((item, index) => ({ item, index }))
        .filter(({ item }) => item.status === 'quarantined')
        .map(({ item, index }) => ({
          index,
          eventKey: item.eventKey,
          issues: item.status === 'quarantined' && item.issues,
        })),
    );
    expect(h.stored[0]).toHaveLength(17);
  });

  it('takes a single event object as a batch of one, and an empty array as nothing to do', async () => {
    const h = harness();
    expect((await invoke(h, post(JSON.stringify(events.event('open'))))).body).toMatchObject({
      received: 1,
      accepted: 1,
    });
    expect((await invoke(h, post('[]'))).body).toEqual({
      received: 0,
      accepted: 0,
      quarantined: 0,
      duplicates: 0,
      quarantinedEvents: [],
    });
  });

  it('authenticates before looking at anything else', async () => {
    const h = harness({ maxBodyBytes: 10 });
    const response = await invoke(
      h,
      post('not json and too long', { [HEADER]: 'wrong', 'Content-Type': 'text/plain' }),
    );
    expect(response).toEqual({ statusCode: 401, body: { message: 'Unauthorized' } });
    expect(h.verified).toEqual(['wrong']);
    expect(h.stored).toEqual([]);
    expect(rejectionReasons(h.metrics())).toEqual(['unauthorized']);
  });

  it('checks content type, then size, then JSON, then shape', async () => {
    const h = harness({ maxBodyBytes: 20, maxEventsPerBatch: 2 });
    const cases: Array<[APIGatewayProxyEvent, number, string]> = [
      [
        post('x'.repeat(50), { 'Content-Type': 'text/plain' }),
        415,
        'Content-Type must be application/json (UTF-8)',
      ],
      [post('x'.repeat(50)), 413, 'Request body is 50 bytes; at most 20 are accepted'],
      [
        post(Buffer.from('x'.repeat(21)).toString('base64'), {}, true),
        413,
        'Request body is 21 bytes; at most 20 are accepted',
      ],
      [post('[1,'), 400, 'Body is not valid JSON: unexpected end of input at position 3 (line 1 column 4)'],
      [post('"text"'), 400, 'Body must be a JSON array of events or a single event object'],
      [post('[{},{},{}]'), 413, 'Batch has 3 events; at most 2 are accepted'],
      [post(null), 400, 'Request body is empty'],
    ];
    for (const [event, statusCode, message] of cases) {
      expect(await invoke(h, event), message).toEqual({ statusCode, body: { message } });
    }
    expect(h.stored).toEqual([]);
    expect(rejectionReasons(h.metrics())).toEqual([
      'unsupported-media-type',
      'too-large',
      'too-large',
      'malformed',
      'malformed',
      'too-large',
      'malformed',
    ]);
  });

  it('answers 503 with no counts when the events cannot be stored', async () => {
    const h = harness();
    h.failStore(new EventStoreError('BatchWriteItem failed', ['k1']));
    const response = await invoke(h, post(JSON.stringify(events.batch(3))));
    expect(response).toEqual({
      statusCode: 503,
      body: { message: 'Events could not be stored; retry the whole batch' },
    });
    expect(h.metrics().some((document) => 'EventsAccepted' in document.values)).toBe(false);
  });

  it('gives the store a deadline short of the function timeout, leaving time to answer', async () => {
    const h = harness();
    await invoke(h, post(JSON.stringify(events.batch(3))));
    expect(h.deadlines).toEqual([receivedAt.getTime() + REMAINING_MS - STORE_DEADLINE_MARGIN_MS]);
    expect(STORE_DEADLINE_MARGIN_MS).toBeGreaterThanOrEqual(2000);
  });

  it('answers 503 when storing runs into the deadline, instead of being killed by the timeout', async () => {
    // The real store over a DynamoDB whose calls take 10 s of a clock the test moves; 28 s remain.
    let now = receivedAt.getTime();
    const calls: number[] = [];
    const slowDynamoDb = {
      async send(): Promise<BatchWriteItemCommandOutput> {
        calls.push(now);
        now += 10_000;
        return { $metadata: {} };
      },
    };
    const store = createEventStore({
      client: slowDynamoDb,
      tableName: 'events',
      concurrency: 1,
      now: () => now,
    });
    const h = harness({ store });
    const response = await invoke(h, post(JSON.stringify(events.batch(100))));
    expect(response).toEqual({
      statusCode: 503,
      body: { message: 'Events could not be stored; retry the whole batch' },
    });
    // Calls start at 0, 10 and 20 s; the fourth would start at 30 s, past the deadline at 25.5 s.
    expect(calls.map((at) => at - receivedAt.getTime())).toEqual([0, 10_000, 20_000]);
    const logs = h.logs().join('\n');
    expect(logs).toContain('Batch not stored');
    expect(logs).toContain('Deadline reached: 25 items not written');
  });

  it('answers 500 without detail when something unexpected fails', async () => {
    const h = harness({
      verifier: {
        verify: async () => {
          throw new Error('Secrets Manager unreachable');
        },
      },
    });
    const response = await invoke(h, post('[]'));
    expect(response).toEqual({ statusCode: 500, body: { message: 'Internal error; retry later' } });
  });

  it('emits the catalog metrics: totals, per type, delays, bounces, complaints', async () => {
    const h = harness();
    const batch = [
      events.event('open', { created: '2025-03-01T09:59:50.000Z' }),
      events.event('open', { created: '2025-03-01T09:59:40.000Z' }),
      events.event('bounce', { bounceCategory: 'hardbounce' }),
      events.event('spamcomplaint'),
      { ...events.event('click'), clientId: 'none' },
      'garbage',
    ];
    await invoke(h, post(JSON.stringify(batch)));
    const documents = h.metrics();
    const total = documents.find(
      (document) => document.dimensions.EventType === undefined && 'EventsReceived' in document.values,
    );
    expect(total).toEqual({
      dimensions: { service: 'ingest' },
      values: {
        EventsReceived: 6,
        EventsAccepted: 4,
        EventsQuarantined: 2,
        HardBounces: 1,
        SoftBounces: 0,
        SpamComplaints: 1,
        EventDelay: [10, 20, expect.any(Number), expect.any(Number)],
      },
      units: expect.any(Object),
    });
    const perType = Object.fromEntries(
      documents
        .filter((document) => document.dimensions.EventType)
        .map((document) => [document.dimensions.EventType, document.values]),
    );
    expect(perType).toEqual({
      open: { EventsReceived: 2, EventsAccepted: 2, EventDelay: [10, 20] },
      bounce: { EventsReceived: 1, EventsAccepted: 1, EventDelay: expect.any(Number) },
      spamcomplaint: { EventsReceived: 1, EventsAccepted: 1, EventDelay: expect.any(Number) },
      click: { EventsReceived: 1, EventsAccepted: 0 },
    });
  });

  it('lists at most 100 quarantined events, and says how many more there were', async () => {
    const h = harness();
    const batch = Array.from({ length: MAX_LISTED_QUARANTINED_EVENTS + 5 }, (_, index) => `bad ${index}`);
    const response = await invoke(h, post(JSON.stringify(batch)));
    expect(response.body).toMatchObject({ quarantined: 105, quarantinedEventsNotListed: 5 });
    expect(response.body.quarantinedEvents).toHaveLength(100);
  });

  it('lists at most 20 issues per quarantined event in the response and the log, and counts the rest', async () => {
    const h = harness();
    const addresses = Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`M${index}`, index]));
    const batch = [events.event('open'), { ...events.event('open'), mediaTypesToAddresses: addresses }];
    const response = await invoke(h, post(JSON.stringify(batch)));
    expect(response.statusCode).toBe(200);
    const [report] = response.body.quarantinedEvents as Array<{ issues: string[] }>;
    const expected = [
      ...Array.from(
        { length: MAX_LISTED_ISSUES },
        (_, index) => `mediaTypesToAddresses.M${index}: must map each media type to an address string`,
      ),
      `… and ${300 - MAX_LISTED_ISSUES} more issues`,
    ];
    expect(report?.issues).toEqual(expected);
    const warning = h
      .logs()
      .map((line) => JSON.parse(line) as { message: string; quarantined?: Array<{ issues: string[] }> })
      .find((line) => line.message === 'Events quarantined');
    expect(warning?.quarantined?.[0]?.issues).toEqual(expected);
  });

  it('logs at most 10 quarantined events per batch, with the full count', async () => {
    const h = harness();
    const batch = Array.from({ length: 25 }, (_, index) => `bad ${index}`);
    await invoke(h, post(JSON.stringify(batch)));
    const warning = h
      .logs()
      .map(
        (line) => JSON.parse(line) as { message: string; quarantinedCount?: number; quarantined?: unknown[] },
      )
      .find((line) => line.message === 'Events quarantined');
    expect(warning?.quarantinedCount).toBe(25);
    expect(warning?.quarantined).toHaveLength(MAX_LOGGED_QUARANTINED_EVENTS);
  });

  it('never names a payload key that could be an address in an issue', async () => {
    const h = harness();
    const bad = { ...events.event('open'), mediaTypesToAddresses: { 'jane.doe@example.com': 42 } };
    const response = await invoke(h, post(JSON.stringify([bad])));
    const [report] = response.body.quarantinedEvents as Array<{ issues: string[] }>;
    expect(report?.issues).toEqual([
      'mediaTypesToAddresses.<key>: must map each media type to an address string',
    ]);
    expect(h.logs().join('\n')).not.toContain('jane.doe');
  });

  it('never logs the endpoint key, an address or a raw event', async () => {
    const h = harness();
    const batch = [...events.batch(5), { ...events.event('open'), clientId: 'x' }];
    await invoke(h, post(JSON.stringify(batch)));
    await invoke(h, post('[]', { [HEADER]: `${KEY}-wrong` }));
    h.failStore(new EventStoreError('down', ['k']));
    await invoke(h, post(JSON.stringify(batch)));
    const logs = h.logs().join('\n');
    expect(logs).toContain('Batch stored');
    expect(logs).toContain('Events quarantined');
    expect(logs).toContain('Batch not stored');
    expect(logs).not.toContain(KEY);
    expect(logs).not.toMatch(/@example\.com/);
    expect(logs).not.toContain('mediaTypesToAddresses');
  });
});

import type { BatchWriteItemCommandOutput } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointKeyVerifier } from '../../../functions/ingest/endpoint-keys.js';
import { MAX_LISTED_ISSUES } from '../../../functions/ingest/event-items.js';
import {
  createEventStore,
  type EventStore,
  EventStoreError,
  type StoreEntry,
} from '../../../functions/ingest/event-store.js';
import {
  createIngestHandler,
  MAX_LISTED_QUARANTINED_EVENTS,
  MAX_LOGGED_QUARANTINED_EVENTS,
  STORE_DEADLINE_MARGIN_MS,
} from '../../../functions/ingest/ingest-handler.js';
import {
  CAMPAIGN_EVENT_TYPES,
  type CampaignEventType,
} from '../../../functions/shared/campaign-event-types.js';
import type { SubsegmentDocument } from '../../../functions/shared/tracing/subsegment.js';
import { createTracer, type Tracer } from '../../../functions/shared/tracing/tracer.js';
import { CampaignEventFactory } from '../../../local/campaign-simulator/event-factory.js';
import { capturedMetrics, type EmfDocument } from '../shared/emf.js';
import { capturedLogger } from '../shared/logs.js';

/** A trace header of an invocation Lambda sampled (the format AWS documents for X-Amzn-Trace-Id). */
const SAMPLED = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

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
  stored: StoreEntry[][];
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
    requiredFields?: Partial<Record<CampaignEventType, string[]>>;
    tracer?: Tracer;
  } = {},
): Harness {
  const stored: StoreEntry[][] = [];
  const deadlines: Array<number | undefined> = [];
  const verified: string[] = [];
  let storeFailure: Error | undefined;
  const recordingStore: EventStore = {
    async putAll(entries, putOptions) {
      deadlines.push(putOptions?.deadline);
      if (storeFailure) throw storeFailure;
      stored.push([...entries]);
      return { itemsWritten: entries.length, objectsWritten: 0, requests: 1, retries: 0, refused: [] };
    },
  };
  const metrics = capturedMetrics('ingest');
  const logs = capturedLogger('ingest');
  restore.push(metrics.restore, logs.restore);
  const handler = createIngestHandler({
    config: {
      authHeaderName: HEADER,
      maxBodyBytes: options.maxBodyBytes ?? 100_000,
      maxEventsPerBatch: options.maxEventsPerBatch ?? 500,
      retentionDays: 30,
      eventTypes: CAMPAIGN_EVENT_TYPES,
      requiredFields: options.requiredFields ?? {},
      verifyMailingId: 900001,
      publishVerificationEvents: false,
      largeEventBucket: 'large-events',
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
    tracer: options.tracer ?? createTracer(),
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
        ?.map(({ item }, index) => ({ item, index }))
        .filter(({ item }) => item.status === 'quarantined')
        .map(({ item, index }) => ({ index, eventKey: item.eventKey, issues: item.issues })),
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

  it('checks size, then encoding, then JSON, then shape', async () => {
    const h = harness({ maxBodyBytes: 20, maxEventsPerBatch: 2 });
    const cases: Array<[APIGatewayProxyEvent, number, string]> = [
      [
        post('e30=', { 'Content-Encoding': 'compress' }, true),
        415,
        'Content-Encoding "compress" is not supported; send the body as is, or gzip, deflate or br',
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
    h.failStore(new EventStoreError('BatchWriteItem failed', 3));
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
      writeObject: async () => {},
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

  it('answers 503 when the endpoint key cannot be read (Secrets Manager unreachable on a cold start)', async () => {
    const h = harness({
      verifier: {
        verify: async () => {
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'TimeoutError' });
        },
      },
    });
    const response = await invoke(h, post('[]'));
    expect(response).toEqual({
      statusCode: 503,
      body: { message: 'The endpoint key cannot be checked right now; retry later' },
    });
    expect(h.logs().join('\n')).toContain('Endpoint key unavailable; answering 503');
  });

  it('answers 500 without detail when something unexpected fails, and traces it as the invocation’s fault', async () => {
    const sent: SubsegmentDocument[] = [];
    const h = harness({
      store: {
        putAll: async () => {
          throw new TypeError('a defect');
        },
      },
      tracer: createTracer({ send: (document) => sent.push(document), traceHeader: () => SAMPLED }),
    });
    const response = await invoke(h, post('[]'));
    expect(response).toEqual({ statusCode: 500, body: { message: 'Internal error; retry later' } });
    expect(sent).toMatchObject([
      { fault: true, cause: { exceptions: [{ type: 'TypeError', message: 'a defect' }] } },
    ]);
  });

  it('logs an unexpected error once, by name and message, with no stack or cause', async () => {
    const h = harness({
      store: {
        putAll: async () => {
          throw new TypeError('a defect', { cause: new Error('https://user:password@example.com') });
        },
      },
    });
    await invoke(h, post('[]'));
    const failures = h.logs().filter((line) => line.includes('Request failed'));
    expect(failures).toHaveLength(1);
    const logged = JSON.parse(failures[0] as string) as Record<string, unknown>;
    expect(logged.error).toEqual({ name: 'TypeError', message: 'a defect' });
    expect(failures[0]).not.toContain('password');
    expect(failures[0]).not.toContain('ingest-handler');
  });

  it('annotates the trace with the batch size, its client ids and event types, stored or not', async () => {
    const sent: SubsegmentDocument[] = [];
    const tracer = createTracer({ send: (document) => sent.push(document), traceHeader: () => SAMPLED });
    const h = harness({ tracer });
    const batch = [events.event('open'), events.event('click', { clientId: 7 }), events.event('open')];
    await invoke(h, post(JSON.stringify(batch)));
    h.failStore(new EventStoreError('BatchWriteItem failed', 1));
    await invoke(h, post(JSON.stringify([events.event('bounce')])));
    const invocations = sent.filter((document) => document.name.startsWith('## '));
    expect(invocations.map((document) => document.annotations)).toEqual([
      expect.objectContaining({
        ColdStart: true,
        batchSize: 3,
        clientId: '100001,7',
        eventTypes: 'click,open',
      }),
      expect.objectContaining({ ColdStart: false, batchSize: 1, clientId: '100001', eventTypes: 'bounce' }),
    ]);
    expect(invocations.map((document) => document.parent_id)).toEqual([
      '53995c3f42cd8ad8',
      '53995c3f42cd8ad8',
    ]);
  });

  it('publishes every metric by the end of the invocation, and never an empty set', async () => {
    const h = harness();
    await invoke(h, post(JSON.stringify([events.event('open')]), { 'X-Campaign-Webhook-Key': 'wrong' }));
    await invoke(h, post('{'));
    await invoke(h, post(JSON.stringify([events.event('open')])));
    expect(rejectionReasons(h.metrics())).toEqual(['unauthorized', 'malformed']);
    const perType = h.metrics().filter((document) => document.dimensions.EventType === 'open');
    expect(perType.map((document) => document.values.EventsAccepted)).toEqual([1]);
    expect(h.logs().join('\n')).not.toContain('No application metrics');
  });

  it('accepts a JSON body whatever its content type, counting each content type', async () => {
    const h = harness();
    const batch = JSON.stringify([events.event('open')]);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', '']) {
      const response = await invoke(h, post(batch, { 'Content-Type': contentType }));
      expect(response.statusCode, contentType).toBe(200);
    }
    const labels = h
      .metrics()
      .filter((document) => 'RequestsByContentType' in document.values)
      .map((document) => document.dimensions.ContentType);
    expect(labels).toEqual(['text/plain', 'application/x-www-form-urlencoded', 'none']);
  });

  it('answers verification events 200, stored but counted apart', async () => {
    const h = harness();
    const verify = { type: 'sent', clientId: 100001, mailingId: 900001, recipientId: 'test-1' };
    const response = await invoke(h, post(JSON.stringify([verify, events.event('open')])));
    expect(response.body).toMatchObject({ received: 2, accepted: 2, verification: 1 });
    expect(h.stored[0]?.map((entry) => entry.item.status)).toEqual(['verification', 'accepted']);
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
        VerificationEvents: 0,
        EventsKeptInS3: 0,
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
      open: { EventsReceived: 2, EventsAccepted: 2, EventsMissingFields: 0, EventDelay: [10, 20] },
      bounce: {
        EventsReceived: 1,
        EventsAccepted: 1,
        EventsMissingFields: 0,
        EventDelay: expect.any(Number),
      },
      spamcomplaint: {
        EventsReceived: 1,
        EventsAccepted: 1,
        EventsMissingFields: 0,
        EventDelay: expect.any(Number),
      },
      click: { EventsReceived: 1, EventsAccepted: 0, EventsMissingFields: 0 },
    });
  });

  it('lists at most 100 quarantined events, and says how many more there were', async () => {
    const h = harness();
    const batch = Array.from({ length: MAX_LISTED_QUARANTINED_EVENTS + 5 }, (_, index) => `bad ${index}`);
    const response = await invoke(h, post(JSON.stringify(batch)));
    expect(response.body).toMatchObject({ quarantined: 105, quarantinedEventsNotListed: 5 });
    expect(response.body.quarantinedEvents).toHaveLength(100);
  });

  it('lists at most 20 issues per quarantined event in the response (5 in the log), and counts the rest', async () => {
    const required = Array.from({ length: 300 }, (_, index) => `f${index}`);
    const h = harness({ requiredFields: { open: required } });
    const response = await invoke(h, post(JSON.stringify([events.event('open')])));
    expect(response.statusCode).toBe(200);
    const [report] = response.body.quarantinedEvents as Array<{ issues: string[] }>;
    const expected = [
      ...required
        .slice(0, MAX_LISTED_ISSUES)
        .map((field) => `${field}: is required for open events (requiredFields)`),
      `… and ${300 - MAX_LISTED_ISSUES} more issues`,
    ];
    expect(report?.issues).toEqual(expected);
    const warning = h
      .logs()
      .map((line) => JSON.parse(line) as { message: string; quarantined?: Array<{ issues: string[] }> })
      .find((line) => line.message === 'Events quarantined');
    expect(warning?.quarantined?.[0]?.issues).toEqual(expected.slice(0, 5));
  });

  it('keeps every log line small, whatever the batch and however storage fails', async () => {
    const required = Array.from({ length: 300 }, (_, index) => `field_${'x'.repeat(50)}_${index}`);
    const h = harness({
      requiredFields: { open: required },
      maxBodyBytes: 5_000_000,
      maxEventsPerBatch: 20_000,
    });
    const quarantined = Array.from({ length: 5_000 }, (_, index) => ({ ...events.event('open'), n: index }));
    await invoke(h, post(JSON.stringify(quarantined)));
    h.failStore(new EventStoreError('x'.repeat(100_000), 10_000, { cause: new Error('y'.repeat(100_000)) }));
    await invoke(h, post(JSON.stringify(events.batch(10_000))));
    const lines = h.logs();
    expect(lines.join('\n')).toContain('Batch not stored');
    expect(Math.max(...lines.map((line) => Buffer.byteLength(line)))).toBeLessThan(32 * 1024);
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

  it('never quotes a payload value that could be an address in an issue', async () => {
    const h = harness();
    const bad = { ...events.event('open'), type: 'jane.doe@example.com' };
    const response = await invoke(h, post(JSON.stringify([bad])));
    const [report] = response.body.quarantinedEvents as Array<{ issues: string[] }>;
    expect(report?.issues).toEqual(['type: the value is not a Campaign event type']);
    expect(h.logs().join('\n')).not.toContain('jane.doe');
  });

  it('never logs the endpoint key, an address or a raw event', async () => {
    const h = harness();
    const batch = [...events.batch(5), { ...events.event('open'), clientId: 'x' }];
    await invoke(h, post(JSON.stringify(batch)));
    await invoke(h, post('[]', { [HEADER]: `${KEY}-wrong` }));
    h.failStore(new EventStoreError('down', 1));
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

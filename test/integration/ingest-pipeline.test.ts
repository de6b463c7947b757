import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventKeyFor } from '../../functions/ingest/event-key.js';
import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { bounceCategoryOf, MAILING_EVENT_TYPES } from '../../functions/shared/events/schema.js';
import { storedText } from '../../functions/shared/events/stored-event.js';
import { type CampaignEvent, CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import type { PublishedMessage } from '../../local/sns-stand-in.js';
import {
  type LocalServices,
  type Pipeline,
  startTestPipeline,
  startTestServices,
  type TestConfigInput,
  type TestPipelineOptions,
} from '../support/pipeline.js';

/**
 * The ingest pipeline end to end on this machine, as the stack describes it (the one assembler):
 * HTTP -> ingest handler -> DynamoDB Local -> its real stream, read with the stack's event source mapping
 * (filter, batch size, retries, on-failure queue; the fan-out under SNS faults is fan-out-faults.test.ts) -> fan-out handler -> SNS stand-in, with the
 * handler modules exactly as deployed.
 */
describe('ingest pipeline', () => {
  let services: LocalServices;
  let pipeline: Pipeline | undefined;

  beforeAll(async () => {
    services = await startTestServices();
  });
  afterAll(async () => {
    await services?.stop();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await pipeline?.stop();
    pipeline = undefined;
    services.sns.reset();
  });

  /** This file's limits, low enough to test them with small requests. */
  const LIMITS: TestConfigInput['api'] = { maxBodyBytes: 1_000_000, maxEventsPerBatch: 1000 };

  async function start(
    options: TestPipelineOptions & { eventTypes?: readonly CampaignEventType[] } = {},
  ): Promise<TestHandle> {
    const { eventTypes, ...rest } = options;
    pipeline = await startTestPipeline(services, {
      ...rest,
      config: { api: LIMITS, ...(eventTypes ? { eventTypes: [...eventTypes] } : {}) },
    });
    return handle(pipeline);
  }

  interface TestHandle extends Omit<Pipeline, 'post'> {
    post(
      body: unknown,
      options?: { key?: string | null; contentType?: string },
    ): Promise<{ status: number; body: Record<string, unknown> }>;
  }

  function handle(p: Pipeline): TestHandle {
    return Object.assign(Object.create(p) as Pipeline, {
      post: async (body: unknown, options?: { key?: string | null; contentType?: string }) =>
        (await p.post(body, options)) as { status: number; body: Record<string, unknown> },
    });
  }

  const factory = (seed: number) => new CampaignEventFactory({ seed, clientId: 100001 });
  const typeOf = (event: CampaignEvent): CampaignEventType =>
    (event.type === 'archived' ? 'archive' : event.type) as CampaignEventType;
  const bodyOf = (message: PublishedMessage) => JSON.parse(message.message) as Record<string, unknown>;
  const publishedKeys = () => services.sns.published.map((message) => bodyOf(message).eventKey as string);

  /** A batch with at least one event of every type, then random ones, `size` in all. */
  function mixedBatch(seed: number, size: number): CampaignEvent[] {
    const events = factory(seed);
    return [
      ...CAMPAIGN_EVENT_TYPES.map((type) => events.event(type)),
      ...events.batch(size - CAMPAIGN_EVENT_TYPES.length),
    ];
  }

  it('stores a 100-event mixed batch and publishes each event once to its type topic, with attributes', async () => {
    const p = await start();
    const batch = mixedBatch(101, 100);
    const before = Date.now();
    const response = await p.post(batch);
    expect(response).toEqual({
      status: 200,
      body: { received: 100, accepted: 100, quarantined: 0, duplicates: 0, quarantinedEvents: [] },
    });

    const items = await p.items();
    expect(items).toHaveLength(100);
    const expectedKeys = batch.map((event) => eventKeyFor(typeOf(event), event));
    expect(items.map((item) => item.eventKey).sort()).toEqual([...expectedKeys].sort());
    for (const item of items) {
      const index = expectedKeys.indexOf(item.eventKey as string);
      const sent = batch[index] as CampaignEvent;
      expect(item).toMatchObject({
        status: 'accepted',
        eventType: typeOf(sent),
        clientId: 100001,
        recipientId: sent.recipientId,
        raw: JSON.stringify(sent),
      });
      // The event is held once, as its text (the fan-out reads it back, below).
      expect(item.event).toBeUndefined();
      if (sent.mailingId !== undefined) expect(item.mailingId).toBe(sent.mailingId);
      const receivedAt = Date.parse(item.receivedAt as string);
      expect(receivedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(item.expiresAt).toBe(Math.floor(receivedAt / 1000) + 30 * 86_400);
    }

    await p.driver.waitUntilIdle();
    expect(p.driver.parked).toEqual([]);
    expect(services.sns.published).toHaveLength(100);
    for (const type of CAMPAIGN_EVENT_TYPES) {
      const sentOfType = batch.filter((event) => typeOf(event) === type);
      const messages = services.sns.messagesFor(p.topicArns[type] as string);
      expect(messages, type).toHaveLength(sentOfType.length);
      for (const message of messages) {
        const body = bodyOf(message);
        const sent = sentOfType.find((event) => eventKeyFor(type, event) === body.eventKey) as CampaignEvent;
        expect(sent, `${type} message for an event that was not sent`).toBeDefined();
        expect(body).toMatchObject({ eventType: type, clientId: 100001, event: { ...sent, type } });
        const attributes = message.messageAttributes;
        expect(attributes.eventType).toEqual({ dataType: 'String', stringValue: type });
        expect(attributes.clientId).toEqual({ dataType: 'Number', stringValue: '100001' });
        expect(attributes.mediaType).toEqual({ dataType: 'String', stringValue: 'EMAIL' });
        if (MAILING_EVENT_TYPES.has(type)) {
          expect(attributes.mailingId).toEqual({ dataType: 'Number', stringValue: String(sent.mailingId) });
        }
        if (type === 'bounce') {
          expect(attributes.bounceCategory).toEqual({
            dataType: 'String',
            stringValue: bounceCategoryOf(sent),
          });
          expect(['hard', 'soft']).toContain(attributes.bounceCategory?.stringValue);
        }
        expect(JSON.stringify(attributes)).not.toContain('@');
      }
    }
  });

  it('answers a redelivered batch 200 again, with no new item and no second publish', async () => {
    const p = await start();
    const batch = mixedBatch(102, 40);
    const first = await p.post(batch);
    await p.driver.waitUntilIdle();
    const publishedOnce = publishedKeys();
    const itemsOnce = await p.items();

    const second = await p.post(batch);
    expect(second).toEqual(first);
    await p.driver.waitUntilIdle();

    const itemsTwice = await p.items();
    expect(itemsTwice.map((item) => item.eventKey).sort()).toEqual(
      itemsOnce.map((item) => item.eventKey).sort(),
    );
    expect(publishedKeys()).toEqual(publishedOnce);
    expect(publishedOnce).toHaveLength(40);
    // The redelivery did reach the stream (as MODIFY records), and the fan-out ignored it.
    expect(p.driver.stats.received).toBe(80);
  });

  it('stores and publishes the good events of a batch, quarantines the bad ones with their issues', async () => {
    const p = await start({ eventTypes: CAMPAIGN_EVENT_TYPES.filter((type) => type !== 'blocklist') });
    const events = factory(103);
    const good = [events.event('open'), events.event('click'), events.event('bounce')];
    const bad = [...events.invalidEvents(), events.event('blocklist'), 42, null, [1, 2]];
    const batch = [good[0], ...bad.slice(0, 4), good[1], ...bad.slice(4), good[2]];
    const response = await p.post(batch);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ received: 12, accepted: 3, quarantined: 9 });
    const reports = response.body.quarantinedEvents as Array<{
      index: number;
      eventKey: string;
      issues: string[];
    }>;
    expect(reports.map((report) => report.index)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(reports.map((report) => report.issues)).toEqual([
      ['type: "teleport" is not a Campaign event type'],
      ['clientId: is required'],
      ['event: needs a recipientId or an address in mediaTypesToAddresses'],
      ['clientId: must be a positive integer (a JSON number or a string of digits)'],
      ['event: must be a JSON object, not a string'],
      ['type: event type "blocklist" is not configured for this deployment (EVENT_TYPES)'],
      ['event: must be a JSON object, not a number'],
      ['event: must be a JSON object, not null'],
      ['event: must be a JSON object, not an array'],
    ]);

    const items = await p.items();
    expect(items).toHaveLength(12);
    const quarantined = items.filter((item) => item.status === 'quarantined');
    for (const report of reports) {
      const item = quarantined.find((candidate) => candidate.eventKey === report.eventKey);
      expect(item, `quarantine item of event ${report.index}`).toMatchObject({
        issues: report.issues,
        raw: JSON.stringify(batch[report.index]),
      });
      expect(item?.expiresAt).toEqual(expect.any(Number));
    }
    expect(quarantined.find((item) => item.raw === JSON.stringify(bad[5]))).toMatchObject({
      eventType: 'blocklist',
      clientId: 100001,
    });

    await p.driver.waitUntilIdle();
    expect(publishedKeys().sort()).toEqual(good.map((event) => eventKeyFor(typeOf(event), event)).sort());
  });

  it('accepts an event whose media-type map it cannot read, annotated, and publishes it (tolerant reader)', async () => {
    const p = await start();
    const events = factory(109);
    const valid = events.event('open');
    // 6,000 entries that are not addresses: the recipient is named by recipientId, so the event is routable.
    const mediaTypesToAddresses = Object.fromEntries(
      Array.from({ length: 6000 }, (_, index) => [`EMAIL_${String(index).padStart(4, '0')}`, index]),
    );
    const garbled = { ...events.event('open'), mediaTypesToAddresses };
    const response = await p.post([valid, garbled]);
    expect(response).toMatchObject({ status: 200, body: { received: 2, accepted: 2, quarantined: 0 } });
    const items = await p.items();
    // About 100 KB of JSON that compresses well: held as rawDeflated (fewer write units).
    const annotated = items.find((item) => storedText(item) === JSON.stringify(garbled));
    expect(annotated).toMatchObject({ status: 'accepted', invalidFields: ['mediaTypesToAddresses'] });
    await p.driver.waitUntilIdle();
    expect(publishedKeys().sort()).toEqual([eventKeyFor('open', valid), eventKeyFor('open', garbled)].sort());
  });

  it('refuses a wrong or missing key with 401 and stores nothing', async () => {
    const p = await start();
    const batch = factory(104).batch(5);
    expect(await p.post(batch, { key: `${p.endpointKey}x` })).toEqual({
      status: 401,
      body: { message: 'Unauthorized' },
    });
    expect(await p.post(batch, { key: null })).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    expect(await p.post('not json at all', { key: 'wrong', contentType: 'text/plain' })).toEqual({
      status: 401,
      body: { message: 'Unauthorized' },
    });
    expect(await p.items()).toEqual([]);
  });

  it('refuses malformed requests with precise 4xx and stores nothing', async () => {
    const p = await start();
    // Campaign's content type is documented nowhere: JSON is accepted whatever the header says.
    expect(await p.post('[]', { contentType: 'text/plain' })).toMatchObject({ status: 200 });
    expect(await p.post('[{"type": "open",]')).toEqual({
      status: 400,
      body: { message: "Body is not valid JSON: unexpected character ']' at position 17 (line 1 column 18)" },
    });
    expect(await p.post('"just a string"')).toMatchObject({ status: 400 });
    expect(await p.post(new Array(1001).fill({}))).toEqual({
      status: 413,
      body: { message: 'Batch has 1001 events; at most 1000 are accepted' },
    });
    expect(await p.post(`[${'"x",'.repeat(250_000)}"x"]`)).toMatchObject({ status: 413 });
    expect(await p.post([])).toMatchObject({ status: 200, body: { received: 0, accepted: 0 } });
    expect(await p.items()).toEqual([]);
  });

  it('accepts the previous and the current key, and a rotated key at once without waiting for the cache', async () => {
    const p = await start();
    const secretName = p.provisioned.endpointKeySecretName;
    services.secrets.putSecret(secretName, { current: 'key-B', previous: 'key-A' });
    const events = factory(105);
    expect((await p.post([events.event('open')], { key: 'key-B' })).status).toBe(200);
    expect((await p.post([events.event('open')], { key: 'key-A' })).status).toBe(200);
    const readsBeforeRotation = services.secrets.reads;

    // Rotation: the new key becomes current, the old current becomes previous.
    services.secrets.putSecret(secretName, { current: 'key-C', previous: 'key-B' });
    // Within 30 s of the last fetch, an unknown key is refused from the cache, costing no fetch.
    expect((await p.post([events.event('open')], { key: 'key-C' })).status).toBe(401);
    expect(services.secrets.reads).toBe(readsBeforeRotation);

    // 31 s later (Powertools still caches the old value for minutes), the new key triggers one fetch.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 31_000);
    expect((await p.post([events.event('open')], { key: 'key-C' })).status).toBe(200);
    expect(services.secrets.reads).toBe(readsBeforeRotation + 1);
    expect((await p.post([events.event('open')], { key: 'key-B' })).status).toBe(200);
    expect((await p.post([events.event('open')], { key: 'key-A' })).status).toBe(401);
    expect(services.secrets.reads).toBe(readsBeforeRotation + 1);
    vi.useRealTimers();

    expect((await p.items()).filter((item) => item.status === 'accepted')).toHaveLength(4);
  });

  it('answers 503 when DynamoDB is down, so the sender retries, and reports nothing as accepted', async () => {
    const p = await start();
    p.faults.dynamodb.refuse();
    const response = await p.post(factory(108).batch(10));
    expect(response).toEqual({
      status: 503,
      body: { message: 'Events could not be stored; retry the whole batch' },
    });
    p.faults.dynamodb.restore();
    expect(await p.items()).toEqual([]);
  });
});

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  MAX_INLINE_EVENT_BYTES,
  MAX_ITEM_BYTES,
  MAX_LISTED_ISSUES,
  type WriteReadyItem,
} from '../../../functions/ingest/event-items.js';
import { eventKeyFor } from '../../../functions/ingest/event-key.js';
import { createEventReader } from '../../../functions/ingest/event-reader.js';
import { type EventStore, EventStoreError, type StoreEntry } from '../../../functions/ingest/event-store.js';
import { classifyBatch, ingestBatch } from '../../../functions/ingest/ingest-batch.js';
import { parseBatch } from '../../../functions/ingest/request-body.js';
import { CAMPAIGN_EVENT_TYPES } from '../../../functions/shared/campaign-event-types.js';
import { fromAttributeMap, itemBytes } from '../../../functions/shared/events/attribute-values.js';
import { readImage } from '../../../functions/shared/events/stored-event.js';
import { CampaignEventFactory } from '../../../local/campaign-simulator/event-factory.js';
import { receivedEvents } from '../../support/stored-events.js';

const receivedAt = new Date('2025-03-01T10:00:00.000Z');
const options = {
  read: createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES, verifyMailingId: 900001 }),
  retentionDays: 30,
  receivedAt,
  bucket: 'large-events',
};
const factory = () => new CampaignEventFactory({ seed: 3, now: () => receivedAt });
const classify = (events: readonly unknown[], extra = {}) =>
  classifyBatch(receivedEvents(events), { ...options, ...extra });
const fromText = (body: string) => {
  const parsed = parseBatch(body, 100);
  if (!parsed.ok) throw new Error(parsed.rejection.message);
  return classifyBatch(parsed.value, options);
};
const itemOf = (item: WriteReadyItem | undefined) =>
  fromAttributeMap(item?.attributes as Record<string, AttributeValue>);

function recordingStore(refuse: (entry: StoreEntry) => string | undefined = () => undefined) {
  const written: StoreEntry[][] = [];
  const store: EventStore = {
    async putAll(entries) {
      written.push([...entries]);
      const refused = entries.flatMap((entry) => {
        const reason = refuse(entry);
        return reason === undefined
          ? []
          : [{ eventKey: entry.item.eventKey, reason, replacement: entry.onRefused(reason) }];
      });
      return { itemsWritten: entries.length, objectsWritten: 0, requests: 1, retries: 0, refused };
    },
  };
  return { store, written };
}

describe('classifyBatch', () => {
  it('turns every event into exactly one item, in batch order, each holding its text as sent', () => {
    const events = [...factory().batch(20), ...factory().invalidEvents()];
    const { outcomes, summary } = classify(events);
    expect(outcomes).toHaveLength(events.length);
    expect(outcomes.slice(0, 20).every(({ item }) => item.status === 'accepted')).toBe(true);
    expect(summary).toMatchObject({ received: 25, accepted: 20, quarantined: 5 });
    expect(outcomes.map(({ item }) => item.attributes.raw?.S)).toEqual(
      events.map((event) => JSON.stringify(event)),
    );
  });

  it('stores the text exactly as received: whitespace, escapes and key order kept', () => {
    const body = '[ {"recipientId" : "r\\u00e9", "type":"OPEN",\n "clientId":"7", "mailingId":2} ]';
    const { outcomes } = fromText(body);
    expect(outcomes[0]?.item.attributes.raw?.S).toBe(
      '{"recipientId" : "r\\u00e9", "type":"OPEN",\n "clientId":"7", "mailingId":2}',
    );
    expect(itemOf(outcomes[0]?.item)).toMatchObject({ eventType: 'open', clientId: 7 });
    // The event is held once, as its text; what is published is read back from it, normalized.
    expect(outcomes[0]?.item.attributes.event).toBeUndefined();
    const reading = readImage(outcomes[0]?.item.attributes as Record<string, StreamAttributeValue>);
    expect(reading.kind === 'accepted' && JSON.stringify(reading.event.event)).toBe(
      '{"recipientId":"ré","type":"open","clientId":7,"mailingId":2}',
    );
  });

  it('reports each quarantined event by index, key and issues', () => {
    const good = factory().event('open');
    const { summary, outcomes } = classify([good, { ...good, clientId: 0 }, 'text']);
    expect(summary.quarantinedEvents).toEqual([
      {
        index: 1,
        eventKey: outcomes[1]?.item.eventKey,
        issues: ['clientId: must be a positive integer (a JSON number or a string of digits)'],
      },
      {
        index: 2,
        eventKey: outcomes[2]?.item.eventKey,
        issues: ['event: must be a JSON object, not a string'],
      },
    ]);
    expect(itemOf(outcomes[1]?.item)).toMatchObject({ status: 'quarantined', eventType: 'open' });
  });

  it('keys accepted items by type and content, so equal events collapse and are counted as duplicates', () => {
    const events = factory();
    const event = events.event('click');
    const { entries, outcomes, summary } = classify([event, { ...event }, events.event('click')]);
    expect(outcomes[0]?.item.eventKey).toBe(eventKeyFor('click', event));
    expect(outcomes[1]?.item.eventKey).toBe(outcomes[0]?.item.eventKey);
    expect(outcomes[2]?.item.eventKey).not.toBe(outcomes[0]?.item.eventKey);
    expect(entries).toHaveLength(2);
    expect(summary).toMatchObject({ received: 3, accepted: 3, duplicates: 1 });
  });

  it('tallies per type, missing fields, bounce categories and delays from the event timestamp', () => {
    const events = [
      {
        type: 'bounce',
        clientId: 1,
        mailingId: 2,
        recipientId: 'a',
        bounceCategory: 'hardbounce',
        created: '2025-03-01T09:59:00Z',
      },
      { type: 'bounce', clientId: 1, mailingId: 2, recipientId: 'b', bounceCategory: 'softbounce' },
      { type: 'bounce', clientId: 1, recipientId: 'c' },
      { type: 'bounce', clientId: 'x', mailingId: 2, recipientId: 'd', bounceCategory: 'hardbounce' },
      { type: 'open', clientId: 1, mailingId: 2, recipientId: 'e', created: '2025-03-01T10:00:30Z' },
    ];
    const { summary } = classify(events);
    expect(summary.bounces).toEqual({ hard: 1, soft: 1, unknown: 1 });
    expect(summary.byType.get('bounce')).toEqual({
      received: 4,
      accepted: 3,
      missingFields: 1,
      delaysSeconds: [60],
    });
    expect(summary.byType.get('open')).toEqual({
      received: 1,
      accepted: 1,
      missingFields: 0,
      delaysSeconds: [0],
    });
  });

  it('annotates the item of an event that lacks an expected field', () => {
    const { outcomes } = classify([{ type: 'unsubscribe', clientId: 1, recipientId: 'r' }]);
    expect(itemOf(outcomes[0]?.item)).toMatchObject({ status: 'accepted', missingFields: ['mailingId'] });
  });

  it('keeps a valid event DynamoDB could not hold as a map whole in S3, accepted, the item pointing to it', () => {
    const base = '"type":"open","clientId":1,"mailingId":2,"recipientId":"r"';
    const texts = [
      `{${base},"padding":"${'x'.repeat(MAX_INLINE_EVENT_BYTES)}"}`,
      `{${base},"extra":{"":1}}`,
      `{${base},"n":1e400}`,
      `{${base},"${'k'.repeat(70_000)}":1}`,
      `{${base},"s":"\\ud800"}`,
      `{${base},"deep":${'['.repeat(40)}${']'.repeat(40)}}`,
    ];
    const { outcomes, summary, entries } = fromText(`[${texts.join(',')}]`);
    expect(summary).toMatchObject({ accepted: 6, quarantined: 0, keptInS3: 6 });
    // One object for the batch (one S3 write), each item pointing to its byte range.
    const objects = entries.flatMap(({ item }) => (item.object ? [item.object] : []));
    expect(objects).toHaveLength(1);
    const [object] = objects as [{ key: string; body: string }];
    expect(object.key).toMatch(/^events\/batch\/[0-9a-f]{64}\.json$/);
    outcomes.forEach(({ item }, index) => {
      expect(item.status).toBe('accepted');
      expect(item.attributes.raw).toBeUndefined();
      expect(item.attributes.event).toBeUndefined();
      const pointer = itemOf(item).rawObject as { key: string; offset: number; bytes: number };
      expect(itemOf(item)).toMatchObject({
        eventType: 'open',
        clientId: 1,
        rawObject: { bucket: 'large-events', key: object.key },
      });
      const text = Buffer.from(object.body)
        .subarray(pointer.offset, pointer.offset + pointer.bytes)
        .toString('utf8');
      expect(text).toBe(texts[index]);
    });
  });

  it('keeps an event whose item would pass the item budget in S3 (a long list of small numbers)', () => {
    const ones = {
      type: 'open',
      clientId: 1,
      mailingId: 2,
      recipientId: 'r',
      ones: new Array(80_000).fill(1),
    };
    expect(Buffer.byteLength(JSON.stringify(ones))).toBeLessThan(MAX_INLINE_EVENT_BYTES);
    const { outcomes } = classify([ones]);
    expect(outcomes[0]?.item).toMatchObject({
      status: 'accepted',
      objectReason: expect.stringMatching(/bytes as an item$/),
    });
    expect(itemBytes(outcomes[0]?.item.attributes ?? {})).toBeLessThanOrEqual(MAX_ITEM_BYTES);
  });

  it('keeps a large quarantined event whole in S3 too', () => {
    const text = JSON.stringify({ junk: 'x'.repeat(MAX_ITEM_BYTES) });
    const { outcomes } = fromText(`[${text}]`);
    expect(outcomes[0]?.item).toMatchObject({ status: 'quarantined', object: { body: text } });
  });

  it('lists at most the listed issues of an event, as its item stores them', () => {
    const issues = Array.from({ length: 500 }, (_, index) => `f${index}`);
    const strict = createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES, requiredFields: { open: issues } });
    const { outcomes, summary } = classify([factory().event('open')], { read: strict });
    const [report] = summary.quarantinedEvents;
    expect(report?.issues).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(report?.issues.at(-1)).toBe(`… and ${500 - MAX_LISTED_ISSUES} more issues`);
    expect(itemOf(outcomes[0]?.item).issues).toEqual(report?.issues);
  });

  it('stores verification events with their own status (never published), counted apart', () => {
    const verify = { type: 'sent', clientId: 1, mailingId: 900001, recipientId: 'test' };
    const { outcomes, summary } = classify([verify]);
    expect(outcomes[0]?.item.status).toBe('verification');
    expect(summary).toMatchObject({ accepted: 1, verification: 1 });
    expect(summary.byType.get('sent')).toBeUndefined();
    const published = classify([verify], { publishVerificationEvents: true });
    expect(published.outcomes[0]?.item.status).toBe('accepted');
  });

  it('accepts an empty batch', () => {
    expect(classify([])).toMatchObject({ entries: [], summary: { received: 0, accepted: 0 } });
  });
});

describe('ingestBatch', () => {
  it('stores every distinct item in one call and returns the summary', async () => {
    const { store, written } = recordingStore();
    const { summary } = await ingestBatch(receivedEvents(factory().batch(30)), { ...options, store });
    expect(written).toHaveLength(1);
    expect(written[0]).toHaveLength(30);
    expect(summary).toMatchObject({ received: 30, accepted: 30 });
  });

  it('counts an item DynamoDB refused as quarantined, reported with the refusal', async () => {
    const events = factory().batch(3, ['open']);
    const second = eventKeyFor('open', events[1]);
    const { store } = recordingStore((entry) =>
      entry.item.eventKey === second ? 'Item size has exceeded the maximum' : undefined,
    );
    const { summary } = await ingestBatch(receivedEvents(events), { ...options, store });
    expect(summary).toMatchObject({ received: 3, accepted: 2, quarantined: 1 });
    expect(summary.quarantinedEvents[0]).toMatchObject({
      index: 1,
      issues: ['event: DynamoDB refused its item: Item size has exceeded the maximum'],
    });
  });

  it('lets a storage failure through, so nothing is reported as accepted', async () => {
    const store: EventStore = {
      putAll: async () => {
        throw new EventStoreError('down', 3);
      },
    };
    await expect(
      ingestBatch(receivedEvents(factory().batch(3)), { ...options, store }),
    ).rejects.toBeInstanceOf(EventStoreError);
  });
});

import { describe, expect, it } from 'vitest';
import { classifyBatch, ingestBatch } from '../../../functions/ingest/ingest-batch.js';
import { CAMPAIGN_EVENT_TYPES } from '../../../functions/shared/campaign-event-types.js';
import { type EventStore, EventStoreError } from '../../../functions/shared/event-store.js';
import { itemBytes } from '../../../functions/shared/events/attribute-values.js';
import { eventKeyFor } from '../../../functions/shared/events/event-key.js';
import { parseJsonLosslessly } from '../../../functions/shared/events/lossless-json.js';
import { createEventValidator } from '../../../functions/shared/events/schema.js';
import {
  type EventItem,
  MAX_ACCEPTED_EVENT_BYTES,
  MAX_ITEM_BYTES,
  MAX_LISTED_ISSUES,
  toItem,
} from '../../../functions/shared/events/stored-event.js';
import { CampaignEventFactory } from '../../../local/campaign-simulator/event-factory.js';

const receivedAt = new Date('2025-03-01T10:00:00.000Z');
const options = {
  validate: createEventValidator({ eventTypes: CAMPAIGN_EVENT_TYPES }),
  retentionDays: 30,
  receivedAt,
};
const factory = () => new CampaignEventFactory({ seed: 3, now: () => receivedAt });

function recordingStore(): EventStore & { written: EventItem[][] } {
  const written: EventItem[][] = [];
  return {
    written,
    async putAll(items) {
      written.push([...items]);
      return { itemsWritten: new Set(items.map((item) => item.eventKey)).size, requests: 1, retries: 0 };
    },
  };
}

describe('classifyBatch', () => {
  it('turns every event into exactly one item, in batch order', () => {
    const events = [...factory().batch(20), ...factory().invalidEvents()];
    const { items, summary } = classifyBatch(events, options);
    expect(items).toHaveLength(events.length);
    expect(items.slice(0, 20).every((item) => item.status === 'accepted')).toBe(true);
    expect(items.slice(20).every((item) => item.status === 'quarantined')).toBe(true);
    expect(summary).toMatchObject({ received: 25, accepted: 20, quarantined: 5 });
    expect(items.map((item) => item.raw)).toEqual(events.map((event) => JSON.stringify(event)));
  });

  it('reports each quarantined event by index, key and issues', () => {
    const good = factory().event('open');
    const { summary, items } = classifyBatch([good, { ...good, clientId: 0 }, 'text'], options);
    expect(summary.quarantinedEvents).toEqual([
      {
        index: 1,
        eventKey: items[1]?.eventKey,
        issues: ['clientId: must be a positive integer (a JSON number or a string of digits)'],
      },
      { index: 2, eventKey: items[2]?.eventKey, issues: ['event: must be a JSON object'] },
    ]);
    expect(items[1]).toMatchObject({ status: 'quarantined', eventType: 'open' });
  });

  it('keys accepted items by type and content, so equal events collapse and are counted as duplicates', () => {
    const events = factory();
    const event = events.event('click');
    const { items, summary } = classifyBatch([event, { ...event }, events.event('click')], options);
    expect(items[0]?.eventKey).toBe(eventKeyFor('click', event));
    expect(items[1]?.eventKey).toBe(items[0]?.eventKey);
    expect(items[2]?.eventKey).not.toBe(items[0]?.eventKey);
    expect(summary).toMatchObject({ received: 3, accepted: 3, duplicates: 1 });
  });

  it('tallies per type, bounce categories and delays from the event timestamp', () => {
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
      { type: 'bounce', clientId: 1, mailingId: 2, recipientId: 'c' },
      { type: 'bounce', clientId: 'x', mailingId: 2, recipientId: 'd', bounceCategory: 'hardbounce' },
      { type: 'open', clientId: 1, mailingId: 2, recipientId: 'e', created: '2025-03-01T10:00:30Z' },
    ];
    const { summary } = classifyBatch(events, options);
    expect(summary.bounces).toEqual({ hard: 1, soft: 1, unknown: 1 });
    expect(summary.byType.get('bounce')).toEqual({ received: 4, accepted: 3, delaysSeconds: [60] });
    expect(summary.byType.get('open')).toEqual({ received: 1, accepted: 1, delaysSeconds: [0] });
  });

  it('quarantines a valid event that DynamoDB or SNS could not take whole', () => {
    const base = { type: 'open', clientId: 1, mailingId: 2, recipientId: 'r' };
    const huge = { ...base, padding: 'x'.repeat(MAX_ACCEPTED_EVENT_BYTES) };
    const emptyKey = { ...base, extra: { '': 1 } };
    const bigNumber = parseJsonLosslessly(
      `{"type":"open","clientId":1,"mailingId":2,"recipientId":"r","n":1e400}`,
    );
    const { items, summary } = classifyBatch([huge, emptyKey, bigNumber], options);
    expect(summary.accepted).toBe(0);
    expect(items.map((item) => item.status)).toEqual(['quarantined', 'quarantined', 'quarantined']);
    expect(summary.quarantinedEvents.map((report) => report.issues[0])).toEqual([
      expect.stringMatching(/^event: is \d+ bytes of JSON; events over 163840 bytes cannot be stored/),
      'event.extra: has an empty field name, which DynamoDB cannot store',
      'event.n: number outside the range DynamoDB stores (1e-130 to 1e126)',
    ]);
  });

  it('quarantines a valid event whose item would take more than the item budget', () => {
    // Under the JSON limit, but each 2-byte list entry takes 3 bytes in the item's event map.
    const ones = {
      type: 'open',
      clientId: 1,
      mailingId: 2,
      recipientId: 'r',
      ones: new Array(80_000).fill(1),
    };
    expect(Buffer.byteLength(JSON.stringify(ones))).toBeLessThan(MAX_ACCEPTED_EVENT_BYTES);
    const { items, summary } = classifyBatch([ones], options);
    expect(items[0]?.status).toBe('quarantined');
    expect(summary.quarantinedEvents[0]?.issues).toEqual([
      expect.stringMatching(
        new RegExp(
          `^event: takes \\d+ bytes as a DynamoDB item \\(the event and its raw text\\); at most ${MAX_ITEM_BYTES} are stored$`,
        ),
      ),
    ]);
    expect(itemBytes(toItem(items[0] as EventItem))).toBeLessThanOrEqual(MAX_ITEM_BYTES);
  });

  it('reports at most the listed issues of an event, as its item stores them', () => {
    const addresses = Object.fromEntries(Array.from({ length: 500 }, (_, index) => [`M${index}`, index]));
    const event = { ...factory().event('open'), mediaTypesToAddresses: addresses };
    const { items, summary } = classifyBatch([event], options);
    const [report] = summary.quarantinedEvents;
    expect(report?.issues).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(report?.issues.at(-1)).toBe(`… and ${500 - MAX_LISTED_ISSUES} more issues`);
    expect(items[0]).toMatchObject({ status: 'quarantined', issues: report?.issues });
  });

  it('accepts an empty batch', () => {
    expect(classifyBatch([], options)).toMatchObject({ items: [], summary: { received: 0, accepted: 0 } });
  });
});

describe('ingestBatch', () => {
  it('stores all items in one call and returns the summary with the storage result', async () => {
    const store = recordingStore();
    const events = factory().batch(30);
    const summary = await ingestBatch(events, { ...options, store });
    expect(store.written).toHaveLength(1);
    expect(store.written[0]).toHaveLength(30);
    expect(summary).toMatchObject({ received: 30, accepted: 30, storage: { requests: 1 } });
  });

  it('lets a storage failure through, so nothing is reported as accepted', async () => {
    const store: EventStore = {
      putAll: async () => {
        throw new EventStoreError('down', ['k']);
      },
    };
    await expect(ingestBatch(factory().batch(3), { ...options, store })).rejects.toBeInstanceOf(
      EventStoreError,
    );
  });
});

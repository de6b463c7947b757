import { fc, test } from '@fast-check/vitest';
import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createEventReader } from '../../../functions/ingest/event-reader.js';
import { classifyBatch } from '../../../functions/ingest/ingest-batch.js';
import { parseBatch } from '../../../functions/ingest/request-body.js';
import { CAMPAIGN_EVENT_TYPES } from '../../../functions/shared/campaign-event-types.js';
import { readImage } from '../../../functions/shared/events/stored-event.js';
import { dynamoItemBytes, heldText } from '../../support/stored-items.js';

/**
 * What an event costs to write: DynamoDB bills one write unit per started kilobyte of the item, counted
 * as attribute names plus values (test/support/stored-items.ts, from DynamoDB's documentation). The events
 * are written from docs/PAYLOAD.md: the required fields, the assumed time, bounce and media fields, and
 * realistic extras (a tracking link, a bounce reason from the receiving server).
 */
const WRITE_UNIT = 1024;
const read = createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES });
const receivedAt = new Date('2026-12-01T10:00:00.000Z');

function storedItem(text: string) {
  const parsed = parseBatch(`[${text}]`, 1);
  if (!parsed.ok) throw new Error(parsed.rejection.message);
  const { outcomes } = classifyBatch(parsed.value, { read, receivedAt, retentionDays: 30, bucket: 'b' });
  const item = outcomes[0]?.item;
  if (item === undefined || item.status !== 'accepted') throw new Error(`not accepted: ${text}`);
  return item.attributes;
}

const mailingTypes = new Set(['sent', 'bounce', 'open', 'click', 'unsubscribe', 'spamcomplaint']);

/** A typical event of the type as PAYLOAD.md describes it (the wire name of `archive` is `archived`). */
function typicalEvent(type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const address = 'anna.mueller-schmidt@example.com';
  return {
    type: type === 'archive' ? 'archived' : type,
    clientId: 1234567890,
    ...(mailingTypes.has(type) && { mailingId: 987654321012 }),
    recipientId: address,
    mediaTypesToAddresses: { EMAIL: address },
    created: '2026-12-01T09:59:58.123Z',
    ...(type === 'bounce' && {
      bounceCategory: 'hardbounce',
      bounceReason: '550 5.1.1 <anna.mueller-schmidt@example.com>: Recipient address rejected',
      mediaType: 'EMAIL',
    }),
    ...(type === 'click' && {
      link: 'https://www.example.com/winter/offers?utm_source=campaign&utm_medium=email',
    }),
    ...extra,
  };
}

/** The typical event grown to exactly `bytes` of JSON by a longer tracking link (what makes events long). */
function eventOfSize(type: string, bytes: number): string {
  const words = 'winter-sale-offers-newsletter-december-personalised-recommendations-'.repeat(20);
  const base = JSON.stringify(typicalEvent(type, { link: '' }));
  const link = `https://www.example.com/${words}`.slice(0, bytes - Buffer.byteLength(base));
  const text = JSON.stringify(typicalEvent(type, { link }));
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

describe('item size: one write unit per event', () => {
  it('a typical event of every type is one write unit, its text held plainly', () => {
    for (const type of CAMPAIGN_EVENT_TYPES) {
      const text = JSON.stringify(typicalEvent(type));
      const item = storedItem(text);
      expect(item.raw?.S, type).toBe(text);
      expect(dynamoItemBytes(item), type).toBeLessThanOrEqual(WRITE_UNIT);
    }
  });

  it('an 800-byte event of every type is one write unit, and publishes as it would plainly', () => {
    for (const type of CAMPAIGN_EVENT_TYPES) {
      const text = eventOfSize(type, 800);
      const item = storedItem(text);
      expect(dynamoItemBytes(item), type).toBeLessThanOrEqual(WRITE_UNIT);
      expect(heldText(item, new Map())).toBe(text);
      const reading = readImage(item as Record<string, StreamAttributeValue>);
      expect(reading.kind === 'accepted' && reading.event.event).toEqual({
        ...JSON.parse(text),
        type,
      });
    }
  });

  test.prop(
    [
      fc.constantFrom(...CAMPAIGN_EVENT_TYPES),
      fc.emailAddress().filter((address) => address.length <= 64),
      fc.array(fc.tuple(fc.lorem({ maxCount: 1 }), fc.oneof(fc.lorem({ maxCount: 12 }), fc.webUrl())), {
        maxLength: 12,
      }),
    ],
    { numRuns: 200 },
  )(
    'any event of up to 800 bytes with a recipient of up to 64 bytes is one write unit',
    (type, address, extras) => {
      const event = {
        ...typicalEvent(type),
        recipientId: address,
        mediaTypesToAddresses: { EMAIL: address },
        ...Object.fromEntries(extras.map(([name, value]) => [`x${name}`, value])),
      };
      const text = JSON.stringify(event);
      fc.pre(Buffer.byteLength(text) <= 800);
      const item = storedItem(text);
      expect(dynamoItemBytes(item)).toBeLessThanOrEqual(WRITE_UNIT);
      expect(heldText(item, new Map())).toBe(text);
    },
  );

  it('compresses only when it saves a write unit: a large event still costs fewer units than plainly', () => {
    const text = eventOfSize('click', 1300);
    const item = storedItem(text);
    expect(item.raw).toBeUndefined();
    expect(Math.ceil(dynamoItemBytes(item) / WRITE_UNIT)).toBe(1);
    const { rawDeflated: _deflated, ...envelope } = item;
    expect(Math.ceil(dynamoItemBytes({ ...envelope, raw: { S: text } }) / WRITE_UNIT)).toBe(2);
  });
});

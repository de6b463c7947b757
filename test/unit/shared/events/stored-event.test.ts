import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { expiresAtFor } from '../../../../functions/ingest/event-items.js';
import { eventKeyFor } from '../../../../functions/ingest/event-key.js';
import { createEventReader } from '../../../../functions/ingest/event-reader.js';
import { classifyBatch } from '../../../../functions/ingest/ingest-batch.js';
import { parseBatch } from '../../../../functions/ingest/request-body.js';
import { CAMPAIGN_EVENT_TYPES } from '../../../../functions/shared/campaign-event-types.js';
import { toAttributeValue } from '../../../../functions/shared/events/attribute-values.js';
import { readImage } from '../../../../functions/shared/events/stored-event.js';

const receivedAt = new Date('2025-03-01T10:00:00.000Z');

/** The stream image of the item the ingest writes for this event text. */
function imageOf(text: string): Record<string, StreamAttributeValue> {
  const parsed = parseBatch(`[${text}]`, 1);
  if (!parsed.ok) throw new Error(parsed.rejection.message);
  const { entries } = classifyBatch(parsed.value, {
    read: createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES, verifyMailingId: 900001 }),
    receivedAt,
    retentionDays: 30,
    bucket: 'large-events',
  });
  return entries[0]?.item.attributes as Record<string, StreamAttributeValue>;
}

describe('expiresAtFor', () => {
  it('is epoch seconds retentionDays after receipt', () => {
    expect(expiresAtFor(new Date('2025-03-01T10:00:00Z'), 30)).toBe(
      Date.parse('2025-03-31T10:00:00Z') / 1000,
    );
  });
});

describe('readImage', () => {
  const text = '{"type":"open","clientId":"7","mailingId":9,"recipientId":5,"extra":{"a":[1]}}';
  const image = imageOf(text);

  it('reads an accepted item as the event to publish, without the raw text', () => {
    expect(readImage(image)).toEqual({
      kind: 'accepted',
      event: {
        eventKey: eventKeyFor('open', JSON.parse(text)),
        eventType: 'open',
        clientId: 7,
        mailingId: 9,
        recipientId: '5',
        receivedAt: '2025-03-01T10:00:00.000Z',
        event: { type: 'open', clientId: 7, mailingId: 9, recipientId: '5', extra: { a: [1] } },
      },
    });
  });

  it("holds the event once, as its text, and publishes it normalized from the item's attributes", () => {
    expect(image.raw).toEqual({ S: text });
    expect(image.event).toBeUndefined();
    const padded = imageOf(' { "type" : "OPEN", "clientId":"007", "recipientId":12, "n":1.50 } ');
    const reading = readImage(padded);
    expect(reading.kind === 'accepted' && JSON.stringify(reading.event.event)).toBe(
      '{"type":"open","clientId":7,"recipientId":"12","n":1.5}',
    );
  });

  it('reads an item written with the event as a map (before the text alone was kept) as it is', () => {
    const { raw: _raw, ...envelope } = image;
    const legacy = {
      ...envelope,
      raw: { S: '{"stale":true}' },
      event: toAttributeValue({ type: 'open', a: 1 }),
    };
    const reading = readImage(legacy as Record<string, StreamAttributeValue>);
    expect(reading.kind === 'accepted' && reading.event.event).toEqual({ type: 'open', a: 1 });
  });

  it('publishes the key order received, and fields named __proto__ or constructor', () => {
    const reading = readImage(
      imageOf('{"type":"open","clientId":1,"recipientId":"r","__proto__":{"b":1},"constructor":2}'),
    );
    expect(reading.kind).toBe('accepted');
    if (reading.kind !== 'accepted') return;
    expect(JSON.stringify(reading.event.event)).toBe(
      '{"type":"open","clientId":1,"recipientId":"r","__proto__":{"b":1},"constructor":2}',
    );
  });

  it('carries ids beyond 2^53 digit for digit, and the missing-field annotation', () => {
    const reading = readImage(
      imageOf('{"type":"unsubscribe","clientId":9223372036854775807,"recipientId":"r"}'),
    );
    expect(reading.kind).toBe('accepted');
    if (reading.kind !== 'accepted') return;
    expect(JSON.stringify(reading.event)).toMatch(
      /^\{"eventKey":"unsubscribe#[0-9a-f]{64}","eventType":"unsubscribe","clientId":9223372036854775807,/,
    );
    expect(reading.event.missingFields).toEqual(['mailingId']);
  });

  it('reads an event kept in S3 as a pointer, with no event fields', () => {
    const reading = readImage(
      imageOf(`{"type":"open","clientId":1,"recipientId":"r","big":"${'x'.repeat(200_000)}"}`),
    );
    expect(reading).toMatchObject({
      kind: 'accepted',
      event: {
        eventType: 'open',
        rawObject: {
          bucket: 'large-events',
          key: expect.stringMatching(/^events\/open\//),
          offset: 0,
          bytes: 200_055,
        },
      },
    });
    if (reading.kind === 'accepted') expect(reading.event.event).toBeUndefined();
  });

  it('tells other statuses apart from unreadable images', () => {
    expect(readImage(imageOf('"x"'))).toEqual({ kind: 'not-accepted', status: 'quarantined' });
    expect(readImage(imageOf('{"type":"sent","clientId":1,"mailingId":900001,"recipientId":"r"}'))).toEqual({
      kind: 'not-accepted',
      status: 'verification',
    });
    expect(readImage(undefined)).toMatchObject({ kind: 'unreadable' });
    const { raw: _raw, clientId: _clientId, ...broken } = image;
    expect(readImage(broken)).toEqual({
      kind: 'unreadable',
      reason: 'missing or malformed attributes: clientId, event',
    });
    expect(readImage({ ...image, eventType: { S: 'teleport' } })).toMatchObject({ kind: 'unreadable' });
    expect(readImage({ ...image, extra: { SS: ['a'] } })).toMatchObject({ kind: 'unreadable' });
  });
});

import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { itemBytes } from '../../../../functions/shared/events/attribute-values.js';
import { eventKeyFor, quarantineKeyFor } from '../../../../functions/shared/events/event-key.js';
import type { CampaignEventRecord } from '../../../../functions/shared/events/schema.js';
import {
  acceptedItem,
  expiresAtFor,
  MAX_ISSUE_BYTES,
  MAX_ITEM_BYTES,
  MAX_LISTED_ISSUES,
  quarantinedItem,
  readImage,
  toItem,
} from '../../../../functions/shared/events/stored-event.js';

const receivedAt = new Date('2025-03-01T10:00:00.000Z');
const times = { receivedAt, retentionDays: 30 };
const raw = { type: 'archived', clientId: '7', recipientId: 5, extra: { a: [1] } };
const normalized: CampaignEventRecord = { type: 'archive', clientId: 7, recipientId: '5', extra: { a: [1] } };

describe('expiresAtFor', () => {
  it('is epoch seconds retentionDays after receipt', () => {
    expect(expiresAtFor(receivedAt, 30)).toBe(Date.parse('2025-03-31T10:00:00Z') / 1000);
  });
});

describe('acceptedItem + toItem', () => {
  it('builds the item the stack contract describes', () => {
    const item = acceptedItem(normalized, raw, JSON.stringify(raw), times);
    expect(toItem(item)).toEqual({
      eventKey: { S: eventKeyFor('archive', raw) },
      status: { S: 'accepted' },
      eventType: { S: 'archive' },
      clientId: { N: '7' },
      recipientId: { S: '5' },
      event: {
        M: {
          type: { S: 'archive' },
          clientId: { N: '7' },
          recipientId: { S: '5' },
          extra: { M: { a: { L: [{ N: '1' }] } } },
        },
      },
      raw: { S: '{"type":"archived","clientId":"7","recipientId":5,"extra":{"a":[1]}}' },
      receivedAt: { S: '2025-03-01T10:00:00.000Z' },
      expiresAt: { N: String(expiresAtFor(receivedAt, 30)) },
    });
  });

  it('carries mailingId only when it is a number', () => {
    const withMailing = acceptedItem({ ...normalized, type: 'open', mailingId: 9 }, raw, '{}', times);
    expect(toItem(withMailing).mailingId).toEqual({ N: '9' });
    const withNull = acceptedItem({ ...normalized, mailingId: null }, raw, '{}', times);
    expect(toItem(withNull).mailingId).toBeUndefined();
    expect(toItem(withNull).event).toMatchObject({ M: { mailingId: { NULL: true } } });
  });
});

describe('quarantinedItem + toItem', () => {
  it('stores the issues, the raw text and what could be read', () => {
    const item = quarantinedItem('text', '"text"', ['event: must be a JSON object'], {}, times);
    expect(toItem(item)).toEqual({
      eventKey: { S: quarantineKeyFor('text') },
      status: { S: 'quarantined' },
      issues: { L: [{ S: 'event: must be a JSON object' }] },
      raw: { S: '"text"' },
      receivedAt: { S: '2025-03-01T10:00:00.000Z' },
      expiresAt: { N: String(expiresAtFor(receivedAt, 30)) },
    });
    const readable = quarantinedItem(raw, '{}', ['x'], { eventType: 'archive', clientId: 7 }, times);
    expect(toItem(readable)).toMatchObject({ eventType: { S: 'archive' }, clientId: { N: '7' } });
  });

  it('cuts raw text that would not fit an item at a character boundary, and says so', () => {
    const rawText = JSON.stringify({ big: 'é'.repeat(MAX_ITEM_BYTES) });
    const item = quarantinedItem({}, rawText, ['too big'], {}, times);
    const bytes = itemBytes(toItem(item));
    expect(bytes).toBeLessThanOrEqual(MAX_ITEM_BYTES);
    expect(bytes).toBeGreaterThan(MAX_ITEM_BYTES - 2);
    expect(item.rawTruncated).toBe(true);
    expect(item.rawBytes).toBe(Buffer.byteLength(rawText));
    expect(rawText.startsWith(item.raw)).toBe(true);
    expect(item.raw).not.toContain('\uFFFD');
  });

  it('keeps raw text that fits whole, without the truncation attributes', () => {
    const rawText = JSON.stringify({ big: 'x'.repeat(300 * 1024) });
    const item = quarantinedItem({}, rawText, ['too big'], {}, times);
    expect(item.raw).toBe(rawText);
    expect(toItem(item).rawTruncated).toBeUndefined();
    expect(toItem(item).rawBytes).toBeUndefined();
  });

  it('keeps the first issues and counts the rest, so thousands of issues cannot overflow the item', () => {
    const issues = Array.from({ length: 6000 }, (_, index) => `mediaTypesToAddresses.m${index}: bad`);
    const item = quarantinedItem({}, '{}', issues, {}, times);
    expect(item.issues).toEqual([...issues.slice(0, MAX_LISTED_ISSUES), '… and 5980 more issues']);
    const one = quarantinedItem({}, '{}', issues.slice(0, MAX_LISTED_ISSUES + 1), {}, times);
    expect(one.issues.at(-1)).toBe('… and 1 more issue');
    const exactly = quarantinedItem({}, '{}', issues.slice(0, MAX_LISTED_ISSUES), {}, times);
    expect(exactly.issues).toEqual(issues.slice(0, MAX_LISTED_ISSUES));
  });

  it('cuts an overlong issue (a path through a huge field name) and still fits the item in the worst case', () => {
    const longName = `${'ü'.repeat(100_000)}`;
    const issues = Array.from({ length: 10_000 }, (_, index) => `${longName}${index}: must be a string`);
    const rawText = JSON.stringify({ junk: 'x'.repeat(5_000_000) });
    const item = quarantinedItem({}, rawText, issues, { eventType: 'open', clientId: 1 }, times);
    expect(item.issues).toHaveLength(MAX_LISTED_ISSUES + 1);
    for (const issue of item.issues) {
      expect(Buffer.byteLength(issue)).toBeLessThanOrEqual(MAX_ISSUE_BYTES);
    }
    expect(item.issues[0]).toMatch(/^ü+…$/);
    expect(itemBytes(toItem(item))).toBeLessThanOrEqual(MAX_ITEM_BYTES);
    expect(item.raw.length).toBeGreaterThan(300_000);
  });
});

describe('readImage', () => {
  const image = toItem(
    acceptedItem({ ...normalized, type: 'open', mailingId: 9 }, raw, '{}', times),
  ) as Record<string, StreamAttributeValue>;

  it('reads an accepted item as the event to publish, without the raw text', () => {
    expect(readImage(image)).toEqual({
      kind: 'accepted',
      event: {
        eventKey: eventKeyFor('open', raw),
        eventType: 'open',
        clientId: 7,
        mailingId: 9,
        recipientId: '5',
        receivedAt: '2025-03-01T10:00:00.000Z',
        event: { type: 'open', clientId: 7, mailingId: 9, recipientId: '5', extra: { a: [1] } },
      },
    });
  });

  it('tells other statuses apart from unreadable images', () => {
    const quarantined = toItem(quarantinedItem('x', '"x"', ['bad'], {}, times)) as Record<
      string,
      StreamAttributeValue
    >;
    expect(readImage(quarantined)).toEqual({ kind: 'not-accepted', status: 'quarantined' });
    expect(readImage(undefined)).toMatchObject({ kind: 'unreadable' });
    const { event: _event, clientId: _clientId, ...broken } = image;
    expect(readImage(broken)).toEqual({
      kind: 'unreadable',
      reason: 'missing or malformed attributes: clientId, event',
    });
    expect(readImage({ ...image, eventType: { S: 'teleport' } })).toMatchObject({ kind: 'unreadable' });
    expect(readImage({ ...image, extra: { SS: ['a'] } })).toMatchObject({ kind: 'unreadable' });
  });
});

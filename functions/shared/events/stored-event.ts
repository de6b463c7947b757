import { inflateRawSync } from 'node:zlib';
import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { type CampaignEventType, isCampaignEventType } from '../campaign-event-types.js';
import { EVENT_STATUS } from '../contracts/event-table.js';
import { fromAttributeMap } from './attribute-values.js';
import { type EventId, isEventId } from './event-id.js';
import { parseJsonLosslessly } from './lossless-json.js';

/**
 * The table item of one event, and the message the fan-out publishes from it.
 *
 * Attribute names are a contract with the stack (contracts/event-table.ts: key `eventKey`, stream filter
 * on `status`, TTL on `expiresAt`):
 * - every item: `eventKey` (S, partition key), `status` ({@link EVENT_STATUS}), `receivedAt`
 *   (ISO-8601), `expiresAt` (N: epoch seconds, TTL), and the event exactly as received: either `raw`
 *   (S: its source text, byte for byte), or `rawDeflated` (B: that text's UTF-8 bytes, raw DEFLATE, for an
 *   accepted event whose item costs fewer write units so; see functions/ingest/event-items.ts), or, when it does not fit an item, `rawObject` (M: `bucket`,
 *   `key`, `offset`, `bytes`: the byte range of an encrypted S3 object holding that text, expired with
 *   the same retention);
 * - accepted and verification: `eventType` (registration name), `clientId` (N), `mailingId` (N, when
 *   readable), `recipientId` (S, when present), `missingFields` / `invalidFields` (L of S, when any).
 *   The normalized event is not stored: it is `raw` read back (numbers a double cannot hold kept exactly)
 *   with `type`, `clientId`, `mailingId` and `recipientId` set to those attributes (see
 *   {@link normalizedEvent}), so the item holds the event once. Items written before that carry it as
 *   `event` (M), which is read as it is;
 * - quarantined: `issues` (L of S), `eventType` / `clientId` when they could be read.
 */
export { EVENT_STATUS };

/** Where an event too large for a DynamoDB item is kept whole (the claim check). */
export interface RawObjectPointer {
  readonly bucket: string;
  readonly key: string;
  /** Where the event's text starts in the object, in bytes (one object can hold a batch's large events). */
  readonly offset: number;
  /** Length of the event's source text in UTF-8 bytes: read it with `Range: bytes=offset-(offset+bytes-1)`. */
  readonly bytes: number;
}

/**
 * What the fan-out publishes for an accepted event (the SNS message body, as JSON). `event` is the
 * normalized event; an event kept in S3 has `rawObject` instead (the message carries the pointer).
 * `missingFields` / `invalidFields` appear only when the event lacks or garbles a field the product
 * expects (see docs/PAYLOAD.md).
 */
export interface PublishedEvent {
  readonly eventKey: string;
  readonly eventType: CampaignEventType;
  readonly clientId: EventId;
  readonly mailingId?: EventId;
  readonly recipientId?: string;
  readonly receivedAt: string;
  readonly event?: Record<string, unknown>;
  readonly rawObject?: RawObjectPointer;
  readonly missingFields?: readonly string[];
  readonly invalidFields?: readonly string[];
}

export type ImageReading =
  | { readonly kind: 'accepted'; readonly event: PublishedEvent }
  | { readonly kind: 'not-accepted'; readonly status: string }
  | { readonly kind: 'unreadable'; readonly reason: string };

/** Reads a stream record's NewImage: an accepted event to publish, another status, or why it is unreadable. */
export function readImage(image: Readonly<Record<string, StreamAttributeValue>> | undefined): ImageReading {
  if (image === undefined) return { kind: 'unreadable', reason: 'the record has no NewImage' };
  let item: Record<string, unknown>;
  try {
    item = fromAttributeMap(image);
  } catch (error) {
    return { kind: 'unreadable', reason: (error as Error).message };
  }
  if (item.status !== EVENT_STATUS.accepted) {
    return { kind: 'not-accepted', status: String(item.status) };
  }
  const text = storedText(item);
  const event = item.event ?? (text === undefined ? undefined : normalizedEvent(item, text));
  const problems = imageProblems(item, event);
  if (problems.length > 0) {
    return { kind: 'unreadable', reason: `missing or malformed attributes: ${problems.join(', ')}` };
  }
  const { eventKey, eventType, clientId, mailingId, recipientId, receivedAt, rawObject } = item;
  return {
    kind: 'accepted',
    event: {
      eventKey: eventKey as string,
      eventType: eventType as CampaignEventType,
      clientId: clientId as EventId,
      ...(mailingId !== undefined && { mailingId: mailingId as EventId }),
      ...(recipientId !== undefined && { recipientId: recipientId as string }),
      receivedAt: receivedAt as string,
      ...(event !== undefined && { event: event as Record<string, unknown> }),
      ...(rawObject !== undefined && { rawObject: { ...(rawObject as RawObjectPointer) } }),
      ...annotation(item, 'missingFields'),
      ...annotation(item, 'invalidFields'),
    },
  };
}

/**
 * The normalized event of an item that holds only its text: the text read as the ingest read it, with
 * the routing fields the ingest normalized (type, ids, recipient) replaced by the item's attributes, in
 * place, so the key order stays the order received.
 */
function normalizedEvent(item: Record<string, unknown>, text: string): Record<string, unknown> | undefined {
  let event: unknown;
  try {
    event = parseJsonLosslessly(text);
  } catch {
    return undefined;
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const record = event as Record<string, unknown>;
  record.type = item.eventType;
  record.clientId = item.clientId;
  if (item.mailingId !== undefined) record.mailingId = item.mailingId;
  if (item.recipientId !== undefined) record.recipientId = item.recipientId;
  return record;
}

/**
 * The event's text as the item holds it: `raw`, or `rawDeflated` (its UTF-8 bytes compressed with raw
 * DEFLATE, read from an item as base64: see fromAttributeValue). Undefined when it holds neither (kept in S3).
 */
export function storedText(item: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof item.raw === 'string') return item.raw;
  if (typeof item.rawDeflated !== 'string') return undefined;
  try {
    return STRICT_UTF8.decode(inflateRawSync(Buffer.from(item.rawDeflated, 'base64')));
  } catch {
    return undefined;
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function imageProblems(item: Record<string, unknown>, event: unknown): string[] {
  const { eventKey, eventType, clientId, mailingId, recipientId, receivedAt, rawObject } = item;
  const isObject = (value: unknown) => value !== null && typeof value === 'object' && !Array.isArray(value);
  return [
    typeof eventKey !== 'string' && 'eventKey',
    !isCampaignEventType(eventType) && 'eventType',
    !isEventId(clientId) && 'clientId',
    mailingId !== undefined && !isEventId(mailingId) && 'mailingId',
    recipientId !== undefined && typeof recipientId !== 'string' && 'recipientId',
    typeof receivedAt !== 'string' && 'receivedAt',
    !(isObject(event) || (event === undefined && isPointer(rawObject))) && 'event',
  ].filter((problem): problem is string => problem !== false);
}

function isPointer(value: unknown): value is RawObjectPointer {
  const pointer = value as Partial<RawObjectPointer> | undefined;
  return (
    typeof pointer?.bucket === 'string' &&
    typeof pointer.key === 'string' &&
    typeof pointer.offset === 'number' &&
    typeof pointer.bytes === 'number'
  );
}

function annotation(item: Record<string, unknown>, name: 'missingFields' | 'invalidFields') {
  const value = item[name];
  return Array.isArray(value) && value.length > 0 ? { [name]: value.map(String) } : {};
}

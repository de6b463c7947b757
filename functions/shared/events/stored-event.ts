import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { type CampaignEventType, isCampaignEventType } from '../campaign-event-types.js';
import { fromAttributeMap, toAttributeMap, toAttributeValue } from './attribute-values.js';
import { eventKeyFor, quarantineKeyFor } from './event-key.js';
import type { CampaignEventRecord } from './schema.js';

/**
 * The table item of one event, and the message the fan-out publishes from it.
 *
 * Attribute names are a contract with the stack (stream filter on `status`, TTL on `expiresAt`):
 * - every item: `eventKey` (S, partition key), `status` ('accepted' | 'quarantined'), `raw` (S: the
 *   event's JSON text as received, re-serialized without whitespace), `receivedAt` (ISO-8601),
 *   `expiresAt` (N: epoch seconds, TTL);
 * - accepted: `eventType` (registration name), `clientId` (N), `mailingId` (N, when present),
 *   `recipientId` (S, when present), `event` (M: the normalized event);
 * - quarantined: `issues` (L of S), `eventType` / `clientId` when they could be read, `rawTruncated`
 *   (BOOL) and `rawBytes` (N) when the raw text was cut to fit an item.
 */
export const EVENT_STATUS = { accepted: 'accepted', quarantined: 'quarantined' } as const;

/**
 * Largest accepted event, as JSON bytes. An item holds the event twice (map and raw text) under
 * DynamoDB's 400 KB item limit, and the published message (the event plus a small envelope) must stay
 * under SNS's 256 KiB; a larger event is quarantined with its raw text.
 */
export const MAX_ACCEPTED_EVENT_BYTES = 160 * 1024;
/** Longest raw text kept in a quarantine item; longer text is cut and the item flagged `rawTruncated`. */
export const MAX_QUARANTINED_RAW_BYTES = 300 * 1024;

export interface AcceptedEventItem {
  readonly eventKey: string;
  readonly status: typeof EVENT_STATUS.accepted;
  readonly eventType: CampaignEventType;
  readonly clientId: number;
  readonly mailingId?: number;
  readonly recipientId?: string;
  readonly event: CampaignEventRecord;
  readonly raw: string;
  readonly receivedAt: string;
  readonly expiresAt: number;
}

export interface QuarantinedEventItem {
  readonly eventKey: string;
  readonly status: typeof EVENT_STATUS.quarantined;
  readonly issues: readonly string[];
  readonly raw: string;
  readonly rawTruncated?: true;
  readonly rawBytes?: number;
  readonly eventType?: CampaignEventType;
  readonly clientId?: number;
  readonly receivedAt: string;
  readonly expiresAt: number;
}

export type EventItem = AcceptedEventItem | QuarantinedEventItem;

export interface ItemTimes {
  readonly receivedAt: Date;
  readonly retentionDays: number;
}

/** TTL value: epoch seconds `retentionDays` after the event was received. */
export function expiresAtFor(receivedAt: Date, retentionDays: number): number {
  return Math.floor(receivedAt.getTime() / 1000) + retentionDays * 86_400;
}

export function acceptedItem(
  event: CampaignEventRecord,
  rawEvent: unknown,
  rawText: string,
  times: ItemTimes,
): AcceptedEventItem {
  return {
    eventKey: eventKeyFor(event.type, rawEvent),
    status: EVENT_STATUS.accepted,
    eventType: event.type,
    clientId: event.clientId,
    ...(typeof event.mailingId === 'number' && { mailingId: event.mailingId }),
    ...(typeof event.recipientId === 'string' && { recipientId: event.recipientId }),
    event,
    raw: rawText,
    receivedAt: times.receivedAt.toISOString(),
    expiresAt: expiresAtFor(times.receivedAt, times.retentionDays),
  };
}

export function quarantinedItem(
  rawEvent: unknown,
  rawText: string,
  issues: readonly string[],
  readable: { eventType?: CampaignEventType; clientId?: number },
  times: ItemTimes,
): QuarantinedEventItem {
  const rawBytes = Buffer.byteLength(rawText);
  const truncated = rawBytes > MAX_QUARANTINED_RAW_BYTES;
  return {
    eventKey: quarantineKeyFor(rawEvent),
    status: EVENT_STATUS.quarantined,
    issues,
    raw: truncated ? truncateUtf8(rawText, MAX_QUARANTINED_RAW_BYTES) : rawText,
    ...(truncated && { rawTruncated: true as const, rawBytes }),
    ...readable,
    receivedAt: times.receivedAt.toISOString(),
    expiresAt: expiresAtFor(times.receivedAt, times.retentionDays),
  };
}

function truncateUtf8(text: string, maxBytes: number): string {
  // Cutting a multi-byte character leaves U+FFFD at the end; the item is flagged as truncated anyway.
  return Buffer.from(text).subarray(0, maxBytes).toString('utf8');
}

/** The DynamoDB item of an event. */
export function toItem(item: EventItem): Record<string, AttributeValue> {
  if (item.status === EVENT_STATUS.quarantined) {
    return toAttributeMap({ ...item, issues: [...item.issues] });
  }
  const { event, ...attributes } = item;
  return { ...toAttributeMap(attributes), event: toAttributeValue(event) };
}

/** What the fan-out publishes for an accepted event (the SNS message body, as JSON). */
export interface PublishedEvent {
  readonly eventKey: string;
  readonly eventType: CampaignEventType;
  readonly clientId: number;
  readonly mailingId?: number;
  readonly recipientId?: string;
  readonly receivedAt: string;
  readonly event: Record<string, unknown>;
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
  const { eventKey, eventType, clientId, mailingId, recipientId, receivedAt, event } = item;
  const problems = [
    typeof eventKey !== 'string' && 'eventKey',
    !isCampaignEventType(eventType) && 'eventType',
    typeof clientId !== 'number' && 'clientId',
    mailingId !== undefined && typeof mailingId !== 'number' && 'mailingId',
    recipientId !== undefined && typeof recipientId !== 'string' && 'recipientId',
    typeof receivedAt !== 'string' && 'receivedAt',
    (event === null || typeof event !== 'object' || Array.isArray(event)) && 'event',
  ].filter((problem): problem is string => problem !== false);
  if (problems.length > 0) {
    return { kind: 'unreadable', reason: `missing or malformed attributes: ${problems.join(', ')}` };
  }
  return {
    kind: 'accepted',
    event: {
      eventKey: eventKey as string,
      eventType: eventType as CampaignEventType,
      clientId: clientId as number,
      ...(mailingId !== undefined && { mailingId: mailingId as number }),
      ...(recipientId !== undefined && { recipientId: recipientId as string }),
      receivedAt: receivedAt as string,
      event: event as Record<string, unknown>,
    },
  };
}

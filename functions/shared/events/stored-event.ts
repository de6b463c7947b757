import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { type CampaignEventType, isCampaignEventType } from '../campaign-event-types.js';
import { EVENT_STATUS, EVENT_TABLE_ATTRIBUTES } from '../contracts/event-table.js';
import { fromAttributeMap, itemBytes, toAttributeMap, toAttributeValue } from './attribute-values.js';
import { eventKeyFor, quarantineKeyFor } from './event-key.js';
import type { CampaignEventRecord } from './schema.js';

/**
 * The table item of one event, and the message the fan-out publishes from it.
 *
 * Attribute names are a contract with the stack (contracts/event-table.ts: key `eventKey`, stream filter
 * on `status`, TTL on `expiresAt`):
 * - every item: `eventKey` (S, partition key), `status` ('accepted' | 'quarantined'), `raw` (S: the
 *   event's JSON text as received, re-serialized without whitespace), `receivedAt` (ISO-8601),
 *   `expiresAt` (N: epoch seconds, TTL);
 * - accepted: `eventType` (registration name), `clientId` (N), `mailingId` (N, when present),
 *   `recipientId` (S, when present), `event` (M: the normalized event);
 * - quarantined: `issues` (L of S: at most {@link MAX_LISTED_ISSUES}, then `… and N more issues`),
 *   `eventType` / `clientId` when they could be read, `rawTruncated` (BOOL) and `rawBytes` (N) when the
 *   raw text was cut to fit an item.
 */

/**
 * Largest accepted event, as JSON bytes. An item holds the event twice (map and raw text) under
 * DynamoDB's 400 KB item limit, and the published message (the event plus a small envelope) must stay
 * under SNS's 256 KiB; a larger event is quarantined with its raw text. The item itself is measured
 * against {@link MAX_ITEM_BYTES} too: a map can take more bytes than its JSON (a long list of small
 * numbers takes 3 bytes per 2-byte entry).
 */
export const MAX_ACCEPTED_EVENT_BYTES = 160 * 1024;
/**
 * Largest item, as DynamoDB counts it ({@link itemBytes}), comfortably under its 400 KB item limit: one
 * item over the limit fails its whole BatchWriteItem call, and so the whole batch, on every redelivery.
 * An accepted item over it is quarantined instead; a quarantine item's raw text gets what its other
 * attributes leave (longer text is cut and the item flagged `rawTruncated`).
 */
export const MAX_ITEM_BYTES = 350 * 1024;
/**
 * Issues kept per quarantined event, in its item, the response and the log. The validator reports one
 * issue per bad entry (thousands for a map of bad addresses); the rest are counted in a last entry.
 */
export const MAX_LISTED_ISSUES = 20;
/** Longest issue text kept (a path through a very long field name is cut, ending in `…`). */
export const MAX_ISSUE_BYTES = 300;

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

// The table's key, TTL and status attributes are properties of every item (a rename breaks the build).
EVENT_TABLE_ATTRIBUTES satisfies Record<string, keyof AcceptedEventItem & keyof QuarantinedEventItem>;

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

/**
 * The quarantine item of an event: at most {@link MAX_LISTED_ISSUES} issues (each at most
 * {@link MAX_ISSUE_BYTES}, then a count of the rest), and as much of the raw text as fits the item
 * budget ({@link MAX_ITEM_BYTES}); cut raw text is flagged `rawTruncated`, with its full
 * length in `rawBytes`.
 */
export function quarantinedItem(
  rawEvent: unknown,
  rawText: string,
  issues: readonly string[],
  readable: { eventType?: CampaignEventType; clientId?: number },
  times: ItemTimes,
): QuarantinedEventItem {
  const rawBytes = Buffer.byteLength(rawText);
  const item: QuarantinedEventItem = {
    eventKey: quarantineKeyFor(rawEvent),
    status: EVENT_STATUS.quarantined,
    issues: listedIssues(issues),
    raw: rawText,
    ...readable,
    receivedAt: times.receivedAt.toISOString(),
    expiresAt: expiresAtFor(times.receivedAt, times.retentionDays),
  };
  // The issues are bounded (about 6 KB at most), so the raw text is all that may need to give way.
  const rawBudget = MAX_ITEM_BYTES - itemBytes(toItem({ ...item, raw: '', rawTruncated: true, rawBytes }));
  if (rawBytes <= rawBudget) return item;
  return { ...item, raw: truncateUtf8(rawText, rawBudget), rawTruncated: true, rawBytes };
}

/** The issues a quarantined event is reported with: the first few, each cut to a bounded length, then a count of the rest. */
export function listedIssues(issues: readonly string[]): string[] {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => {
    if (Buffer.byteLength(issue) <= MAX_ISSUE_BYTES) return issue;
    return `${truncateUtf8(issue, MAX_ISSUE_BYTES - Buffer.byteLength('…'))}…`;
  });
  const notListed = issues.length - listed.length;
  if (notListed > 0) listed.push(`… and ${notListed} more ${notListed === 1 ? 'issue' : 'issues'}`);
  return listed;
}

/** The longest prefix of `text` within `maxBytes` of UTF-8 that does not split a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Back up over continuation bytes (10xxxxxx) to the start of the character that would be split.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
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

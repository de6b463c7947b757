import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { itemBytes, measureJson, numberBytes, toAttributeMap } from '../shared/events/attribute-values.js';
import { idText } from '../shared/events/event-id.js';
import { EVENT_STATUS, type RawObjectPointer } from '../shared/events/stored-event.js';
import { eventKeyFor, keyForText, QUARANTINE_KEY_PREFIX, quarantineKeyFor } from './event-key.js';
import type { ReadableFields, RoutableEvent } from './event-reader.js';

/**
 * The write-ready item of one event: its attribute values, measured and checked once, and, when the
 * event does not fit an item, the S3 object (claim check) that keeps its source text whole.
 */

/**
 * Largest event kept inline, as source bytes: the published message (the event plus a small envelope)
 * stays under SNS's 256 KiB, and the item under DynamoDB's 400 KB (it holds the text once, but the limit
 * dates from items holding it twice, map and text, and what goes to S3 decides what is published). A
 * larger event is kept in S3 and the item (and message) carries a pointer.
 */
export const MAX_INLINE_EVENT_BYTES = 160 * 1024;
/** Largest item written, as DynamoDB counts it, comfortably under its 400 KB item limit. */
export const MAX_ITEM_BYTES = 350 * 1024;
/** Issues kept per quarantined event (in its item, the response and the log); the rest are counted. */
export const MAX_LISTED_ISSUES = 20;
/** Longest issue text kept (a longer one is cut, ending in `…`). */
export const MAX_ISSUE_BYTES = 300;

export interface ItemContext {
  readonly receivedAt: Date;
  readonly retentionDays: number;
  /** The bucket that keeps events too large for an item. */
  readonly bucket: string;
  /** Store verification events as accepted (published) instead of `verification`. @default false */
  readonly publishVerificationEvents?: boolean;
}

/** One event as received: its parsed value and its exact source text. */
export interface ReceivedEvent {
  readonly value: unknown;
  readonly text: string;
  /** Nested too deep to be read whole (json-document.ts): keyed by its text, always kept in S3. */
  readonly deep?: boolean;
}

export interface WriteReadyItem {
  readonly eventKey: string;
  readonly status: (typeof EVENT_STATUS)[keyof typeof EVENT_STATUS];
  readonly attributes: Record<string, AttributeValue>;
  /** Written to S3 before the item, which points to it. */
  readonly object?: { readonly key: string; readonly body: string };
  /** Why the event is kept in S3 rather than in the item. */
  readonly objectReason?: string;
  /** The issues a quarantined item lists. */
  readonly issues?: readonly string[];
}

/** TTL value: epoch seconds `retentionDays` after the event was received. */
export function expiresAtFor(receivedAt: Date, retentionDays: number): number {
  return Math.floor(receivedAt.getTime() / 1000) + retentionDays * 86_400;
}

export function acceptedEventItem(
  received: ReceivedEvent,
  routable: RoutableEvent,
  context: ItemContext,
): WriteReadyItem {
  const eventKey = received.deep
    ? keyForText(routable.type, received.text)
    : eventKeyFor(routable.type, received.value);
  const status =
    routable.verification && !context.publishVerificationEvents
      ? EVENT_STATUS.verification
      : EVENT_STATUS.accepted;
  const envelope = acceptedEnvelope(eventKey, status, routable, context);
  const rawBytes = Buffer.byteLength(received.text);
  if (rawBytes > MAX_INLINE_EVENT_BYTES) {
    return claimChecked(
      eventKey,
      status,
      envelope.attributes,
      received,
      context,
      `is ${rawBytes} bytes of JSON`,
    );
  }
  // The event is stored once, as its text; the fan-out reads it back (stored-event.ts). What goes to S3
  // is still decided by what the normalized map would take, so every published message stays as it was.
  const map = measureJson(routable.event);
  if (!map.ok) return claimChecked(eventKey, status, envelope.attributes, received, context, map.problem);
  const bytes = envelope.bytes + 'raw'.length + rawBytes + 'event'.length + map.bytes;
  if (bytes > MAX_ITEM_BYTES) {
    const reason = `takes ${bytes} bytes as an item`;
    return claimChecked(eventKey, status, envelope.attributes, received, context, reason);
  }
  return { eventKey, status, attributes: storedText(envelope, received.text, rawBytes) };
}

/** DynamoDB bills a write per started kilobyte of the item. */
export const WRITE_UNIT_BYTES = 1024;

/**
 * The envelope with the event's text: as `raw` (S), or, when that makes the item cost more write units
 * than the text compressed would, as `rawDeflated` (B: the text's UTF-8 bytes, raw DEFLATE). Typical
 * events are a few hundred bytes and stay plain; compressing lets an event of 800 bytes and more still
 * cost one write unit.
 */
function storedText(
  envelope: { attributes: Record<string, AttributeValue>; bytes: number },
  text: string,
  textBytes: number,
): Record<string, AttributeValue> {
  const plainBytes = envelope.bytes + 'raw'.length + textBytes;
  if (plainBytes <= WRITE_UNIT_BYTES) return { ...envelope.attributes, raw: { S: text } };
  const deflated = deflateRawSync(text);
  const deflatedBytes = envelope.bytes + 'rawDeflated'.length + deflated.length;
  if (Math.ceil(deflatedBytes / WRITE_UNIT_BYTES) >= Math.ceil(plainBytes / WRITE_UNIT_BYTES)) {
    return { ...envelope.attributes, raw: { S: text } };
  }
  return { ...envelope.attributes, rawDeflated: { B: deflated } };
}

/**
 * The attributes of an accepted event besides its text, built directly (every value is known to be
 * storable: the reader checked the ids and the recipient), and their size as DynamoDB counts it.
 */
function acceptedEnvelope(
  eventKey: string,
  status: WriteReadyItem['status'],
  routable: RoutableEvent,
  context: ItemContext,
): { attributes: Record<string, AttributeValue>; bytes: number } {
  const stamp = stampOf(context);
  const clientId = idText(routable.clientId);
  const attributes: Record<string, AttributeValue> = {
    eventKey: { S: eventKey },
    status: { S: status },
    eventType: { S: routable.type },
    clientId: { N: clientId },
  };
  let bytes =
    'eventKey'.length +
    eventKey.length +
    'status'.length +
    status.length +
    'eventType'.length +
    routable.type.length +
    'clientId'.length +
    numberBytes(clientId) +
    stamp.bytes;
  if (routable.mailingId !== undefined) {
    const mailingId = idText(routable.mailingId);
    attributes.mailingId = { N: mailingId };
    bytes += 'mailingId'.length + numberBytes(mailingId);
  }
  if (routable.recipientId !== undefined) {
    attributes.recipientId = { S: routable.recipientId };
    bytes += 'recipientId'.length + Buffer.byteLength(routable.recipientId);
  }
  attributes.receivedAt = stamp.receivedAt;
  attributes.expiresAt = stamp.expiresAt;
  for (const name of ['missingFields', 'invalidFields'] as const) {
    const fields = routable[name];
    if (fields.length === 0) continue;
    attributes[name] = { L: fields.map((field) => ({ S: field })) };
    bytes +=
      name.length + 3 + fields.length + fields.reduce((sum, field) => sum + Buffer.byteLength(field), 0);
  }
  return { attributes, bytes };
}

interface Stamp {
  readonly receivedAt: AttributeValue;
  readonly expiresAt: AttributeValue;
  readonly bytes: number;
}

/** The receipt and expiry attributes are the same for a whole batch: made once per context. */
const stamps = new WeakMap<ItemContext, Stamp>();

function stampOf(context: ItemContext): Stamp {
  let stamp = stamps.get(context);
  if (stamp === undefined) {
    const { receivedAt, expiresAt } = times(context);
    const expires = String(expiresAt);
    stamp = {
      receivedAt: { S: receivedAt },
      expiresAt: { N: expires },
      bytes: 'receivedAt'.length + receivedAt.length + 'expiresAt'.length + numberBytes(expires),
    };
    stamps.set(context, stamp);
  }
  return stamp;
}

export function quarantinedEventItem(
  received: ReceivedEvent,
  issues: readonly string[],
  readable: ReadableFields,
  context: ItemContext,
): WriteReadyItem {
  const eventKey = received.deep
    ? keyForText(QUARANTINE_KEY_PREFIX, received.text)
    : quarantineKeyFor(received.value);
  const listed = listedIssues(issues);
  const envelope = toAttributeMap({
    eventKey,
    status: EVENT_STATUS.quarantined,
    issues: listed,
    ...(readable.eventType !== undefined && { eventType: readable.eventType }),
    ...(readable.clientId !== undefined && { clientId: readable.clientId }),
    ...times(context),
  });
  const rawBytes = Buffer.byteLength(received.text);
  if (itemBytes(envelope) + 'raw'.length + rawBytes > MAX_ITEM_BYTES) {
    const reason = `is ${rawBytes} bytes of JSON`;
    return {
      ...claimChecked(eventKey, EVENT_STATUS.quarantined, envelope, received, context, reason),
      issues: listed,
    };
  }
  return {
    eventKey,
    status: EVENT_STATUS.quarantined,
    attributes: { ...envelope, raw: { S: received.text } },
    issues: listed,
  };
}

/**
 * The item that replaces one DynamoDB refused: quarantined, listing why, with the event's text in S3
 * (the smallest item there is, so nothing in the event can make it fail again).
 */
export function refusedEventItem(
  received: ReceivedEvent,
  refusal: string,
  readable: ReadableFields,
  context: ItemContext,
): WriteReadyItem {
  const quarantined = quarantinedEventItem(
    received,
    [`event: DynamoDB refused its item: ${refusal}`],
    readable,
    context,
  );
  const { raw: _raw, ...envelope } = quarantined.attributes;
  const claimed = claimChecked(
    quarantined.eventKey,
    EVENT_STATUS.quarantined,
    envelope,
    received,
    context,
    'DynamoDB refused the item',
  );
  return { ...claimed, issues: quarantined.issues };
}

function claimChecked(
  eventKey: string,
  status: WriteReadyItem['status'],
  envelope: Record<string, AttributeValue>,
  received: ReceivedEvent,
  context: ItemContext,
  reason: string,
): WriteReadyItem {
  const key = objectKeyFor(eventKey);
  const pointer: RawObjectPointer = {
    bucket: context.bucket,
    key,
    offset: 0,
    bytes: Buffer.byteLength(received.text),
  };
  return {
    eventKey,
    status,
    attributes: { ...envelope, ...toAttributeMap({ rawObject: pointer }) },
    object: { key, body: received.text },
    objectReason: reason,
  };
}

/**
 * Puts the texts of a batch's claim-checked events into one object (one S3 write however many there
 * are), each item pointing to its byte range. The object's key is derived from its content, so a
 * redelivered batch overwrites its own object. With fewer than two such events, nothing changes.
 */
export function shareObject(items: readonly WriteReadyItem[], bucket: string): WriteReadyItem[] {
  const claimed = items.filter((item) => item.object !== undefined);
  if (claimed.length < 2) return [...items];
  const texts = claimed.map((item) => Buffer.from((item.object as { body: string }).body));
  const body = Buffer.concat(texts.flatMap((text) => [text, NEWLINE]));
  const key = `events/batch/${createHash('sha256').update(body).digest('hex')}.json`;
  const pointers = new Map<WriteReadyItem, RawObjectPointer>();
  let offset = 0;
  claimed.forEach((item, index) => {
    const bytes = (texts[index] as Buffer).length;
    pointers.set(item, { bucket, key, offset, bytes });
    offset += bytes + NEWLINE.length;
  });
  let written = false;
  return items.map((item) => {
    const pointer = pointers.get(item);
    if (pointer === undefined) return item;
    const { object: _object, ...rest } = item;
    const shared = { ...rest, attributes: { ...item.attributes, ...toAttributeMap({ rawObject: pointer }) } };
    if (written) return shared;
    written = true;
    return { ...shared, object: { key, body: body.toString('utf8') } };
  });
}

const NEWLINE = Buffer.from('\n');

/** The S3 key of an event's text: derived from its event key, so a redelivery overwrites its own object. */
export function objectKeyFor(eventKey: string): string {
  return `events/${eventKey.replace('#', '/')}.json`;
}

function times(context: ItemContext) {
  return {
    receivedAt: context.receivedAt.toISOString(),
    expiresAt: expiresAtFor(context.receivedAt, context.retentionDays),
  };
}

/** The issues listed for a quarantined event: the first few, each cut to a bounded length, then a count of the rest. */
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
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Back up over continuation bytes (10xxxxxx) to the start of the character that would be split.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

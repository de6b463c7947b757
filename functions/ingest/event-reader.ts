import { type CampaignEventType, toEventType } from '../shared/campaign-event-types.js';
import { isWellFormedText } from '../shared/events/attribute-values.js';
import { type EventId, idText } from '../shared/events/event-id.js';
import { isRawJsonNumber, rawJsonNumber, rawJsonText } from '../shared/events/lossless-json.js';
import { MAILING_EVENT_TYPES } from '../shared/events/schema.js';

/**
 * The tolerant reader of Campaign events: strict only where the product cannot work otherwise.
 *
 * An event is quarantined only when it cannot be routed: it is not an object, has no or an unknown
 * `type` (or one not configured for this deployment: it has no topic), no `clientId` that is a
 * positive integer, or no recipient (`recipientId`, or an address in `mediaTypesToAddresses`); or when
 * it lacks a field the deployer requires for its type (`requiredFields`). Everything else is accepted:
 * a field the product would like but does not need (see {@link EXPECTED_FIELDS_BY_TYPE}) is listed in
 * `missingFields` when absent or null, and a known field it cannot read in `invalidFields`; the event
 * keeps every field exactly as received.
 */

/** Fields an event of the type normally carries; absent or null ones are annotated, never quarantined. */
export const EXPECTED_FIELDS_BY_TYPE: Readonly<Partial<Record<CampaignEventType, readonly string[]>>> =
  Object.fromEntries([...MAILING_EVENT_TYPES].map((type) => [type, ['mailingId']]));

/** Most digits a stored id may have (DynamoDB numbers hold 38 significant digits). */
export const MAX_ID_DIGITS = 38;
/** Longest recipient id stored as an item attribute and a message field, in UTF-8 bytes. */
export const MAX_RECIPIENT_ID_BYTES = 2048;

export interface EventReaderOptions {
  /** Types configured for this deployment (they have a topic). */
  readonly eventTypes: Iterable<CampaignEventType>;
  /** Fields a deployer requires per type; an event without one (absent or null) is quarantined. */
  readonly requiredFields?: Readonly<Partial<Record<CampaignEventType, readonly string[]>>>;
  /** The mailing Campaign's verify uses: events of it are verification events. */
  readonly verifyMailingId?: number;
}

/** A routable event: its routing fields, and the event with them normalized (every other field as sent). */
export interface RoutableEvent {
  readonly type: CampaignEventType;
  readonly clientId: EventId;
  readonly mailingId?: EventId;
  readonly recipientId?: string;
  readonly event: Record<string, unknown>;
  readonly missingFields: readonly string[];
  readonly invalidFields: readonly string[];
  /** Sent by Campaign's verify (its mailing is the configured verifyMailingId). */
  readonly verification: boolean;
}

export interface ReadableFields {
  readonly eventType?: CampaignEventType;
  readonly clientId?: EventId;
}

export type EventReading =
  | { readonly routable: true; readonly event: RoutableEvent }
  | { readonly routable: false; readonly issues: readonly string[]; readonly readable: ReadableFields };

const ID_MESSAGE = 'must be a positive integer (a JSON number or a string of digits)';

export function createEventReader(options: EventReaderOptions): (value: unknown) => EventReading {
  const configured = new Set(options.eventTypes);
  const required = options.requiredFields ?? {};
  return (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
      return { routable: false, issues: [`event: must be a JSON object, not ${kind}`], readable: {} };
    }
    const record = value as Record<string, unknown>;
    const issues: string[] = [];
    const type = readType(record.type, configured, issues);
    const clientId = readId(record.clientId);
    if (clientId === undefined)
      issues.push(`clientId: ${record.clientId == null ? 'is required' : ID_MESSAGE}`);
    const recipient = readRecipient(record);
    if (!recipient.found) issues.push('event: needs a recipientId or an address in mediaTypesToAddresses');
    for (const field of type === undefined ? [] : (required[type] ?? [])) {
      if (record[field] == null)
        issues.push(`${fieldLabel(field)}: is required for ${type} events (requiredFields)`);
    }
    if (issues.length > 0 || type === undefined || clientId === undefined) {
      return { routable: false, issues, readable: readableFields(record) };
    }
    return {
      routable: true,
      event: routableEvent(record, type, clientId, recipient, options.verifyMailingId),
    };
  };
}

function routableEvent(
  record: Record<string, unknown>,
  type: CampaignEventType,
  clientId: EventId,
  recipient: Recipient,
  verifyMailingId: number | undefined,
): RoutableEvent {
  const mailingId = record.mailingId == null ? undefined : readId(record.mailingId);
  const missingFields = (EXPECTED_FIELDS_BY_TYPE[type] ?? []).filter((field) => record[field] == null);
  const invalidFields = [
    ...(record.mailingId != null && mailingId === undefined ? ['mailingId'] : []),
    ...recipient.invalidFields,
    ...(record.link != null && !(typeof record.link === 'string' && record.link !== '') ? ['link'] : []),
  ];
  const event: Record<string, unknown> = Object.create(null);
  for (const name of Object.keys(record)) event[name] = record[name];
  event.type = type;
  event.clientId = clientId;
  if (mailingId !== undefined) event.mailingId = mailingId;
  if (recipient.recipientId !== undefined) event.recipientId = recipient.recipientId;
  return {
    type,
    clientId,
    ...(mailingId !== undefined && { mailingId }),
    ...(recipient.recipientId !== undefined && { recipientId: recipient.recipientId }),
    event,
    missingFields,
    invalidFields,
    verification:
      verifyMailingId !== undefined &&
      mailingId !== undefined &&
      idText(mailingId) === String(verifyMailingId),
  };
}

function readType(
  value: unknown,
  configured: ReadonlySet<CampaignEventType>,
  issues: string[],
): CampaignEventType | undefined {
  if (value == null) {
    issues.push('type: is required');
    return undefined;
  }
  const type = toEventType(value);
  if (type === undefined) {
    issues.push(`type: ${quoted(value)} is not a Campaign event type`);
    return undefined;
  }
  if (!configured.has(type)) {
    issues.push(`type: event type ${quoted(value)} is not configured for this deployment (EVENT_TYPES)`);
    return undefined;
  }
  return type;
}

/**
 * A positive integer id: a JSON number or a string of digits. One a double cannot hold exactly stays
 * raw JSON with its digits (up to {@link MAX_ID_DIGITS}); anything else is undefined.
 */
export function readId(value: unknown): EventId | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
  const digits = isRawJsonNumber(value)
    ? rawJsonText(value)
    : typeof value === 'string'
      ? value.trim()
      : undefined;
  if (digits === undefined || !/^\d+$/.test(digits)) return undefined;
  const significant = digits.replace(/^0+/, '');
  if (significant === '' || significant.length > MAX_ID_DIGITS) return undefined;
  const number = Number(significant);
  return Number.isSafeInteger(number) ? number : rawJsonNumber(significant);
}

interface Recipient {
  readonly found: boolean;
  readonly recipientId?: string;
  readonly invalidFields: readonly string[];
}

function readRecipient(record: Record<string, unknown>): Recipient {
  const invalidFields: string[] = [];
  let recipientId: string | undefined;
  if (record.recipientId != null) {
    recipientId = recipientIdText(record.recipientId);
    if (recipientId === undefined) invalidFields.push('recipientId');
  }
  let hasAddress = false;
  if (record.mediaTypesToAddresses != null) {
    const addresses = readAddresses(record.mediaTypesToAddresses);
    if (addresses === undefined) invalidFields.push('mediaTypesToAddresses');
    else hasAddress = addresses.some((address) => address !== null && address.trim() !== '');
  }
  return {
    found: recipientId !== undefined || hasAddress,
    ...(recipientId !== undefined && { recipientId }),
    invalidFields,
  };
}

/** A recipient id as text: a non-blank, well-formed string of at most MAX_RECIPIENT_ID_BYTES, or a number. */
function recipientIdText(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const usable =
      value.trim() !== '' && isWellFormedText(value) && Buffer.byteLength(value) <= MAX_RECIPIENT_ID_BYTES;
    return usable ? value : undefined;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  return isRawJsonNumber(value) ? rawJsonText(value) : undefined;
}

/** Member names never read as addresses. */
const NOT_ADDRESSES = new Set(['__proto__', 'prototype', 'constructor']);

/** The addresses of `mediaTypesToAddresses` (an object whose members are strings or null), or undefined. */
function readAddresses(value: unknown): Array<string | null> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const addresses: Array<string | null> = [];
  for (const name in value) {
    if (!Object.hasOwn(value, name) || NOT_ADDRESSES.has(name)) continue;
    const address = (value as Record<string, unknown>)[name];
    if (address !== null && typeof address !== 'string') return undefined;
    addresses.push(address);
  }
  return addresses;
}

/** The fields of an unroutable event that could still be read, for its quarantine item. */
export function readableFields(record: Record<string, unknown>): ReadableFields {
  const eventType = toEventType(record.type);
  const clientId = readId(record.clientId);
  return {
    ...(eventType !== undefined && { eventType }),
    ...(clientId !== undefined && { clientId }),
  };
}

/** A field name for an issue: plain names as they are, anything else (it came from the payload) masked. */
function fieldLabel(name: string): string {
  return /^[A-Za-z0-9_$-]{1,64}$/.test(name) ? name : '<field>';
}

/** Quotes a rejected type name only when it is a plain word (it might otherwise be personal data). */
function quoted(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(value) ? `"${value}"` : 'the value';
}

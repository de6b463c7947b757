import * as v from 'valibot';
import { type CampaignEventType, toEventType } from '../campaign-event-types.js';
import { isRawJsonNumber, type RawJsonNumber, rawJsonText } from './lossless-json.js';

/**
 * The Campaign event schema: the one place that says what an event must contain.
 *
 * Campaign documents no complete per-event schema (see CAMPAIGN-FACTS.md), so this validates only what
 * the product relies on and keeps every other field exactly as received:
 * - `type`: a Campaign event type, in any case, reported names included (`archived` -> `archive`),
 *   and one configured for this deployment (it has no topic otherwise);
 * - `clientId`: a positive integer (a JSON number or a numeric string);
 * - `mailingId`: a positive integer; required for {@link MAILING_EVENT_TYPES}, optional otherwise;
 * - a recipient: `recipientId` (non-empty string or number) or at least one address in
 *   `mediaTypesToAddresses` (an object of media type -> address);
 * - `link` (click): optional, a non-empty string when present. Not required: nothing in the product
 *   reads it, and its name comes from a public integration rather than a published schema; requiring
 *   it would quarantine every click if Campaign names it otherwise.
 * Optional fields may be `null` (treated as absent). To require a field for a type, add it to
 * {@link REQUIRED_FIELDS_BY_TYPE}; to read a new field, add it to the object below.
 *
 * The field names the product reads but Campaign does not document are listed in
 * {@link EVENT_TIME_FIELDS}, {@link BOUNCE_CATEGORY_FIELDS} and {@link MEDIA_TYPE_FIELD}.
 */

/** Types whose events belong to a mailing, so carry a `mailingId`. */
export const MAILING_EVENT_TYPES: ReadonlySet<CampaignEventType> = new Set<CampaignEventType>([
  'sent',
  'bounce',
  'open',
  'click',
  'unsubscribe',
  'spamcomplaint',
]);

/** Fields required per type beyond the common ones (the place to tighten the schema for a type). */
export const REQUIRED_FIELDS_BY_TYPE: Readonly<Partial<Record<CampaignEventType, readonly string[]>>> = {};

/** ASSUMPTION: the event's own time, from the first present of these (ISO-8601 or epoch s/ms). */
export const EVENT_TIME_FIELDS = ['created', 'timestamp', 'eventTime', 'date'] as const;
/** ASSUMPTION: a bounce's category, from the first present of these (hardbounce | softbounce | ...). */
export const BOUNCE_CATEGORY_FIELDS = ['bounceCategory', 'bounceType', 'category'] as const;
/** ASSUMPTION: the media type (EMAIL, SMS, ...) of an event; else the only key of mediaTypesToAddresses. */
export const MEDIA_TYPE_FIELD = 'mediaType';

export type BounceCategory = 'hard' | 'soft' | 'unknown';

/** A valid event after normalization: typed required fields, every other field as received. */
export interface CampaignEventRecord {
  /** The registration type name (`archive`, even when the payload says `archived`). */
  type: CampaignEventType;
  clientId: number;
  mailingId?: number | null;
  /** Normalized to a string (a numeric id is written in decimal). */
  recipientId?: string | null;
  mediaTypesToAddresses?: Record<string, string> | null;
  [field: string]: unknown;
}

export type EventValidation =
  | { readonly valid: true; readonly event: CampaignEventRecord }
  | { readonly valid: false; readonly issues: readonly string[] };

export interface EventValidatorOptions {
  /** Types configured for this deployment (they have a topic); a valid event of another type is invalid. */
  readonly eventTypes: Iterable<CampaignEventType>;
}

const POSITIVE_INTEGER = 'must be a positive integer (a JSON number or a string of digits)';

const PositiveInteger = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\s*\d+\s*$/, POSITIVE_INTEGER))], POSITIVE_INTEGER),
  v.transform((value) => Number(value)),
  v.safeInteger(`${POSITIVE_INTEGER}, at most 2^53 - 1`),
  v.minValue(1, POSITIVE_INTEGER),
);

const RecipientId = v.pipe(
  v.union(
    [
      v.pipe(
        v.string(),
        v.check((value) => value.trim() !== '', 'must not be empty'),
      ),
      v.pipe(v.number(), v.finite('must be a finite number')),
      v.custom<RawJsonNumber>(isRawJsonNumber),
    ],
    'must be a non-empty string or a number',
  ),
  v.transform((value) => (typeof value === 'object' ? rawJsonText(value) : String(value))),
);

const Addresses = v.record(
  v.string(),
  v.string('must map each media type to an address string'),
  'must be an object of media type -> address',
);

const Link = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'));

function typeField(configured: ReadonlySet<CampaignEventType>) {
  return v.pipe(
    v.string('must be a string naming a Campaign event type'),
    v.check(
      (name) => toEventType(name) !== undefined,
      (issue) => `${quoted(issue.input)} is not a Campaign event type`,
    ),
    v.transform((name) => toEventType(name) as CampaignEventType),
    v.check(
      (type) => configured.has(type),
      (issue) => `event type ${quoted(issue.input)} is not configured for this deployment (EVENT_TYPES)`,
    ),
  );
}

function eventSchema(configured: ReadonlySet<CampaignEventType>) {
  return v.pipe(
    v.looseObject(
      {
        type: typeField(configured),
        clientId: PositiveInteger,
        mailingId: v.nullish(PositiveInteger),
        recipientId: v.nullish(RecipientId),
        mediaTypesToAddresses: v.nullish(Addresses),
        link: v.nullish(Link),
      },
      (issue) => (issue.path === undefined ? 'must be a JSON object' : 'is required'),
    ),
    v.forward(
      v.partialCheck(
        [['type'], ['mailingId']],
        (event) => !MAILING_EVENT_TYPES.has(event.type) || event.mailingId != null,
        (issue) => `is required for ${(issue.input as { type: string }).type} events`,
      ),
      ['mailingId'],
    ),
    v.partialCheck(
      [['recipientId'], ['mediaTypesToAddresses']],
      (event) =>
        event.recipientId != null ||
        Object.values(event.mediaTypesToAddresses ?? {}).some((address) => address.trim() !== ''),
      'needs a recipientId or an address in mediaTypesToAddresses',
    ),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const event = dataset.value as Record<string, unknown> & { type: CampaignEventType };
      for (const field of REQUIRED_FIELDS_BY_TYPE[event.type] ?? []) {
        if (event[field] == null) {
          addIssue({
            message: `is required for ${event.type} events`,
            path: [{ type: 'object', origin: 'value', input: event, key: field, value: event[field] }],
          });
        }
      }
    }),
  );
}

/**
 * Builds the validator for the configured types. Issues are `<path>: <message>` strings (path `event`
 * for the event itself) and never quote a field's value, except a `type` that is a plain word.
 */
export function createEventValidator(options: EventValidatorOptions): (raw: unknown) => EventValidation {
  const schema = eventSchema(new Set(options.eventTypes));
  return (raw) => {
    if (Array.isArray(raw)) return { valid: false, issues: ['event: must be a JSON object, not an array'] };
    const result = v.safeParse(schema, raw);
    if (result.success) return { valid: true, event: result.output as CampaignEventRecord };
    return { valid: false, issues: result.issues.map(formatIssue) };
  };
}

function formatIssue(issue: v.BaseIssue<unknown>): string {
  return `${issuePath(issue) ?? 'event'}: ${issue.message}`;
}

/**
 * The dot path of an issue. A key that is not a plain name is shown as `<key>`: keys come from the
 * payload (e.g. of mediaTypesToAddresses) and could be an address, which must not reach a log.
 */
function issuePath(issue: v.BaseIssue<unknown>): string | undefined {
  if (!issue.path || issue.path.length === 0) return undefined;
  return issue.path
    .map((item) => {
      const key: unknown = item.key;
      if (typeof key === 'number') return String(key);
      return typeof key === 'string' && /^[A-Za-z0-9_$-]{1,64}$/.test(key) ? key : '<key>';
    })
    .join('.');
}

/** Quotes a rejected type name only when it is a plain word (it might otherwise be personal data). */
function quoted(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(value) ? `"${value}"` : 'the value';
}

/** The fields of an invalid event that could still be read, for the quarantine item. */
export function readableFields(raw: unknown): { eventType?: CampaignEventType; clientId?: number } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const record = raw as Record<string, unknown>;
  const eventType = toEventType(record.type);
  const clientId = v.safeParse(PositiveInteger, record.clientId);
  return {
    ...(eventType !== undefined && { eventType }),
    ...(clientId.success && { clientId: clientId.output }),
  };
}

/**
 * The event's own time: the first present of {@link EVENT_TIME_FIELDS}, as an ISO-8601 string or epoch
 * seconds/milliseconds (numbers below 10^11 are seconds). Undefined when absent or unparseable.
 */
export function eventTimeOf(event: Readonly<Record<string, unknown>>): Date | undefined {
  const field = EVENT_TIME_FIELDS.find((name) => event[name] != null);
  if (field === undefined) return undefined;
  const value = event[field];
  let millis: number;
  if (typeof value === 'number') {
    millis = Math.abs(value) < 1e11 ? value * 1000 : value;
  } else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) {
    const number = Number(value);
    millis = number < 1e11 ? number * 1000 : number;
  } else if (typeof value === 'string') {
    millis = Date.parse(value);
  } else {
    return undefined;
  }
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * A bounce's category from the first present of {@link BOUNCE_CATEGORY_FIELDS}: `hardbounce`/`hard`
 * (any case, separators ignored) -> hard, `softbounce`/`soft` -> soft, anything else -> unknown.
 */
export function bounceCategoryOf(event: Readonly<Record<string, unknown>>): BounceCategory {
  const field = BOUNCE_CATEGORY_FIELDS.find((name) => event[name] != null);
  const value = field === undefined ? undefined : event[field];
  if (typeof value !== 'string') return 'unknown';
  const name = value.toLowerCase().replace(/[^a-z]/g, '');
  if (name === 'hard' || name === 'hardbounce') return 'hard';
  if (name === 'soft' || name === 'softbounce') return 'soft';
  return 'unknown';
}

const MEDIA_TYPE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

/**
 * The event's media type (EMAIL, SMS, ...): the {@link MEDIA_TYPE_FIELD} field, else the only key of
 * `mediaTypesToAddresses`. Undefined when unknown or not a plain name (it is used as a message attribute,
 * so it never carries anything but a media type name).
 */
export function mediaTypeOf(event: Readonly<Record<string, unknown>>): string | undefined {
  const direct = event[MEDIA_TYPE_FIELD];
  if (typeof direct === 'string') return MEDIA_TYPE_NAME.test(direct) ? direct : undefined;
  const addresses = event.mediaTypesToAddresses;
  if (addresses === null || typeof addresses !== 'object' || Array.isArray(addresses)) return undefined;
  const keys = Object.keys(addresses);
  return keys.length === 1 && MEDIA_TYPE_NAME.test(keys[0] as string) ? keys[0] : undefined;
}

import type { CampaignEventType } from '../campaign-event-types.js';

/**
 * The field readers of Campaign events, shared by the ingest (metrics) and the fan-out (message
 * attributes). What an event must contain is decided by the ingest alone (functions/ingest/event-reader.ts).
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

/** ASSUMPTION: the event's own time, from the first present of these (ISO-8601 or epoch s/ms). */
export const EVENT_TIME_FIELDS = ['created', 'timestamp', 'eventTime', 'date'] as const;
/** ASSUMPTION: a bounce's category, from the first present of these (hardbounce | softbounce | ...). */
export const BOUNCE_CATEGORY_FIELDS = ['bounceCategory', 'bounceType', 'category'] as const;
/** ASSUMPTION: the media type (EMAIL, SMS, ...) of an event; else the only key of mediaTypesToAddresses. */
export const MEDIA_TYPE_FIELD = 'mediaType';

export type BounceCategory = 'hard' | 'soft' | 'unknown';

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
  const keys = Object.keys(addresses).filter((key) => (addresses as Record<string, unknown>)[key] != null);
  return keys.length === 1 && MEDIA_TYPE_NAME.test(keys[0] as string) ? keys[0] : undefined;
}

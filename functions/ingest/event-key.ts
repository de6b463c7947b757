import { createHash, hash } from 'node:crypto';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { smallCanonicalJson, writeCanonicalJson } from './canonical-json.js';

/** Prefix of the keys of quarantined events (never a registration type name, so never a topic). */
export const QUARANTINE_KEY_PREFIX = 'quarantine';

/**
 * The idempotency key of a valid event: `<eventType>#<sha256 hex of the canonical JSON of the raw event>`.
 *
 * What goes in, and why:
 * - The event exactly as received (before normalization), in canonical form: keys sorted at every
 *   level, no whitespace (see {@link canonicalJson}). Campaign sends no per-event id, so the content is
 *   the only identity an event has. A redelivered batch carries the same events with the same content,
 *   so each one maps to the same key and overwrites its own item instead of adding a second one; key
 *   order or formatting that changes between deliveries does not change the key.
 * - Every field, including ones the product does not read (timestamps, link, bounce reason): leaving
 *   any out could merge two events that really differ in it.
 * - The registration type name as a prefix, so keys group by type when read and the key alone says
 *   which topic the event belongs to.
 * - Nothing from the request (receive time, batch position, source IP): a redelivery must produce
 *   the same key.
 *
 * Consequence: two genuinely distinct events with identical content (same type, client, mailing,
 * recipient, link and timestamp, and no other differing field) collapse into one item and one
 * message. With a per-event timestamp in the payload this needs two identical events in the same
 * instant; without one, repeated identical actions (say, two opens of a mailing by one recipient) are
 * indistinguishable and counted once.
 */
export function eventKeyFor(eventType: CampaignEventType, rawEvent: unknown): string {
  return `${eventType}#${contentHash(rawEvent)}`;
}

/**
 * The key of a quarantined event: `quarantine#<sha256 hex of the canonical JSON of the raw event>`,
 * deterministic for the same reason as {@link eventKeyFor}, so a redelivered invalid event overwrites
 * its own quarantine item.
 */
export function quarantineKeyFor(rawEvent: unknown): string {
  return `${QUARANTINE_KEY_PREFIX}#${contentHash(rawEvent)}`;
}

/**
 * The key of an event too deep to be read whole (see functions/ingest/json-document.ts): its content
 * is its exact text, so the hash is of the text (a redelivery sends the same text).
 */
export function keyForText(prefix: CampaignEventType | typeof QUARANTINE_KEY_PREFIX, text: string): string {
  return `${prefix}#${createHash('sha256').update('text:').update(text).digest('hex')}`;
}

/**
 * The SHA-256 of the canonical JSON: a typical event's written whole, a large one written and hashed in
 * 64 KB pieces (so it is never held whole).
 */
function contentHash(rawEvent: unknown): string {
  const small = smallCanonicalJson(rawEvent);
  if (small !== undefined) return hash('sha256', small);
  const pieces = createHash('sha256');
  let buffered = '';
  writeCanonicalJson(rawEvent, (piece) => {
    buffered += piece;
    if (buffered.length >= 65_536) {
      pieces.update(buffered);
      buffered = '';
    }
  });
  return pieces.update(buffered).digest('hex');
}

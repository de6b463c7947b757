import { isRawJsonNumber, rawJsonText } from '../../functions/shared/events/lossless-json.js';
import type { Recipient } from './recipients.js';

/**
 * Whether an event holds one of the recipients: an address anywhere in it as a string value (Campaign
 * puts it in `recipientId` and `mediaTypesToAddresses`, an invalid event may put it anywhere), an id as
 * its `recipientId` (a string or a number, compared as text). Returns the recipients it holds.
 */
export function recipientsIn(event: unknown, recipients: readonly Recipient[]): Recipient[] {
  const addresses = new Set(recipients.filter((r) => r.kind === 'address').map((r) => r.value));
  const ids = new Set(recipients.filter((r) => r.kind === 'id').map((r) => r.value));
  const found = new Set<string>();
  const stack: unknown[] = [event];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      const normalized = value.trim().toLowerCase();
      if (addresses.has(normalized)) found.add(`address:${normalized}`);
    } else if (Array.isArray(value)) {
      stack.push(...value);
    } else if (value !== null && typeof value === 'object' && !isRawJsonNumber(value)) {
      stack.push(...Object.values(value as Record<string, unknown>));
    }
  }
  const id = idText((event as { recipientId?: unknown } | null)?.recipientId);
  if (id !== undefined && ids.has(id)) found.add(`id:${id}`);
  return recipients.filter((r) => found.has(`${r.kind}:${r.value}`));
}

function idText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  if (isRawJsonNumber(value)) return rawJsonText(value);
  return undefined;
}

/**
 * Whether a text (an S3 object, which may hold several events or leftovers) mentions a recipient: an
 * address anywhere without case, an id as a `"recipientId"` member. Looser than {@link recipientsIn} on
 * purpose: it decides which objects are looked at, never which events are deleted.
 */
export function textMentions(text: string, recipients: readonly Recipient[]): boolean {
  const lower = text.toLowerCase();
  return recipients.some((recipient) =>
    recipient.kind === 'address'
      ? lower.includes(recipient.value)
      : new RegExp(`"recipientId"\\s*:\\s*"?\\s*${escapeRegExp(recipient.value)}\\s*"?\\s*[,}]`).test(text),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  acceptedEventItem,
  type ItemContext,
  listedIssues,
  type ReceivedEvent,
  type WriteReadyItem,
} from '../../functions/ingest/event-items.js';
import type { EventReading } from '../../functions/ingest/event-reader.js';
import { readJsonDocument } from '../../functions/ingest/json-document.js';
import type { QuarantinedItem } from './quarantined-item.js';

/**
 * A quarantined event read again with the ingest's own reader and item builder under the current
 * settings: it now passes (its accepted item, keyed by content exactly as the ingest would key it, so a
 * later Campaign redelivery of the event lands on the same item), or it still does not (its issues as
 * the reader words them now).
 */
export type Revalidation =
  | { readonly kind: 'passes'; readonly item: WriteReadyItem }
  | { readonly kind: 'still-quarantined'; readonly issues: readonly string[]; readonly changed: boolean }
  | { readonly kind: 'unreadable'; readonly reason: string };

export interface RevalidationContext extends Omit<ItemContext, 'receivedAt'> {
  readonly read: (value: unknown) => EventReading;
}

export function revalidate(item: QuarantinedItem, text: string, context: RevalidationContext): Revalidation {
  let received: ReceivedEvent;
  try {
    JSON.parse(text);
    const document = readJsonDocument(text);
    received = { value: document.root, text, ...(document.deepElements.size > 0 && { deep: true }) };
  } catch (error) {
    return { kind: 'unreadable', reason: `its stored text is not JSON: ${(error as Error).message}` };
  }
  const reading = context.read(received.value);
  if (!reading.routable) {
    const issues = listedIssues(reading.issues);
    const changed = issues.join('\n') !== item.issues.join('\n');
    return { kind: 'still-quarantined', issues, changed };
  }
  // The original arrival: the accepted item keeps the event's time and retention (TTL) as received.
  const receivedAt = new Date(item.receivedAt);
  if (Number.isNaN(receivedAt.getTime())) return { kind: 'unreadable', reason: 'the item has no receivedAt' };
  return { kind: 'passes', item: acceptedEventItem(received, reading.event, { ...context, receivedAt }) };
}

/** The attributes of an issues update (SET issues = …). */
export function issuesValue(issues: readonly string[]): AttributeValue {
  return { L: issues.map((issue) => ({ S: issue })) };
}

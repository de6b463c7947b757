import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { fromAttributeMap } from '../../functions/shared/events/attribute-values.js';
import { type RawObjectPointer, storedText } from '../../functions/shared/events/stored-event.js';
import type { LargeEventStore } from '../ops/large-event-store.js';

/** A quarantined item as the commands read it (functions/shared/events/stored-event.ts describes the layout). */
export interface QuarantinedItem {
  readonly eventKey: string;
  readonly receivedAt: string;
  readonly eventType?: string;
  readonly clientId?: string;
  readonly issues: readonly string[];
  /** The event's text inline, or where it is kept (S3). */
  readonly raw?: string;
  readonly rawObject?: RawObjectPointer;
  readonly attributes: Record<string, AttributeValue>;
}

export function readQuarantinedItem(attributes: Record<string, AttributeValue>): QuarantinedItem {
  const item = fromAttributeMap(attributes) as Record<string, unknown>;
  const issues = Array.isArray(item.issues) ? item.issues.map(String) : [];
  return {
    eventKey: String(item.eventKey),
    receivedAt: typeof item.receivedAt === 'string' ? item.receivedAt : '',
    ...(typeof item.eventType === 'string' && { eventType: item.eventType }),
    ...(item.clientId !== undefined && { clientId: String(item.clientId) }),
    issues,
    ...(storedText(item) !== undefined && { raw: storedText(item) }),
    ...(item.rawObject !== undefined && { rawObject: item.rawObject as RawObjectPointer }),
    attributes,
  };
}

/** The event's source text, from the item or its S3 byte range. */
export async function eventTextOf(item: QuarantinedItem, store: LargeEventStore): Promise<string> {
  if (item.raw !== undefined) return item.raw;
  if (item.rawObject !== undefined) return store.readText(item.rawObject);
  throw new Error('the item holds neither raw nor rawObject');
}

/** An issue without the part that names one event (quoted values), so reasons group across events. */
export function reasonOf(issue: string): string {
  return issue.replace(/"[^"]*"/g, '"…"');
}

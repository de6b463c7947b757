import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ReceivedEvent } from '../../functions/ingest/event-items.js';
import { createEventReader } from '../../functions/ingest/event-reader.js';
import { classifyBatch } from '../../functions/ingest/ingest-batch.js';
import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../../functions/shared/campaign-event-types.js';

/**
 * The table item the ingest writes for an event, for tests that need stream images or scanned items (the
 * fan-out, the redrive): the event is sent as its JSON text, through the ingest's own classification.
 */
export interface StoredItemOptions {
  readonly eventTypes?: readonly CampaignEventType[];
  readonly receivedAt?: Date;
  readonly retentionDays?: number;
}

export function storedItem(event: unknown, options: StoredItemOptions = {}): Record<string, AttributeValue> {
  const { entries } = classifyBatch(receivedEvents([event]), {
    read: createEventReader({ eventTypes: options.eventTypes ?? CAMPAIGN_EVENT_TYPES }),
    receivedAt: options.receivedAt ?? new Date('2025-03-01T10:00:00.000Z'),
    retentionDays: options.retentionDays ?? 30,
    bucket: 'large-events',
  });
  return (entries[0] as (typeof entries)[number]).item.attributes;
}

/** Events as the ingest receives them: each with its JSON text. */
export function receivedEvents(events: readonly unknown[]): ReceivedEvent[] {
  return events.map((value) => ({ value, text: JSON.stringify(value) }));
}

import type { CampaignEventType } from '../shared/campaign-event-types.js';
import type { EventStore, PutAllResult } from '../shared/event-store.js';
import { unstorableReason } from '../shared/events/attribute-values.js';
import {
  type BounceCategory,
  bounceCategoryOf,
  type CampaignEventRecord,
  type EventValidation,
  eventTimeOf,
  readableFields,
} from '../shared/events/schema.js';
import {
  acceptedItem,
  type EventItem,
  type ItemTimes,
  MAX_ACCEPTED_EVENT_BYTES,
  quarantinedItem,
} from '../shared/events/stored-event.js';

/**
 * The batch ingestion domain: every event of a parsed batch becomes exactly one item, accepted or
 * quarantined, and the whole set is stored before anything is reported. Nothing is dropped: an event
 * that is not a valid, storable Campaign event is quarantined with its raw text and the reasons.
 */
export interface IngestBatchOptions {
  readonly validate: (raw: unknown) => EventValidation;
  readonly store: EventStore;
  readonly retentionDays: number;
  /** The receive time of the request (one for the whole batch). */
  readonly receivedAt: Date;
}

export interface QuarantinedEventReport {
  /** Position of the event in the batch (0-based). */
  readonly index: number;
  readonly eventKey: string;
  readonly issues: readonly string[];
}

export interface EventTypeTally {
  /** Events of this type in the batch (quarantined ones whose type could be read included). */
  received: number;
  accepted: number;
  /** Seconds from the event's own timestamp to its arrival, for accepted events that carry one. */
  readonly delaysSeconds: number[];
}

export interface IngestSummary {
  readonly received: number;
  readonly accepted: number;
  readonly quarantined: number;
  /** Events with the same content as an earlier event of the batch (stored once, counted each time). */
  readonly duplicates: number;
  readonly quarantinedEvents: readonly QuarantinedEventReport[];
  readonly byType: ReadonlyMap<CampaignEventType, EventTypeTally>;
  /** Accepted bounce events per category. */
  readonly bounces: Readonly<Record<BounceCategory, number>>;
  readonly storage: PutAllResult;
}

export interface ClassifiedBatch {
  readonly items: readonly EventItem[];
  readonly summary: Omit<IngestSummary, 'storage'>;
}

/** Validates and classifies every event; pure (no I/O). */
export function classifyBatch(
  events: readonly unknown[],
  options: Pick<IngestBatchOptions, 'validate' | 'retentionDays' | 'receivedAt'>,
): ClassifiedBatch {
  const times: ItemTimes = { receivedAt: options.receivedAt, retentionDays: options.retentionDays };
  const items: EventItem[] = [];
  const quarantinedEvents: QuarantinedEventReport[] = [];
  const byType = new Map<CampaignEventType, EventTypeTally>();
  const bounces: Record<BounceCategory, number> = { hard: 0, soft: 0, unknown: 0 };
  const seenKeys = new Set<string>();
  let accepted = 0;
  let duplicates = 0;

  const tally = (type: CampaignEventType): EventTypeTally => {
    let entry = byType.get(type);
    if (entry === undefined) {
      entry = { received: 0, accepted: 0, delaysSeconds: [] };
      byType.set(type, entry);
    }
    return entry;
  };

  events.forEach((raw, index) => {
    const rawText = JSON.stringify(raw);
    const validation = options.validate(raw);
    const issues = validation.valid ? storageIssues(validation.event, rawText) : validation.issues;
    let item: EventItem;
    if (validation.valid && issues.length === 0) {
      const event = validation.event;
      item = acceptedItem(event, raw, rawText, times);
      accepted++;
      const typeTally = tally(event.type);
      typeTally.received++;
      typeTally.accepted++;
      const delay = delaySeconds(event, options.receivedAt);
      if (delay !== undefined) typeTally.delaysSeconds.push(delay);
      if (event.type === 'bounce') bounces[bounceCategoryOf(event)]++;
    } else {
      const readable = readableFields(raw);
      item = quarantinedItem(raw, rawText, issues, readable, times);
      quarantinedEvents.push({ index, eventKey: item.eventKey, issues });
      if (readable.eventType !== undefined) tally(readable.eventType).received++;
    }
    if (seenKeys.has(item.eventKey)) duplicates++;
    seenKeys.add(item.eventKey);
    items.push(item);
  });

  return {
    items,
    summary: {
      received: events.length,
      accepted,
      quarantined: quarantinedEvents.length,
      duplicates,
      quarantinedEvents,
      byType,
      bounces,
    },
  };
}

/** Classifies the batch and stores every item; throws EventStoreError when not all could be stored. */
export async function ingestBatch(
  events: readonly unknown[],
  options: IngestBatchOptions,
): Promise<IngestSummary> {
  const { items, summary } = classifyBatch(events, options);
  const storage = await options.store.putAll(items);
  return { ...summary, storage };
}

/** Why a valid event cannot be stored as an accepted item (it is quarantined instead), if it cannot. */
function storageIssues(event: CampaignEventRecord, rawText: string): string[] {
  // UTF-8 needs 1 to 3 bytes per UTF-16 code unit: only measure when the length leaves it open.
  if (rawText.length * 3 > MAX_ACCEPTED_EVENT_BYTES) {
    const bytes = Buffer.byteLength(rawText);
    if (bytes > MAX_ACCEPTED_EVENT_BYTES) {
      return [
        `event: is ${bytes} bytes of JSON; events over ${MAX_ACCEPTED_EVENT_BYTES} bytes cannot be stored and published whole`,
      ];
    }
  }
  const reason = unstorableReason(event);
  return reason === undefined ? [] : [reason];
}

function delaySeconds(event: CampaignEventRecord, receivedAt: Date): number | undefined {
  const eventTime = eventTimeOf(event);
  if (eventTime === undefined) return undefined;
  // A sender clock ahead of ours would give a negative delay; it means "no measurable delay".
  return Math.max(0, (receivedAt.getTime() - eventTime.getTime()) / 1000);
}

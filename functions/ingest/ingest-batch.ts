import type { CampaignEventType } from '../shared/campaign-event-types.js';
import type { EventStore, PutAllResult } from '../shared/event-store.js';
import { itemBytes, unstorableReason } from '../shared/events/attribute-values.js';
import {
  type BounceCategory,
  bounceCategoryOf,
  type CampaignEventRecord,
  type EventValidation,
  eventTimeOf,
  readableFields,
} from '../shared/events/schema.js';
import {
  type AcceptedEventItem,
  acceptedItem,
  type EventItem,
  type ItemTimes,
  MAX_ACCEPTED_EVENT_BYTES,
  MAX_ITEM_BYTES,
  quarantinedItem,
  toItem,
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
  /** Epoch milliseconds by which storing must be done (see PutAllOptions.deadline). */
  readonly deadline?: number;
}

export interface QuarantinedEventReport {
  /** Position of the event in the batch (0-based). */
  readonly index: number;
  readonly eventKey: string;
  /** As stored in the quarantine item: at most MAX_LISTED_ISSUES, then `… and N more issues`. */
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
    const outcome = validation.valid
      ? storableAcceptedItem(validation.event, raw, rawText, times)
      : { issues: validation.issues };
    let item: EventItem;
    if ('item' in outcome) {
      const event = outcome.item.event;
      item = outcome.item;
      accepted++;
      const typeTally = tally(event.type);
      typeTally.received++;
      typeTally.accepted++;
      const delay = delaySeconds(event, options.receivedAt);
      if (delay !== undefined) typeTally.delaysSeconds.push(delay);
      if (event.type === 'bounce') bounces[bounceCategoryOf(event)]++;
    } else {
      const readable = readableFields(raw);
      const quarantined = quarantinedItem(raw, rawText, outcome.issues, readable, times);
      item = quarantined;
      // The item's issues: the first few and a count of the rest, as stored.
      quarantinedEvents.push({ index, eventKey: quarantined.eventKey, issues: quarantined.issues });
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
  const storage = await options.store.putAll(items, { deadline: options.deadline });
  return { ...summary, storage };
}

/** The accepted item of a valid event, or why it cannot be stored as one (it is quarantined instead). */
function storableAcceptedItem(
  event: CampaignEventRecord,
  rawEvent: unknown,
  rawText: string,
  times: ItemTimes,
): { item: AcceptedEventItem } | { issues: readonly string[] } {
  // UTF-8 needs 1 to 3 bytes per UTF-16 code unit: only measure when the length leaves it open.
  if (rawText.length * 3 > MAX_ACCEPTED_EVENT_BYTES) {
    const bytes = Buffer.byteLength(rawText);
    if (bytes > MAX_ACCEPTED_EVENT_BYTES) {
      return {
        issues: [
          `event: is ${bytes} bytes of JSON; events over ${MAX_ACCEPTED_EVENT_BYTES} bytes cannot be stored and published whole`,
        ],
      };
    }
  }
  const reason = unstorableReason(event);
  if (reason !== undefined) return { issues: [reason] };
  const item = acceptedItem(event, rawEvent, rawText, times);
  const itemSize = itemBytes(toItem(item));
  if (itemSize > MAX_ITEM_BYTES) {
    return {
      issues: [
        `event: takes ${itemSize} bytes as a DynamoDB item (the event and its raw text); at most ${MAX_ITEM_BYTES} are stored`,
      ],
    };
  }
  return { item };
}

function delaySeconds(event: CampaignEventRecord, receivedAt: Date): number | undefined {
  const eventTime = eventTimeOf(event);
  if (eventTime === undefined) return undefined;
  // A sender clock ahead of ours would give a negative delay; it means "no measurable delay".
  return Math.max(0, (receivedAt.getTime() - eventTime.getTime()) / 1000);
}

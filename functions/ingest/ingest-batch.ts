import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { idText } from '../shared/events/event-id.js';
import { type BounceCategory, bounceCategoryOf, eventTimeOf } from '../shared/events/schema.js';
import { EVENT_STATUS } from '../shared/events/stored-event.js';
import {
  acceptedEventItem,
  type ItemContext,
  quarantinedEventItem,
  type ReceivedEvent,
  refusedEventItem,
  shareObject,
  type WriteReadyItem,
} from './event-items.js';
import type { EventReading, ReadableFields } from './event-reader.js';
import type { EventStore, PutAllResult, StoreEntry } from './event-store.js';

/**
 * The batch ingestion domain: every event of a parsed batch becomes exactly one item, accepted or
 * quarantined, and the whole set is stored before anything is reported. Nothing is dropped: an event
 * that cannot be routed is quarantined with its text and the reasons; one DynamoDB refuses anyway is
 * quarantined on its own by the store.
 */
export interface ClassifyOptions extends ItemContext {
  readonly read: (value: unknown) => EventReading;
}

export interface IngestBatchOptions extends ClassifyOptions {
  readonly store: EventStore;
  /** Epoch milliseconds by which storing must be done (see PutAllOptions.deadline). */
  readonly deadline?: number;
  /** Told the batch's summary once it is read, before storing starts (which may fail). */
  readonly onClassified?: (summary: IngestSummary) => void;
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
  /** Accepted events lacking a field the type normally carries (see EXPECTED_FIELDS_BY_TYPE). */
  missingFields: number;
  /** Seconds from the event's own timestamp to its arrival, for accepted events that carry one. */
  readonly delaysSeconds: number[];
}

export interface IngestSummary {
  readonly received: number;
  readonly accepted: number;
  readonly quarantined: number;
  /** Accepted events recognised as Campaign verify's test events (stored, not published by default). */
  readonly verification: number;
  /** Events with the same content as an earlier event of the batch (stored once, counted each time). */
  readonly duplicates: number;
  /** Events kept whole in the large-event bucket (too large or too unusual for an item). */
  readonly keptInS3: number;
  readonly quarantinedEvents: readonly QuarantinedEventReport[];
  readonly byType: ReadonlyMap<CampaignEventType, EventTypeTally>;
  /** The client ids the batch's events carry (quarantined ones whose id could be read included). */
  readonly clientIds: ReadonlySet<string>;
  /** Accepted bounce events per category. */
  readonly bounces: Readonly<Record<BounceCategory, number>>;
}

export interface ClassifiedBatch {
  /** One entry per distinct event key, in batch order. */
  readonly entries: readonly StoreEntry[];
  readonly summary: IngestSummary;
  /** For each event of the batch, how it was read and its item (duplicates share one key). */
  readonly outcomes: ReadonlyArray<{ readonly reading: EventReading; readonly item: WriteReadyItem }>;
}

/** Reads and classifies every event into write-ready items; pure (no I/O). */
export function classifyBatch(events: readonly ReceivedEvent[], options: ClassifyOptions): ClassifiedBatch {
  const tallies = new Tallies();
  const entries = new Map<string, StoreEntry>();
  const outcomes: Array<{ reading: EventReading; item: WriteReadyItem }> = [];
  let duplicates = 0;
  events.forEach((received, index) => {
    const reading = options.read(received.value);
    const entry = storeEntry(received, reading, options);
    const eventKey = entry.item.eventKey;
    outcomes.push({ reading, item: entry.item });
    if (entries.has(eventKey)) duplicates++;
    else entries.set(eventKey, entry);
    tallies.count(index, entry.item, reading, options.receivedAt);
  });
  const distinct = [...entries.values()];
  return {
    ...sharedObject(distinct, outcomes, options.bucket),
    summary: tallies.summary(events.length, duplicates),
  };
}

/** One S3 write for all of the batch's large events, however many there are (the items point into it). */
function sharedObject(
  distinct: StoreEntry[],
  outcomes: Array<{ reading: EventReading; item: WriteReadyItem }>,
  bucket: string,
): Pick<ClassifiedBatch, 'entries' | 'outcomes'> {
  const shared = shareObject(
    distinct.map((entry) => entry.item),
    bucket,
  );
  if (shared.every((item, index) => item === distinct[index]?.item)) return { entries: distinct, outcomes };
  const byKey = new Map(shared.map((item) => [item.eventKey, item]));
  return {
    entries: distinct.map((entry, index) => ({ ...entry, item: shared[index] as WriteReadyItem })),
    outcomes: outcomes.map((outcome) => ({
      ...outcome,
      item: byKey.get(outcome.item.eventKey) as WriteReadyItem,
    })),
  };
}

function storeEntry(received: ReceivedEvent, reading: EventReading, context: ItemContext): StoreEntry {
  const readable: ReadableFields = reading.routable
    ? { eventType: reading.event.type, clientId: reading.event.clientId }
    : reading.readable;
  const item = reading.routable
    ? acceptedEventItem(received, reading.event, context)
    : quarantinedEventItem(received, reading.issues, reading.readable, context);
  return { item, onRefused: (reason) => refusedEventItem(received, reason, readable, context) };
}

/** Classifies the batch and stores every item; throws EventStoreError when not all could be stored. */
export async function ingestBatch(
  events: readonly ReceivedEvent[],
  options: IngestBatchOptions,
): Promise<{ summary: IngestSummary; storage: PutAllResult }> {
  const classified = classifyBatch(events, options);
  options.onClassified?.(classified.summary);
  const storage = await options.store.putAll(classified.entries, { deadline: options.deadline });
  return { summary: withRefusals(classified, storage, options.receivedAt), storage };
}

/** The summary once the store replaced refused items: those events count as quarantined. */
function withRefusals(classified: ClassifiedBatch, storage: PutAllResult, receivedAt: Date): IngestSummary {
  if (storage.refused.length === 0) return classified.summary;
  const replaced = new Map(storage.refused.map((refusal) => [refusal.eventKey, refusal.replacement]));
  const tallies = new Tallies();
  classified.outcomes.forEach(({ reading, item }, index) => {
    tallies.count(index, replaced.get(item.eventKey) ?? item, reading, receivedAt);
  });
  return tallies.summary(classified.outcomes.length, classified.summary.duplicates);
}

class Tallies {
  private readonly byType = new Map<CampaignEventType, EventTypeTally>();
  private readonly bounces: Record<BounceCategory, number> = { hard: 0, soft: 0, unknown: 0 };
  private readonly quarantinedEvents: QuarantinedEventReport[] = [];
  private readonly clientIds = new Set<string>();
  private accepted = 0;
  private verification = 0;
  private keptInS3 = 0;

  count(index: number, item: WriteReadyItem, reading: EventReading, receivedAt: Date): void {
    if (item.attributes.rawObject !== undefined) this.keptInS3++;
    const clientId = reading.routable ? reading.event.clientId : reading.readable.clientId;
    if (clientId !== undefined) this.clientIds.add(idText(clientId));
    if (item.status === EVENT_STATUS.quarantined) {
      this.quarantinedEvents.push({ index, eventKey: item.eventKey, issues: item.issues ?? [] });
      const type = reading.routable ? reading.event.type : reading.readable.eventType;
      if (type !== undefined) this.tally(type).received++;
      return;
    }
    if (!reading.routable) return;
    const event = reading.event;
    this.accepted++;
    // A verify test event is counted, but kept out of the per-type and business figures.
    if (event.verification) {
      this.verification++;
      return;
    }
    const tally = this.tally(event.type);
    tally.received++;
    tally.accepted++;
    if (event.missingFields.length > 0) tally.missingFields++;
    const eventTime = eventTimeOf(event.event);
    // A sender clock ahead of ours would give a negative delay; it means "no measurable delay".
    if (eventTime !== undefined)
      tally.delaysSeconds.push(Math.max(0, (receivedAt.getTime() - eventTime.getTime()) / 1000));
    if (event.type === 'bounce') this.bounces[bounceCategoryOf(event.event)]++;
  }

  summary(received: number, duplicates: number): IngestSummary {
    return {
      received,
      accepted: this.accepted,
      quarantined: this.quarantinedEvents.length,
      verification: this.verification,
      duplicates,
      keptInS3: this.keptInS3,
      quarantinedEvents: this.quarantinedEvents,
      byType: this.byType,
      clientIds: this.clientIds,
      bounces: this.bounces,
    };
  }

  private tally(type: CampaignEventType): EventTypeTally {
    let entry = this.byType.get(type);
    if (entry === undefined) {
      entry = { received: 0, accepted: 0, missingFields: 0, delaysSeconds: [] };
      this.byType.set(type, entry);
    }
    return entry;
  }
}

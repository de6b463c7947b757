import type { AttributeValue, DynamoDBBatchItemFailure, DynamoDBRecord } from 'aws-lambda';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { readImage } from '../shared/events/stored-event.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, type RetryClock, SYSTEM_CLOCK } from './backoff.js';
import { toMessage } from './message.js';
import { publishWithRetry, type RetriedOutcome } from './publish-with-retry.js';
import { type MessageToPublish, type Publisher, packBatches } from './publisher.js';
import type { SetAside, SetAsideRecord } from './set-aside.js';

/**
 * The fan-out domain: publish each newly inserted accepted event to its type's topic, in stream order,
 * and keep the shard moving or waiting as the failure demands.
 *
 * - Only INSERT records of `status = accepted` items are published (MODIFY, REMOVE and quarantined items
 *   are ignored, whatever the mapping's filter let through). Records are grouped by type and published
 *   with PublishBatch; SNS's transient refusals are retried here with backoff until the time budget ends.
 * - A record that can never be published as it is (SNS calls it invalid, its type has no topic, its image
 *   is unreadable) is parked alone with its content; the records around it flow.
 * - A record still failing transiently when the budget ends is reported (batchItemFailures) with every
 *   record after it that is not published: Lambda retries from it, so the shard waits in order. Records
 *   after it that were published will be sent again by that retry (counted as `republished`).
 * - A record failing transiently once it is older than `holdAfterMs` is held in a queue (published from
 *   there when SNS is back), so it cannot expire with the stream's 24-hour retention.
 *
 * Without `setAside` (the replay tool) nothing is parked or held: every unpublished record is a failure.
 */
export interface FanOutDependencies {
  readonly publisher: Publisher;
  readonly topicArns: ReadonlyMap<CampaignEventType, string>;
  readonly setAside?: SetAside;
  /** Retry transient refusals until this epoch ms (the invocation's budget). @default no retry */
  readonly retryUntil?: number;
  /** Hold a transiently failing record older than this. @default never */
  readonly holdAfterMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly clock?: RetryClock;
}

export interface RecordFailure {
  readonly sequenceNumber: string | undefined;
  readonly eventType?: CampaignEventType;
  readonly eventKey?: string;
  readonly code?: string;
  readonly reason: string;
}

export interface FanOutResult {
  readonly batchItemFailures: DynamoDBBatchItemFailure[];
  readonly publishedByType: ReadonlyMap<CampaignEventType, number>;
  readonly failedByType: ReadonlyMap<CampaignEventType, number>;
  /** Records reported for retry (not published, parked or held). */
  readonly failures: readonly RecordFailure[];
  readonly parked: readonly RecordFailure[];
  readonly held: readonly RecordFailure[];
  /** Published records after the first reported one: the mapping's retry publishes them again. */
  readonly republished: number;
  /** Records that are not an accepted event's INSERT. */
  readonly ignored: number;
  /** PublishBatch calls made. */
  readonly publishRequests: number;
  /** Publish attempts beyond each message's first, within this invocation. */
  readonly retries: number;
}

/** One record of the batch and what became of it. */
interface Entry {
  readonly position: number;
  readonly record: DynamoDBRecord;
  readonly eventType?: CampaignEventType;
  readonly eventKey?: string;
  readonly topicArn?: string;
  readonly message?: MessageToPublish;
  outcome:
    | { kind: 'published' }
    | { kind: 'ignored' }
    | { kind: 'pending' }
    | { kind: 'permanent' | 'transient'; code: string; reason: string };
}

export async function fanOut(
  records: readonly DynamoDBRecord[],
  deps: FanOutDependencies,
): Promise<FanOutResult> {
  const entries = records.map((record, position) => readEntry(record, position, deps.topicArns));
  const { requests, retries } = await publishPending(entries, deps);
  const settled = await settle(entries, deps);
  const missingSequence = settled.failures.find((failure) => failure.sequenceNumber === undefined);
  if (missingSequence !== undefined) {
    // Without a sequence number the failure cannot be reported per record: fail the whole batch instead.
    throw new Error(`A record that failed has no SequenceNumber (${missingSequence.reason})`);
  }
  return {
    ...settled,
    batchItemFailures: settled.failures.map((failure) => ({
      itemIdentifier: failure.sequenceNumber as string,
    })),
    ...countByType(entries),
    ignored: entries.filter((entry) => entry.outcome.kind === 'ignored').length,
    publishRequests: requests,
    retries,
  };
}

function readEntry(
  record: DynamoDBRecord,
  position: number,
  topicArns: ReadonlyMap<CampaignEventType, string>,
): Entry {
  if (record.eventName !== 'INSERT') return { position, record, outcome: { kind: 'ignored' } };
  const reading = readImage(record.dynamodb?.NewImage);
  if (reading.kind === 'not-accepted') return { position, record, outcome: { kind: 'ignored' } };
  if (reading.kind === 'unreadable') {
    const reason = `unreadable image: ${reading.reason}`;
    return { position, record, outcome: { kind: 'permanent', code: 'UnreadableImage', reason } };
  }
  const { eventType, eventKey } = reading.event;
  const topicArn = topicArns.get(eventType);
  const { body, attributes } = toMessage(reading.event);
  const message = { id: String(position), body, attributes };
  if (topicArn === undefined) {
    const outcome = { kind: 'permanent' as const, code: 'NoTopic', reason: `no topic for ${eventType}` };
    return { position, record, eventType, eventKey, message, outcome };
  }
  const oversized = packBatches([message]).oversized.length > 0;
  const outcome: Entry['outcome'] = oversized
    ? { kind: 'permanent', code: 'MessageTooLarge', reason: 'MessageTooLarge: larger than SNS accepts' }
    : { kind: 'pending' };
  return { position, record, eventType, eventKey, topicArn, message, outcome };
}

/** Publishes every pending entry, each topic's group with its own retries, all groups at once. */
async function publishPending(entries: Entry[], deps: FanOutDependencies) {
  const groups = new Map<string, Entry[]>();
  for (const entry of entries) {
    if (entry.outcome.kind !== 'pending' || entry.topicArn === undefined) continue;
    groups.set(entry.topicArn, [...(groups.get(entry.topicArn) ?? []), entry]);
  }
  const clock = deps.clock ?? SYSTEM_CLOCK;
  const holdDue = (id: string) => holdDueAt(entries[Number(id)]?.record, deps.holdAfterMs);
  const outcomes = await Promise.all(
    [...groups].map(async ([topicArn, group]) => {
      const outcome = await publishWithRetry(
        deps.publisher,
        topicArn,
        group.map((entry) => entry.message as MessageToPublish),
        {
          deadline: deps.retryUntil ?? clock.now(),
          policy: deps.backoff ?? DEFAULT_BACKOFF,
          clock,
          // A record due to be held is held at once, not at the end of the budget.
          deadlineFor: (failing) => Math.min(...failing.map(holdDue)),
        },
      );
      for (const entry of group) entry.outcome = outcomeOf(entry, outcome);
      return outcome;
    }),
  );
  return {
    requests: outcomes.reduce((sum, outcome) => sum + outcome.requests, 0),
    retries: outcomes.reduce((sum, outcome) => sum + outcome.retries, 0),
  };
}

function outcomeOf(entry: Entry, outcome: RetriedOutcome): Entry['outcome'] {
  const id = entry.message?.id as string;
  if (outcome.publishedIds.has(id)) return { kind: 'published' };
  const permanent = outcome.permanent.get(id);
  if (permanent)
    return { kind: 'permanent', code: permanent.code, reason: `${permanent.code}: ${permanent.message}` };
  const transient = outcome.transient.get(id);
  const code = transient?.code ?? 'NotAttempted';
  return { kind: 'transient', code, reason: `${code}: ${transient?.message ?? 'the budget ended first'}` };
}

/** When a record becomes due to be held (epoch ms); never without a hold age or a creation time. */
function holdDueAt(record: DynamoDBRecord | undefined, holdAfterMs: number | undefined): number {
  const created = record?.dynamodb?.ApproximateCreationDateTime;
  if (holdAfterMs === undefined || created === undefined) return Number.POSITIVE_INFINITY;
  return created * 1000 + holdAfterMs;
}

/**
 * In stream order: parks what is permanent and holds what is due, until the first record that must wait
 * (or whose setting aside failed); that record and every unpublished one after it are the failures.
 */
async function settle(entries: readonly Entry[], deps: FanOutDependencies) {
  const parked: RecordFailure[] = [];
  const held: RecordFailure[] = [];
  const clock = deps.clock ?? SYSTEM_CLOCK;
  let checkpoint = entries.length;
  for (const entry of entries) {
    const { outcome } = entry;
    if (outcome.kind !== 'permanent' && outcome.kind !== 'transient') continue;
    const disposition =
      outcome.kind === 'permanent'
        ? 'parked'
        : holdDueAt(entry.record, deps.holdAfterMs) <= clock.now()
          ? 'held'
          : undefined;
    if (disposition === undefined || deps.setAside === undefined) {
      checkpoint = entry.position;
      break;
    }
    try {
      await deps.setAside(setAsideRecord(entry, disposition, outcome, clock));
    } catch {
      checkpoint = entry.position;
      break;
    }
    (disposition === 'parked' ? parked : held).push(failureOf(entry, outcome));
  }
  const after = entries.slice(checkpoint);
  const failures = after
    .filter((entry) => entry.outcome.kind !== 'published' && entry.outcome.kind !== 'ignored')
    .map((entry) => failureOf(entry, entry.outcome as { code: string; reason: string }));
  const republished = after.filter((entry) => entry.outcome.kind === 'published').length;
  return {
    parked,
    held,
    failures: checkpoint < entries.length ? failures : [],
    republished: failures.length > 0 ? republished : 0,
  };
}

function failureOf(entry: Entry, outcome: { code?: string; reason: string }): RecordFailure {
  return {
    sequenceNumber: entry.record.dynamodb?.SequenceNumber,
    ...(entry.eventType === undefined ? {} : { eventType: entry.eventType }),
    ...(entry.eventKey === undefined ? {} : { eventKey: entry.eventKey }),
    ...(outcome.code === undefined ? {} : { code: outcome.code }),
    reason: outcome.reason,
  };
}

function setAsideRecord(
  entry: Entry,
  disposition: SetAsideRecord['disposition'],
  outcome: { code: string; reason: string },
  clock: RetryClock,
): SetAsideRecord {
  const stream = entry.record.dynamodb;
  return {
    disposition,
    reason: outcome.reason,
    code: outcome.code,
    ...(entry.eventKey === undefined ? {} : { eventKey: entry.eventKey }),
    ...(entry.eventType === undefined ? {} : { eventType: entry.eventType }),
    ...(stream?.SequenceNumber === undefined ? {} : { sequenceNumber: stream.SequenceNumber }),
    ...(stream?.ApproximateCreationDateTime === undefined
      ? {}
      : { approximateCreationDateTime: stream.ApproximateCreationDateTime }),
    ...(entry.topicArn === undefined ? {} : { topicArn: entry.topicArn }),
    ...(entry.message === undefined
      ? {}
      : { message: { body: entry.message.body, attributes: entry.message.attributes } }),
    ...(stream?.NewImage === undefined ? {} : { image: stream.NewImage as Record<string, AttributeValue> }),
    setAsideAt: new Date(clock.now()).toISOString(),
  };
}

function countByType(entries: readonly Entry[]) {
  const publishedByType = new Map<CampaignEventType, number>();
  const failedByType = new Map<CampaignEventType, number>();
  for (const entry of entries) {
    if (entry.eventType === undefined) continue;
    const counts =
      entry.outcome.kind === 'published'
        ? publishedByType
        : entry.outcome.kind === 'ignored'
          ? undefined
          : failedByType;
    counts?.set(entry.eventType, (counts.get(entry.eventType) ?? 0) + 1);
  }
  return { publishedByType, failedByType };
}

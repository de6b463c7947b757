import type { SQSBatchItemFailure, SQSRecord } from 'aws-lambda';
import { type CampaignEventType, isCampaignEventType } from '../shared/campaign-event-types.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, type RetryClock, SYSTEM_CLOCK } from './backoff.js';
import type { RecordFailure } from './fan-out.js';
import { publishWithRetry } from './publish-with-retry.js';
import type { MessageToPublish, Publisher } from './publisher.js';
import { parseSetAside, type SetAside, type SetAsideRecord } from './set-aside.js';

/**
 * The held-events queue's consumer: publishes each held record as the stream path would have, with the
 * same retries. What SNS still refuses transiently is reported (the queue gives it back after its
 * visibility timeout, and keeps it for 14 days); what SNS refuses as invalid is parked.
 */
export interface HeldEventsDependencies {
  readonly publisher: Publisher;
  readonly setAside: SetAside;
  readonly retryUntil: number;
  readonly backoff?: BackoffPolicy;
  readonly clock?: RetryClock;
}

export interface HeldEventsResult {
  readonly batchItemFailures: SQSBatchItemFailure[];
  readonly publishedByType: ReadonlyMap<CampaignEventType, number>;
  readonly failures: readonly RecordFailure[];
  readonly parked: readonly RecordFailure[];
  readonly publishRequests: number;
}

interface Held {
  readonly messageId: string;
  readonly record: SetAsideRecord;
  readonly message: MessageToPublish;
}

export async function publishHeldEvents(
  records: readonly SQSRecord[],
  deps: HeldEventsDependencies,
): Promise<HeldEventsResult> {
  const groups = new Map<string, Held[]>();
  const unreadable: SQSRecord[] = [];
  for (const [index, sqsRecord] of records.entries()) {
    const record = parseSetAside(sqsRecord.body);
    if (record?.topicArn === undefined || record.message === undefined) {
      unreadable.push(sqsRecord);
      continue;
    }
    const held = {
      messageId: sqsRecord.messageId,
      record,
      message: { id: String(index), ...record.message },
    };
    groups.set(record.topicArn, [...(groups.get(record.topicArn) ?? []), held]);
  }
  const result = {
    batchItemFailures: [] as SQSBatchItemFailure[],
    publishedByType: new Map<CampaignEventType, number>(),
    failures: [] as RecordFailure[],
    parked: [] as RecordFailure[],
    publishRequests: 0,
  };
  for (const sqsRecord of unreadable) await parkUnreadable(sqsRecord, deps, result);
  await Promise.all([...groups].map(([topicArn, group]) => publishGroup(topicArn, group, deps, result)));
  return result;
}

async function publishGroup(
  topicArn: string,
  group: readonly Held[],
  deps: HeldEventsDependencies,
  result: {
    batchItemFailures: SQSBatchItemFailure[];
    publishedByType: Map<CampaignEventType, number>;
    failures: RecordFailure[];
    parked: RecordFailure[];
    publishRequests: number;
  },
): Promise<void> {
  const clock = deps.clock ?? SYSTEM_CLOCK;
  const outcome = await publishWithRetry(
    deps.publisher,
    topicArn,
    group.map((held) => held.message),
    { deadline: deps.retryUntil, policy: deps.backoff ?? DEFAULT_BACKOFF, clock },
  );
  result.publishRequests += outcome.requests;
  for (const held of group) {
    const { record, messageId } = held;
    const failure = (code: string, reason: string): RecordFailure => ({
      sequenceNumber: record.sequenceNumber,
      ...(isCampaignEventType(record.eventType) ? { eventType: record.eventType } : {}),
      ...(record.eventKey === undefined ? {} : { eventKey: record.eventKey }),
      code,
      reason,
    });
    if (outcome.publishedIds.has(held.message.id)) {
      const type = isCampaignEventType(record.eventType) ? record.eventType : undefined;
      if (type) result.publishedByType.set(type, (result.publishedByType.get(type) ?? 0) + 1);
      continue;
    }
    const permanent = outcome.permanent.get(held.message.id);
    if (permanent !== undefined) {
      const reason = `${permanent.code}: ${permanent.message}`;
      const parked = { ...record, disposition: 'parked' as const, code: permanent.code, reason };
      if (await sent(deps, { ...parked, setAsideAt: new Date(clock.now()).toISOString() })) {
        result.parked.push(failure(permanent.code, reason));
        continue;
      }
    }
    const transient = outcome.transient.get(held.message.id);
    const code = transient?.code ?? permanent?.code ?? 'NotAttempted';
    result.failures.push(failure(code, `${code}: ${transient?.message ?? 'still held'}`));
    result.batchItemFailures.push({ itemIdentifier: messageId });
  }
}

async function parkUnreadable(
  sqsRecord: SQSRecord,
  deps: HeldEventsDependencies,
  result: { batchItemFailures: SQSBatchItemFailure[]; parked: RecordFailure[]; failures: RecordFailure[] },
): Promise<void> {
  const reason = 'a held-events message that is not a held record';
  const parked: SetAsideRecord = {
    disposition: 'parked',
    code: 'UnreadableHeldMessage',
    reason,
    message: { body: sqsRecord.body, attributes: {} },
    setAsideAt: new Date((deps.clock ?? SYSTEM_CLOCK).now()).toISOString(),
  };
  if (await sent(deps, parked)) result.parked.push({ sequenceNumber: undefined, code: parked.code, reason });
  else {
    result.failures.push({ sequenceNumber: undefined, code: parked.code, reason });
    result.batchItemFailures.push({ itemIdentifier: sqsRecord.messageId });
  }
}

async function sent(deps: HeldEventsDependencies, record: SetAsideRecord): Promise<boolean> {
  try {
    await deps.setAside(record);
    return true;
  } catch {
    return false;
  }
}

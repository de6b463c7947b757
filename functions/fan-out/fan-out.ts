import type { DynamoDBBatchItemFailure, DynamoDBRecord } from 'aws-lambda';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { readImage } from '../shared/events/stored-event.js';
import type { MessageToPublish, Publisher } from '../shared/publisher.js';
import { toMessage } from './message.js';

/**
 * The fan-out domain: publish each newly inserted accepted event to its type's topic.
 *
 * - Only INSERT records of `status = accepted` items are published. MODIFY (a redelivered event
 *   overwriting its item), REMOVE (TTL) and quarantined items are ignored, whatever the event source
 *   mapping's filter let through.
 * - Records are grouped by event type and published with PublishBatch to that type's topic.
 * - A record that cannot be published (SNS refused it, its type has no topic, its image is unreadable)
 *   is reported as a batch item failure by its SequenceNumber; Lambda then retries from the earliest
 *   reported record and, once the retries are used up, parks the records in the on-failure destination.
 *   Records published successfully are never reported.
 */
export interface FanOutDependencies {
  readonly publisher: Publisher;
  readonly topicArns: ReadonlyMap<CampaignEventType, string>;
}

export interface RecordFailure {
  readonly sequenceNumber: string | undefined;
  readonly eventType?: CampaignEventType;
  readonly eventKey?: string;
  readonly reason: string;
}

export interface FanOutResult {
  readonly batchItemFailures: DynamoDBBatchItemFailure[];
  readonly publishedByType: ReadonlyMap<CampaignEventType, number>;
  readonly failedByType: ReadonlyMap<CampaignEventType, number>;
  readonly failures: readonly RecordFailure[];
  /** Records that are not an accepted event's INSERT. */
  readonly ignored: number;
  /** PublishBatch calls made. */
  readonly publishRequests: number;
}

interface Pending {
  readonly position: number;
  readonly record: DynamoDBRecord;
  readonly eventType: CampaignEventType;
  readonly eventKey: string;
  readonly message: MessageToPublish;
}

export async function fanOut(
  records: readonly DynamoDBRecord[],
  deps: FanOutDependencies,
): Promise<FanOutResult> {
  const failures: Array<RecordFailure & { position: number }> = [];
  const byTopic = new Map<string, Pending[]>();
  const publishedByType = new Map<CampaignEventType, number>();
  const failedByType = new Map<CampaignEventType, number>();
  const increment = (counts: Map<CampaignEventType, number>, type: CampaignEventType) =>
    counts.set(type, (counts.get(type) ?? 0) + 1);
  let ignored = 0;

  records.forEach((record, position) => {
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (record.eventName !== 'INSERT') {
      ignored++;
      return;
    }
    const reading = readImage(record.dynamodb?.NewImage);
    if (reading.kind === 'not-accepted') {
      ignored++;
      return;
    }
    if (reading.kind === 'unreadable') {
      failures.push({ position, sequenceNumber, reason: `unreadable image: ${reading.reason}` });
      return;
    }
    const { eventType, eventKey } = reading.event;
    const topicArn = deps.topicArns.get(eventType);
    if (topicArn === undefined) {
      failures.push({ position, sequenceNumber, eventType, eventKey, reason: `no topic for ${eventType}` });
      increment(failedByType, eventType);
      return;
    }
    const { body, attributes } = toMessage(reading.event);
    const pending: Pending = {
      position,
      record,
      eventType,
      eventKey,
      message: { id: String(position), body, attributes },
    };
    const group = byTopic.get(topicArn);
    if (group === undefined) byTopic.set(topicArn, [pending]);
    else group.push(pending);
  });

  let publishRequests = 0;
  await Promise.all(
    [...byTopic].map(async ([topicArn, group]) => {
      const outcome = await deps.publisher.publish(
        topicArn,
        group.map((pending) => pending.message),
      );
      publishRequests += outcome.requests;
      const failedIds = new Map(outcome.failures.map((failure) => [failure.id, failure]));
      for (const pending of group) {
        const failure = failedIds.get(pending.message.id);
        if (failure === undefined) {
          increment(publishedByType, pending.eventType);
          continue;
        }
        increment(failedByType, pending.eventType);
        failures.push({
          position: pending.position,
          sequenceNumber: pending.record.dynamodb?.SequenceNumber,
          eventType: pending.eventType,
          eventKey: pending.eventKey,
          reason: `${failure.code}: ${failure.message}`,
        });
      }
    }),
  );

  failures.sort((a, b) => a.position - b.position);
  const missingSequence = failures.find((failure) => failure.sequenceNumber === undefined);
  if (missingSequence !== undefined) {
    // Without a sequence number the failure cannot be reported per record: fail the whole batch instead.
    throw new Error(`A record that failed has no SequenceNumber (${missingSequence.reason})`);
  }
  return {
    batchItemFailures: failures.map((failure) => ({ itemIdentifier: failure.sequenceNumber as string })),
    publishedByType,
    failedByType,
    failures: failures.map(({ position: _position, ...failure }) => failure),
    ignored,
    publishRequests,
  };
}

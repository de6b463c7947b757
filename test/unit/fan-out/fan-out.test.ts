import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { fanOut } from '../../../functions/fan-out/fan-out.js';
import type { CampaignEventType } from '../../../functions/shared/campaign-event-types.js';
import type { MessageToPublish, Publisher, PublishOutcome } from '../../../functions/shared/publisher.js';
import { CampaignEventFactory } from '../../../local/campaign-simulator/event-factory.js';
import { storedItem } from '../../support/stored-events.js';

const eventTypes: CampaignEventType[] = [
  'open',
  'click',
  'bounce',
  'sent',
  'archive',
  'unsubscribe',
  'singleoptin',
];
const topicArns = new Map<CampaignEventType, string>([
  ['open', 'arn:aws:sns:eu-central-1:1:open'],
  ['click', 'arn:aws:sns:eu-central-1:1:click'],
  ['bounce', 'arn:aws:sns:eu-central-1:1:bounce'],
  ['archive', 'arn:aws:sns:eu-central-1:1:archive'],
]);

let sequence = 100;
function record(raw: unknown, eventName: 'INSERT' | 'MODIFY' | 'REMOVE' = 'INSERT'): DynamoDBRecord {
  const item = storedItem(raw, { eventTypes });
  sequence++;
  return {
    eventName,
    dynamodb: {
      SequenceNumber: String(sequence),
      NewImage: eventName === 'REMOVE' ? undefined : (item as Record<string, AttributeValue>),
    },
  };
}

/** A publisher that records messages per topic and fails those whose body matches `fails`. */
function recordingPublisher(fails: (message: MessageToPublish) => boolean = () => false) {
  const published = new Map<string, MessageToPublish[]>();
  const publisher: Publisher = {
    async publish(topicArn, messages): Promise<PublishOutcome> {
      const failed = messages.filter(fails);
      const ok = messages.filter((message) => !fails(message));
      published.set(topicArn, [...(published.get(topicArn) ?? []), ...ok]);
      return {
        publishedIds: ok.map((message) => message.id),
        failures: failed.map((message) => ({
          id: message.id,
          code: 'InternalError',
          message: 'boom',
          senderFault: false,
        })),
        requests: Math.ceil(messages.length / 10),
      };
    },
  };
  return { publisher, published };
}

describe('fanOut', () => {
  const factory = new CampaignEventFactory({ seed: 5 });

  it('publishes each inserted accepted event to its type topic, grouped by type', async () => {
    const records = [
      ...factory.batch(7, ['open']).map((event) => record(event)),
      ...factory.batch(3, ['click']).map((event) => record(event)),
      record(factory.event('archive')),
    ];
    const { publisher, published } = recordingPublisher();
    const result = await fanOut(records, { publisher, topicArns });
    expect(result.batchItemFailures).toEqual([]);
    expect(published.get('arn:aws:sns:eu-central-1:1:open')).toHaveLength(7);
    expect(published.get('arn:aws:sns:eu-central-1:1:click')).toHaveLength(3);
    expect(published.get('arn:aws:sns:eu-central-1:1:archive')).toHaveLength(1);
    expect(Object.fromEntries(result.publishedByType)).toEqual({ open: 7, click: 3, archive: 1 });
    const body = JSON.parse(published.get('arn:aws:sns:eu-central-1:1:archive')?.[0]?.body ?? '{}');
    expect(body).toMatchObject({ eventType: 'archive', event: { type: 'archive' } });
  });

  it('ignores redeliveries (MODIFY), TTL deletions (REMOVE) and quarantined items', async () => {
    const event = factory.event('open');
    const records = [record(event, 'MODIFY'), record(event, 'REMOVE'), record('garbage'), record(event)];
    const { publisher, published } = recordingPublisher();
    const result = await fanOut(records, { publisher, topicArns });
    expect(result.ignored).toBe(3);
    expect([...published.values()].flat()).toHaveLength(1);
    expect(result.batchItemFailures).toEqual([]);
  });

  it('reports only the records SNS refused, by sequence number, in stream order', async () => {
    const records = factory.batch(12, ['open', 'click']).map((event) => record(event));
    const failingKeys = new Set([3, 7, 10].map((index) => records[index]?.dynamodb?.SequenceNumber));
    const { publisher } = recordingPublisher((message) => {
      const body = JSON.parse(message.body) as { eventKey: string };
      const index = records.findIndex(
        (candidate) => candidate.dynamodb?.NewImage?.eventKey?.S === body.eventKey,
      );
      return failingKeys.has(records[index]?.dynamodb?.SequenceNumber);
    });
    const result = await fanOut(records, { publisher, topicArns });
    expect(result.batchItemFailures).toEqual(
      [3, 7, 10].map((index) => ({ itemIdentifier: records[index]?.dynamodb?.SequenceNumber })),
    );
    const failedTotal = [...result.failedByType.values()].reduce((sum, count) => sum + count, 0);
    const publishedTotal = [...result.publishedByType.values()].reduce((sum, count) => sum + count, 0);
    expect({ failedTotal, publishedTotal }).toEqual({ failedTotal: 3, publishedTotal: 9 });
  });

  it('reports a record whose type has no topic, or whose image is unreadable, instead of skipping it', async () => {
    const unsubscribe = record(factory.event('unsubscribe'));
    const unreadable: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: '999', NewImage: { status: { S: 'accepted' }, eventKey: { S: 'open#x' } } },
    };
    const { publisher } = recordingPublisher();
    const result = await fanOut([unsubscribe, unreadable], { publisher, topicArns });
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: unsubscribe.dynamodb?.SequenceNumber },
      { itemIdentifier: '999' },
    ]);
    expect(result.failures.map((failure) => failure.reason)).toEqual([
      'no topic for unsubscribe',
      expect.stringMatching(/^unreadable image: missing or malformed attributes/),
    ]);
  });

  it('fails the whole batch when a failed record has no sequence number to report', async () => {
    const broken: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: { NewImage: { status: { S: 'accepted' } } },
    };
    await expect(fanOut([broken], { ...recordingPublisher(), topicArns })).rejects.toThrow(
      /no SequenceNumber/,
    );
  });
});

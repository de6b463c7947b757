import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { fanOut } from '../../../functions/fan-out/fan-out.js';
import type { MessageToPublish, Publisher, PublishOutcome } from '../../../functions/fan-out/publisher.js';
import type { SetAsideRecord } from '../../../functions/fan-out/set-aside.js';
import type { CampaignEventType } from '../../../functions/shared/campaign-event-types.js';
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
function recordingPublisher(
  fails: (message: MessageToPublish) => boolean = () => false,
  code = 'InternalError',
) {
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
          code,
          message: 'boom',
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

describe('fanOut under SNS faults', () => {
  const factory = new CampaignEventFactory({ seed: 6 });
  const keyOf = (r: DynamoDBRecord) => r.dynamodb?.NewImage?.eventKey?.S as string;
  const failKeys = (records: DynamoDBRecord[], indexes: number[]) => {
    const keys = new Set(indexes.map((index) => keyOf(records[index] as DynamoDBRecord)));
    return (message: MessageToPublish) =>
      keys.has((JSON.parse(message.body) as { eventKey: string }).eventKey);
  };
  const setAsideSink = () => {
    const records: SetAsideRecord[] = [];
    return { records, setAside: async (record: SetAsideRecord) => void records.push(record) };
  };

  it('parks a record SNS calls invalid alone, with its content and reason, and reports nothing', async () => {
    const records = factory.batch(12, ['open']).map((event) => record(event));
    const { publisher, published } = recordingPublisher(failKeys(records, [4]), 'InvalidParameter');
    const sink = setAsideSink();
    const result = await fanOut(records, { publisher, topicArns, setAside: sink.setAside });
    expect(result.batchItemFailures).toEqual([]);
    expect(result.republished).toBe(0);
    expect(published.get('arn:aws:sns:eu-central-1:1:open')).toHaveLength(11);
    expect(sink.records).toHaveLength(1);
    const [parked] = sink.records;
    expect(parked).toMatchObject({
      disposition: 'parked',
      code: 'InvalidParameter',
      reason: expect.stringContaining('InvalidParameter'),
      eventKey: keyOf(records[4] as DynamoDBRecord),
      eventType: 'open',
      topicArn: 'arn:aws:sns:eu-central-1:1:open',
      sequenceNumber: records[4]?.dynamodb?.SequenceNumber,
      image: records[4]?.dynamodb?.NewImage,
    });
    expect(JSON.parse(parked?.message?.body ?? '{}')).toMatchObject({
      eventKey: keyOf(records[4] as DynamoDBRecord),
    });
  });

  it('parks records with no topic or an unreadable image, and the others flow', async () => {
    const unsubscribe = record(factory.event('unsubscribe'));
    const unreadable: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: {
        SequenceNumber: '9999',
        NewImage: { status: { S: 'accepted' }, eventKey: { S: 'open#x' } },
      },
    };
    const open = record(factory.event('open'));
    const sink = setAsideSink();
    const { publisher } = recordingPublisher();
    const result = await fanOut([unsubscribe, unreadable, open], {
      publisher,
      topicArns,
      setAside: sink.setAside,
    });
    expect(result.batchItemFailures).toEqual([]);
    expect(sink.records.map((parked) => parked.code)).toEqual(['NoTopic', 'UnreadableImage']);
    expect(Object.fromEntries(result.publishedByType)).toEqual({ open: 1 });
  });

  it('reports a transient failure from its record on and counts the published records after it as republished', async () => {
    const records = factory.batch(10, ['open']).map((event) => record(event));
    const { publisher } = recordingPublisher(failKeys(records, [3, 6]));
    const sink = setAsideSink();
    const result = await fanOut(records, { publisher, topicArns, setAside: sink.setAside });
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      [3, 6].map((index) => records[index]?.dynamodb?.SequenceNumber),
    );
    // 4, 5, 7, 8, 9 went out and will go out again with the mapping's retry from record 3.
    expect(result.republished).toBe(5);
    expect(sink.records).toEqual([]);
  });

  it('does not park an invalid record that follows one still waiting: the retry brings it back', async () => {
    const records = factory.batch(6, ['open']).map((event) => record(event));
    const invalid = failKeys(records, [4]);
    const transient = failKeys(records, [2]);
    const publisher: Publisher = {
      async publish(_topic, messages) {
        const failures = messages
          .filter((message) => invalid(message) || transient(message))
          .map((message) => ({
            id: message.id,
            code: invalid(message) ? 'InvalidParameter' : 'InternalError',
            message: '',
          }));
        const failed = new Set(failures.map((failure) => failure.id));
        return {
          publishedIds: messages.filter((message) => !failed.has(message.id)).map((message) => message.id),
          failures,
          requests: 1,
        };
      },
    };
    const sink = setAsideSink();
    const result = await fanOut(records, { publisher, topicArns, setAside: sink.setAside });
    expect(sink.records).toEqual([]);
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      [2, 4].map((index) => records[index]?.dynamodb?.SequenceNumber),
    );
  });

  it('holds records past the hold age that still fail, instead of letting them expire with the stream', async () => {
    const now = Date.now();
    const old = (r: DynamoDBRecord, ageMs: number): DynamoDBRecord => ({
      ...r,
      dynamodb: { ...r.dynamodb, ApproximateCreationDateTime: Math.floor((now - ageMs) / 1000) },
    });
    const records = factory
      .batch(4, ['open'])
      .map((event, index) => old(record(event), index < 2 ? 21 * 3_600_000 : 1000));
    const { publisher } = recordingPublisher(() => true);
    const sink = setAsideSink();
    const result = await fanOut(records, {
      publisher,
      topicArns,
      setAside: sink.setAside,
      holdAfterMs: 20 * 3_600_000,
    });
    expect(sink.records.map((held) => [held.disposition, held.eventKey])).toEqual(
      records.slice(0, 2).map((r) => ['held', keyOf(r)]),
    );
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      records.slice(2).map((r) => r.dynamodb?.SequenceNumber),
    );
  });

  it('reports a record whose setting aside failed (SQS down too), so nothing is dropped', async () => {
    const records = factory.batch(3, ['open']).map((event) => record(event));
    const { publisher } = recordingPublisher(failKeys(records, [1]), 'InvalidParameter');
    const result = await fanOut(records, {
      publisher,
      topicArns,
      setAside: async () => {
        throw new Error('SQS unavailable');
      },
    });
    expect(result.parked).toEqual([]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
    expect(result.republished).toBe(1);
  });
});

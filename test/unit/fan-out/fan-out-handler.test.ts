import { Logger } from '@aws-lambda-powertools/logger';
import type { AttributeValue, DynamoDBRecord, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { RetryClock } from '../../../functions/fan-out/backoff.js';
import { createFanOutHandler, retryBudgetMs } from '../../../functions/fan-out/fan-out-handler.js';
import type { Publisher } from '../../../functions/fan-out/publisher.js';
import { type SetAsideRecord, setAsideBody } from '../../../functions/fan-out/set-aside.js';
import type { CampaignEventType } from '../../../functions/shared/campaign-event-types.js';
import { createTracer } from '../../../functions/shared/tracing/tracer.js';
import { CampaignEventFactory } from '../../../local/campaign-simulator/event-factory.js';
import { createLambdaContext } from '../../../local/lambda-context.js';
import { storedItem } from '../../support/stored-events.js';
import { capturedMetrics } from '../shared/emf.js';

const topicArns = new Map<CampaignEventType, string>([['open', 'arn:aws:sns:eu-central-1:1:open']]);

/** Real time for the budget, no real waiting: each sleep moves this clock on. */
function skippingClock(): RetryClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    sleep: async (ms) => {
      offset += ms;
    },
    random: () => 0.5,
  };
}

function streamRecords(count: number): DynamoDBRecord[] {
  const factory = new CampaignEventFactory({ seed: 31 });
  return factory.batch(count, ['open']).map((event, index) => ({
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      SequenceNumber: String(500 + index),
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      NewImage: storedItem(event, { eventTypes: ['open'] }) as Record<string, AttributeValue>,
    },
  }));
}

describe('createFanOutHandler', () => {
  let restore = () => {};
  afterEach(() => restore());

  function handlerWith(
    publisher: Publisher,
    setAside: (record: SetAsideRecord) => Promise<void> = async () => {},
  ) {
    const captured = capturedMetrics('fan-out');
    restore = captured.restore;
    const handler = createFanOutHandler({
      publisher,
      topicArns,
      setAside,
      holdAfterMs: 20 * 3_600_000,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: captured.metrics,
      tracer: createTracer(),
      clock: skippingClock(),
    });
    return { handler, captured };
  }

  it('retries within the budget, then hands the rest to the mapping from the first record still failing', async () => {
    let calls = 0;
    const refusing: Publisher = {
      async publish(_topic, messages) {
        calls++;
        const refused = messages.filter((message) => Number(message.id) >= 2);
        return {
          publishedIds: messages.filter((message) => Number(message.id) < 2).map((message) => message.id),
          failures: refused.map((message) => ({ id: message.id, code: 'ServiceUnavailable', message: '' })),
          requests: 1,
        };
      },
    };
    const { handler, captured } = handlerWith(refusing);
    const records = streamRecords(5);
    const response = await handler({ Records: records }, createLambdaContext({ timeoutMs: 60_000 }));
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      '502',
      '503',
      '504',
    ]);
    expect(calls).toBeGreaterThan(10);
    const totals = captured.documents().find((document) => document.dimensions.EventType === undefined);
    expect(totals?.values).toMatchObject({
      PublishFailures: 3,
      EventsParked: 0,
      EventsHeld: 0,
      EventsRepublished: 0,
    });
  });

  it('keeps a margin for setting aside and reporting: the retries end before the invocation would', () => {
    expect(retryBudgetMs({ getRemainingTimeInMillis: () => 60_000 })).toBe(50_000);
    expect(retryBudgetMs({ getRemainingTimeInMillis: () => 8_000 })).toBe(4_000);
  });

  it('publishes held records from the queue and reports by message id what SNS still refuses', async () => {
    const [first, second] = streamRecords(2) as [DynamoDBRecord, DynamoDBRecord];
    const held = (record: DynamoDBRecord, messageId: string): SQSRecord =>
      ({
        messageId,
        receiptHandle: messageId,
        eventSource: 'aws:sqs',
        body: setAsideBody({
          disposition: 'held',
          code: 'ServiceUnavailable',
          reason: 'ServiceUnavailable: down',
          eventKey: record.dynamodb?.NewImage?.eventKey?.S as string,
          eventType: 'open',
          topicArn: 'arn:aws:sns:eu-central-1:1:open',
          message: {
            body: JSON.stringify({ eventKey: record.dynamodb?.NewImage?.eventKey?.S }),
            attributes: {},
          },
          setAsideAt: new Date().toISOString(),
        }),
      }) as SQSRecord;
    const secondKey = second.dynamodb?.NewImage?.eventKey?.S as string;
    const publisher: Publisher = {
      async publish(_topic, messages) {
        const refused = messages.filter((message) => message.body.includes(secondKey));
        return {
          publishedIds: messages.filter((message) => !refused.includes(message)).map((message) => message.id),
          failures: refused.map((message) => ({ id: message.id, code: 'Throttled', message: '' })),
          requests: 1,
        };
      },
    };
    const { handler } = handlerWith(publisher);
    const response = await handler(
      { Records: [held(first, 'm-1'), held(second, 'm-2')] },
      createLambdaContext({ timeoutMs: 20_000 }),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-2' }]);
  });
});

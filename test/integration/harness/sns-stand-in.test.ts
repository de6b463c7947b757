import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  PublishCommand,
  paginateListTopics,
  SNSClient,
} from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PublishedMessage, type SnsStandIn, startSnsStandIn } from '../../../local/sns-stand-in.js';

let sns: SnsStandIn;
let client: SNSClient;
let topicArn: string;

beforeAll(async () => {
  sns = await startSnsStandIn();
  client = new SNSClient({ endpoint: sns.endpoint });
  topicArn = await sns.createTopic('campaign-events-open');
});
afterAll(async () => {
  client?.destroy();
  await sns?.stop();
});
afterEach(() => sns.reset());

/** The SDK's error fields a caller inspects. */
async function failureOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & {
      $metadata?: { httpStatusCode?: number; attempts?: number };
      $fault?: string;
    };
    return {
      name: e.name,
      message: e.message,
      status: e.$metadata?.httpStatusCode,
      attempts: e.$metadata?.attempts,
      fault: e.$fault,
    };
  }
  throw new Error('expected the call to fail');
}

const typeAttribute = (type: string): Record<string, MessageAttributeValue> => ({
  eventType: { DataType: 'String', StringValue: type },
});

function entries(count: number, prefix = 'e'): PublishBatchRequestEntry[] {
  return Array.from({ length: count }, (_, i) => ({ Id: `${prefix}${i}`, Message: `{"n":${i}}` }));
}

describe('Publish', () => {
  it('accepts a message from the real SNS client and records it with subject and attributes', async () => {
    const result = await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: '{"type":"open","note":"ä & <x>"}',
        Subject: 'Campaign open',
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: 'open' },
          clientId: { DataType: 'Number', StringValue: '100001' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );

    expect(result.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sns.published).toEqual([
      {
        topicArn,
        messageId: result.MessageId,
        message: '{"type":"open","note":"ä & <x>"}',
        subject: 'Campaign open',
        messageAttributes: {
          eventType: { dataType: 'String', stringValue: 'open' },
          clientId: { dataType: 'Number', stringValue: '100001' },
          raw: { dataType: 'Binary', binaryValue: 'AQID' },
        },
      },
    ]);
    expect(sns.messagesFor(topicArn)).toHaveLength(1);
    expect(sns.messagesFor(`${topicArn}-other`)).toEqual([]);
  });

  it('is reachable through AWS_ENDPOINT_URL_SNS, with no endpoint in code', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SNS;
    process.env.AWS_ENDPOINT_URL_SNS = sns.endpoint;
    const envClient = new SNSClient({});
    try {
      const result = await envClient.send(new PublishCommand({ TopicArn: topicArn, Message: 'via env' }));
      expect(sns.published.map((m) => [m.messageId, m.message])).toEqual([[result.MessageId, 'via env']]);
    } finally {
      envClient.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SNS;
      else process.env.AWS_ENDPOINT_URL_SNS = saved;
    }
  });

  it('answers an unknown topic with NotFound (404), as SNS does', async () => {
    const missing = topicArn.replace('campaign-events-open', 'no-such-topic');
    expect(
      await failureOf(client.send(new PublishCommand({ TopicArn: missing, Message: 'x' }))),
    ).toMatchObject({
      name: 'NotFoundException',
      message: 'Topic does not exist',
      status: 404,
      fault: 'client',
    });
    expect(sns.published).toEqual([]);
  });

  it('refuses a malformed topic ARN, an empty message and a bad subject with InvalidParameter', async () => {
    const cases = [
      new PublishCommand({ TopicArn: 'not-an-arn', Message: 'x' }),
      new PublishCommand({ TopicArn: topicArn, Message: '' }),
      new PublishCommand({ TopicArn: topicArn, Message: 'x', Subject: 'line\nbreak' }),
      new PublishCommand({ TopicArn: topicArn, Message: 'x', Subject: 'x'.repeat(101) }),
    ];
    for (const command of cases) {
      expect(await failureOf(client.send(command))).toMatchObject({
        name: 'InvalidParameterException',
        status: 400,
      });
    }
    expect(sns.published).toEqual([]);
  });

  it('refuses a message over 256 KiB (message and attributes counted together)', async () => {
    const message = 'x'.repeat(262_144 - 'eventType'.length - 'String'.length - 'open'.length + 1);
    const refused = await failureOf(
      client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: message,
          MessageAttributes: typeAttribute('open'),
        }),
      ),
    );
    expect(refused).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Invalid parameter: Message too long',
    });
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: message.slice(1),
        MessageAttributes: typeAttribute('open'),
      }),
    );
    expect(sns.published).toHaveLength(1);
  });

  it('validates message attributes like SNS', async () => {
    const attempt = (MessageAttributes: Record<string, MessageAttributeValue>) =>
      failureOf(client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x', MessageAttributes })));

    expect(await attempt({ n: { DataType: 'Number', StringValue: 'twelve' } })).toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining("'n' has type Number"),
    });
    expect(await attempt({ d: { DataType: 'Date', StringValue: '2024-01-01' } })).toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('supported type prefixes is Binary, Number, and String'),
    });
    expect(await attempt({ s: { DataType: 'String', StringValue: '' } })).toMatchObject({
      name: 'InvalidParameterValueException',
    });
    expect(await attempt({ a: { DataType: 'String.Array', StringValue: 'not json' } })).toMatchObject({
      name: 'InvalidParameterValueException',
    });
    const eleven = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
    );
    expect(await attempt(eleven)).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('exceeds the allowed maximum [10]'),
    });
    expect(await attempt({ 'AWS.reserved': { DataType: 'String', StringValue: 'v' } })).toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(sns.published).toEqual([]);
  });
});

describe('PublishBatch', () => {
  it('publishes every entry in order and answers Successful with the entry Ids', async () => {
    const result = await client.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          { Id: 'first', Message: 'one', MessageAttributes: typeAttribute('open') },
          { Id: 'second', Message: 'two', Subject: 'Second' },
        ],
      }),
    );

    expect(result.Failed ?? []).toEqual([]);
    expect(result.Successful?.map((s) => s.Id)).toEqual(['first', 'second']);
    expect(sns.published.map((m) => [m.batchEntryId, m.message, m.messageId])).toEqual([
      ['first', 'one', result.Successful?.[0]?.MessageId],
      ['second', 'two', result.Successful?.[1]?.MessageId],
    ]);
    expect(sns.published[0]?.messageAttributes).toEqual({
      eventType: { dataType: 'String', stringValue: 'open' },
    });
    expect(sns.published[1]?.subject).toBe('Second');
  });

  it.each([
    ['more than 10 entries', entries(11), 'TooManyEntriesInBatchRequestException'],
    ['no entries', [], 'EmptyBatchRequestException'],
    ['repeated entry Ids', [...entries(2, 'a'), ...entries(1, 'a')], 'BatchEntryIdsNotDistinctException'],
    ['an invalid entry Id', [{ Id: 'has space', Message: 'x' }], 'InvalidBatchEntryIdException'],
  ])('refuses a batch with %s as a whole (HTTP 400, nothing published)', async (_label, batch, errorName) => {
    const refused = await failureOf(
      client.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: batch })),
    );
    expect(refused).toMatchObject({ name: errorName, status: 400, attempts: 1 });
    expect(sns.published).toEqual([]);
  });

  it('refuses a batch over 256 KiB in total with BatchRequestTooLong', async () => {
    const big = 'x'.repeat(100_000);
    const batch = [1, 2, 3].map((i) => ({ Id: `big${i}`, Message: big }));
    expect(
      await failureOf(
        client.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: batch })),
      ),
    ).toMatchObject({ name: 'BatchRequestTooLongException', status: 400 });
    expect(sns.published).toEqual([]);
  });

  it('answers an unknown topic with NotFound', async () => {
    const missing = topicArn.replace('campaign-events-open', 'no-such-topic');
    expect(
      await failureOf(
        client.send(new PublishBatchCommand({ TopicArn: missing, PublishBatchRequestEntries: entries(1) })),
      ),
    ).toMatchObject({ name: 'NotFoundException', status: 404 });
  });

  it('lists an invalid entry in Failed (SenderFault) and still publishes the valid ones', async () => {
    const result = await client.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          { Id: 'good', Message: 'ok' },
          { Id: 'bad', Message: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'NaN?' } } },
        ],
      }),
    );
    expect(result.Successful?.map((s) => s.Id)).toEqual(['good']);
    expect(result.Failed).toEqual([
      {
        Id: 'bad',
        Code: 'ParameterValueInvalid',
        Message: expect.stringContaining("'n'"),
        SenderFault: true,
      },
    ]);
    expect(sns.published.map((m) => m.batchEntryId)).toEqual(['good']);
  });
});

describe('failure injection', () => {
  it('failWhen refuses matching batch entries in Failed[] until cleared', async () => {
    sns.failWhen((entry) => entry.messageAttributes.eventType?.stringValue === 'bounce');
    const batch = {
      TopicArn: topicArn,
      PublishBatchRequestEntries: [
        { Id: 'o', Message: 'open event', MessageAttributes: typeAttribute('open') },
        { Id: 'b', Message: 'bounce event', MessageAttributes: typeAttribute('bounce') },
      ],
    };

    const first = await client.send(new PublishBatchCommand(batch));
    expect(first.Successful?.map((s) => s.Id)).toEqual(['o']);
    expect(first.Failed).toEqual([
      {
        Id: 'b',
        Code: 'InternalError',
        Message: 'Injected failure (failWhen): InternalError',
        SenderFault: false,
      },
    ]);
    expect(sns.published.map((m) => m.message)).toEqual(['open event']);

    sns.clearFailures();
    const second = await client.send(new PublishBatchCommand(batch));
    expect(second.Failed ?? []).toEqual([]);
    expect(sns.published.map((m) => m.message)).toEqual(['open event', 'open event', 'bounce event']);
  });

  it('failWhen takes the code, message and sender fault to report', async () => {
    sns.failWhen(() => true, { code: 'KMSThrottling', message: 'slow down', senderFault: false });
    const result = await client.send(
      new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries(2) }),
    );
    expect(result.Failed?.map((f) => [f.Id, f.Code, f.Message])).toEqual([
      ['e0', 'KMSThrottling', 'slow down'],
      ['e1', 'KMSThrottling', 'slow down'],
    ]);
    const single = await failureOf(client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })));
    expect(single).toMatchObject({ name: 'KMSThrottlingException', status: 400, attempts: 1 });
    expect(sns.published).toEqual([]);
  });

  it('failWhen answers a matching Publish with 500 InternalError, which the SDK retries (3 attempts)', async () => {
    sns.failWhen((entry) => entry.message === 'poison');
    const refused = await failureOf(
      client.send(new PublishCommand({ TopicArn: topicArn, Message: 'poison' })),
    );
    expect(refused).toMatchObject({
      name: 'InternalErrorException',
      status: 500,
      attempts: 3,
      fault: 'server',
    });
    expect(sns.requests).toEqual(
      Array.from({ length: 3 }, () => ({ action: 'Publish', status: 500, errorCode: 'InternalError' })),
    );
    await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'fine' }));
    expect(sns.published.map((m) => m.message)).toEqual(['fine']);
  });

  it('failRequests(2): the SDK retries through them and the call succeeds on its third attempt', async () => {
    sns.failRequests(2);
    const result = await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'eventually' }));
    expect(result.$metadata.attempts).toBe(3);
    expect(sns.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(sns.published.map((m) => m.message)).toEqual(['eventually']);
  });

  it('failRequests(3): the SDK gives up with InternalErrorException and nothing is published', async () => {
    sns.failRequests(3);
    const refused = await failureOf(
      client.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries(3) })),
    );
    expect(refused).toMatchObject({ name: 'InternalErrorException', status: 500, attempts: 3 });
    expect(sns.published).toEqual([]);
  });

  it('failRequests with 429 answers Throttled (retried) and with 400 is not retried', async () => {
    sns.failRequests(1, 429);
    const throttledThenOk = await client.send(
      new PublishCommand({ TopicArn: topicArn, Message: 'after throttle' }),
    );
    expect(throttledThenOk.$metadata.attempts).toBe(2);
    expect(sns.requests[0]).toEqual({ action: 'Publish', status: 429, errorCode: 'Throttled' });

    sns.failRequests(1, 400);
    expect(
      await failureOf(client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }))),
    ).toMatchObject({
      name: 'InvalidParameterException',
      attempts: 1,
    });
    expect(sns.published.map((m) => m.message)).toEqual(['after throttle']);
  });

  it('reset() clears messages, rules and pending request failures', async () => {
    await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'before reset' }));
    const publishedArray = sns.published;
    sns.failWhen(() => true);
    sns.failRequests(5);
    sns.reset();
    expect(sns.published).toBe(publishedArray);
    expect(sns.published).toEqual([]);
    expect(sns.requests).toEqual([]);
    const result = await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'after reset' }));
    expect(result.$metadata.attempts).toBe(1);
    expect(sns.published.map((m) => m.message)).toEqual(['after reset']);
  });
});

describe('topics', () => {
  it('CreateTopic over the wire is idempotent and matches createTopic()', async () => {
    const first = await client.send(new CreateTopicCommand({ Name: 'wire-topic' }));
    const second = await client.send(new CreateTopicCommand({ Name: 'wire-topic' }));
    expect(first.TopicArn).toBe(`arn:aws:sns:eu-central-1:000000000000:wire-topic`);
    expect(second.TopicArn).toBe(first.TopicArn);
    expect(await sns.createTopic('wire-topic')).toBe(first.TopicArn);
  });

  it('refuses invalid topic names and FIFO topics with InvalidParameter', async () => {
    for (const command of [
      new CreateTopicCommand({ Name: 'has space' }),
      new CreateTopicCommand({ Name: 'x'.repeat(257) }),
      new CreateTopicCommand({ Name: 'orders.fifo', Attributes: { FifoTopic: 'true' } }),
    ]) {
      expect(await failureOf(client.send(command))).toMatchObject({
        name: 'InvalidParameterException',
        status: 400,
      });
    }
    await expect(sns.createTopic('bad name')).rejects.toThrow('Invalid parameter: Topic Name: "bad name"');
  });

  it('ListTopics pages through every topic (100 per page)', async () => {
    const created = await Promise.all(Array.from({ length: 120 }, (_, i) => sns.createTopic(`paged-${i}`)));
    const listed: string[] = [];
    let pages = 0;
    for await (const page of paginateListTopics({ client }, {})) {
      pages++;
      listed.push(...(page.Topics ?? []).map((t) => t.TopicArn as string));
    }
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(listed).toEqual(expect.arrayContaining([topicArn, ...created]));
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('GetTopicAttributes answers the basics, and NotFound for an unknown topic', async () => {
    const unsubscribe = sns.subscribe(topicArn, () => {});
    const { Attributes } = await client.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    unsubscribe();
    expect(Attributes).toMatchObject({
      TopicArn: topicArn,
      Owner: '000000000000',
      SubscriptionsConfirmed: '1',
      SubscriptionsPending: '0',
    });
    expect(
      await failureOf(client.send(new GetTopicAttributesCommand({ TopicArn: `${topicArn}-missing` }))),
    ).toMatchObject({ name: 'NotFoundException', status: 404 });
  });

  it('uses the region and account it is given in ARNs', async () => {
    const other = await startSnsStandIn({ region: 'us-west-2', accountId: '123456789012' });
    try {
      expect(await other.createTopic('t')).toBe('arn:aws:sns:us-west-2:123456789012:t');
    } finally {
      await other.stop();
    }
  });
});

describe('protocol edges', () => {
  it('answers an action it does not implement with a clear 400 InvalidAction', async () => {
    const refused = await failureOf(client.send(new DeleteTopicCommand({ TopicArn: topicArn })));
    expect(refused).toMatchObject({ name: 'InvalidAction', status: 400 });
    expect(refused.message).toContain('does not implement the action "DeleteTopic"');
  });

  it('answers a request without an Action with 400 MissingAction', async () => {
    const response = await fetch(sns.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Version=2010-03-31',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>MissingAction</Code>');
  });

  it('says plainly that the JSON protocol is not spoken', async () => {
    const response = await fetch(sns.endpoint, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AmazonSimpleNotificationService.Publish',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain('AWS Query protocol only');
  });

  it('listens on loopback and refuses connections after stop()', async () => {
    const temporary = await startSnsStandIn();
    expect(temporary.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await temporary.stop();
    const stopped = new SNSClient({ endpoint: temporary.endpoint, maxAttempts: 1 });
    await expect(stopped.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }))).rejects.toThrow(
      /ECONNREFUSED/,
    );
    stopped.destroy();
  });
});

describe('in-process subscribers', () => {
  it('delivers matching messages after the publish, honouring the filter policy', async () => {
    const received: PublishedMessage[] = [];
    const unsubscribe = sns.subscribe(topicArn, (msg) => void received.push(msg), {
      eventType: ['open', 'click'],
      clientId: [{ numeric: ['>=', 100000] }],
    });
    await client.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          {
            Id: 'match',
            Message: 'm',
            MessageAttributes: {
              eventType: { DataType: 'String', StringValue: 'open' },
              clientId: { DataType: 'Number', StringValue: '100001' },
            },
          },
          { Id: 'wrongType', Message: 'w', MessageAttributes: typeAttribute('bounce') },
          { Id: 'noClient', Message: 'n', MessageAttributes: typeAttribute('open') },
        ],
      }),
    );
    await sns.deliveriesSettled();
    expect(received.map((m) => m.batchEntryId)).toEqual(['match']);

    unsubscribe();
    await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'after unsubscribe' }));
    await sns.deliveriesSettled();
    expect(received).toHaveLength(1);
  });

  it('delivers only the topic it subscribed to, awaits async listeners, and records listener errors', async () => {
    const otherTopic = await sns.createTopic('campaign-events-click');
    const seen: string[] = [];
    const stopOpen = sns.subscribe(topicArn, async (msg) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(msg.message);
    });
    const stopClick = sns.subscribe(otherTopic, (msg) => {
      throw new Error(`listener failed on ${msg.message}`);
    });
    await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'to open' }));
    const click = await client.send(new PublishCommand({ TopicArn: otherTopic, Message: 'to click' }));
    await sns.deliveriesSettled();
    stopOpen();
    stopClick();

    expect(seen).toEqual(['to open']);
    expect(sns.deliveryErrors).toEqual([
      { topicArn: otherTopic, messageId: click.MessageId, error: new Error('listener failed on to click') },
    ]);
    expect(sns.published).toHaveLength(2);
  });

  it('refuses a subscription to an unknown topic or with an unsupported filter policy', () => {
    expect(() => sns.subscribe(`${topicArn}-missing`, () => {})).toThrow('does not exist');
    expect(() => sns.subscribe(topicArn, () => {}, { ip: [{ cidr: '10.0.0.0/8' }] })).toThrow(
      'operator "cidr" is not supported',
    );
  });
});

import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  MessageNotInflight,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsStandIn, startSqsStandIn } from '../../../local/sqs-stand-in.js';

describe('SQS stand-in', () => {
  let standIn: SqsStandIn;
  let client: SQSClient;
  let queues = 0;

  beforeAll(async () => {
    standIn = await startSqsStandIn();
    client = new SQSClient({ endpoint: standIn.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    await standIn.stop();
  });

  async function newQueue(attributes?: Record<string, string>): Promise<string> {
    queues++;
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({ QueueName: `queue-${queues}`, Attributes: attributes }),
    );
    return QueueUrl as string;
  }

  const send = (QueueUrl: string, MessageBody: string) =>
    client.send(new SendMessageCommand({ QueueUrl, MessageBody }));

  const receive = (QueueUrl: string, options: { max?: number; visibilityTimeout?: number } = {}) =>
    client.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: options.max ?? 10,
        VisibilityTimeout: options.visibilityTimeout ?? 30,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );

  async function counts(QueueUrl: string) {
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Attributes;
  }

  it('creates queues idempotently and finds them by name', async () => {
    const url = await newQueue({ VisibilityTimeout: '60' });
    expect(url).toBe(`${standIn.endpoint}/000000000000/queue-${queues}`);
    const again = await client.send(
      new CreateQueueCommand({ QueueName: `queue-${queues}`, Attributes: { VisibilityTimeout: '60' } }),
    );
    expect(again.QueueUrl).toBe(url);
    const found = await client.send(new GetQueueUrlCommand({ QueueName: `queue-${queues}` }));
    expect(found.QueueUrl).toBe(url);
    await expect(client.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it('sends and receives messages in order, with the MD5 digests the SDK verifies', async () => {
    const url = await newQueue();
    const bodies = ['{"first": 1}', 'zweite Nachricht – ünïcödé', '{"third": [1, 2, 3]}'];
    const sent = [];
    for (const body of bodies) sent.push(await send(url, body));
    expect(new Set(sent.map((output) => output.MessageId)).size).toBe(3);

    const { Messages } = await receive(url);
    expect(Messages?.map((message) => message.Body)).toEqual(bodies);
    expect(Messages?.map((message) => message.MessageId)).toEqual(sent.map((output) => output.MessageId));
    expect(Messages?.map((message) => message.Attributes)).toEqual(
      bodies.map(() => ({ ApproximateReceiveCount: '1' })),
    );
  });

  it('receives at most MaxNumberOfMessages, and answers an empty queue with no messages', async () => {
    const url = await newQueue();
    for (let index = 0; index < 12; index++) await send(url, `message ${index}`);
    const first = await receive(url, { max: 10 });
    expect(first.Messages).toHaveLength(10);
    const second = await receive(url, { max: 10 });
    expect(second.Messages?.map((message) => message.Body)).toEqual(['message 10', 'message 11']);
    const third = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }),
    );
    expect(third.Messages).toBeUndefined();
  });

  it('hides a received message for its visibility timeout, and shows it again once that is 0', async () => {
    const url = await newQueue();
    await send(url, 'hidden');
    const first = await receive(url, { visibilityTimeout: 300 });
    expect(first.Messages).toHaveLength(1);
    expect((await receive(url)).Messages).toBeUndefined();
    expect(await counts(url)).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });

    const handle = first.Messages?.[0]?.ReceiptHandle as string;
    await client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 0 }),
    );
    expect(await counts(url)).toEqual({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    const again = await receive(url, { visibilityTimeout: 0 });
    expect(again.Messages?.[0]?.Body).toBe('hidden');
    expect(again.Messages?.[0]?.Attributes).toEqual({ ApproximateReceiveCount: '2' });
    expect(again.Messages?.[0]?.ReceiptHandle).not.toBe(handle);
    // Received with a visibility timeout of 0, it is visible at once: it cannot be made visible again.
    await expect(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: again.Messages?.[0]?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    ).rejects.toBeInstanceOf(MessageNotInflight);
  });

  it('deletes a message with its latest receipt handle only; an older handle succeeds and deletes nothing', async () => {
    const url = await newQueue();
    await send(url, 'to delete');
    const first = await receive(url, { visibilityTimeout: 0 });
    const second = await receive(url, { visibilityTimeout: 300 });
    const oldHandle = first.Messages?.[0]?.ReceiptHandle as string;
    const newHandle = second.Messages?.[0]?.ReceiptHandle as string;

    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: oldHandle }));
    expect(standIn.messages(url).map((message) => message.body)).toEqual(['to delete']);
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: newHandle }));
    expect(standIn.messages(url)).toEqual([]);
    expect(await counts(url)).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    // Deleting again is not an error, as in SQS.
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: newHandle }));

    await expect(
      client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'never-issued' })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
  });

  it('long-polls: a receive waiting on an empty queue gets a message sent meanwhile', async () => {
    // A stand-in that waits as long as the request asks, so the receive can only end with the message.
    const patient = await startSqsStandIn({ maxWaitMs: 30_000 });
    const patientClient = new SQSClient({ endpoint: patient.endpoint });
    try {
      const url = patient.createQueue('long-poll');
      const waiting = patientClient.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }),
      );
      await patientClient.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: 'arrived while waiting' }),
      );
      const { Messages } = await waiting;
      expect(Messages?.map((message) => message.Body)).toEqual(['arrived while waiting']);
    } finally {
      patientClient.destroy();
      await patient.stop();
    }
  });

  it('reports the queue counts and attributes it was created with', async () => {
    const url = await newQueue({ VisibilityTimeout: '120', MessageRetentionPeriod: '1209600' });
    await send(url, 'one');
    await send(url, 'two');
    await receive(url, { max: 1 });
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '0',
      VisibilityTimeout: '120',
      MessageRetentionPeriod: '1209600',
      QueueArn: `arn:aws:sqs:eu-central-1:000000000000:queue-${queues}`,
    });
  });

  it('refuses bad input the way SQS does', async () => {
    const url = await newQueue();
    await expect(send(url, '')).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(send(url, 'bad \u0000 character')).rejects.toMatchObject({ name: 'InvalidMessageContents' });
    await expect(send(url, 'x'.repeat(1_048_577))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('Message must be shorter than 1048576 bytes'),
    });
    await expect(
      client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('MaxNumberOfMessages'),
    });
    await expect(send(`${standIn.endpoint}/000000000000/no-such-queue`, 'lost')).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
    await expect(client.send(new CreateQueueCommand({ QueueName: 'bad name!' }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      client.send(
        new CreateQueueCommand({ QueueName: 'q-attr', Attributes: { VisibilityTimeout: '99999' } }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidAttributeValue' });
    expect(
      standIn.requests.filter((request) => request.status >= 400).map((request) => request.errorType),
    ).toEqual(
      expect.arrayContaining(['InvalidParameterValue', 'InvalidMessageContents', 'QueueDoesNotExist']),
    );
  });
});

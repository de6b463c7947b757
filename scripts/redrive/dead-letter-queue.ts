import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** The part of the SQS client the replay uses. */
export type QueueClient = Pick<SQSClient, 'send'>;

export interface DeadLetterMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** SQS's ApproximateReceiveCount, this receive included. */
  readonly receiveCount: number;
}

export interface DeadLetterQueueOptions {
  readonly queueUrl: string;
  /** Long-poll wait per receive (0-20). */
  readonly waitTimeSeconds: number;
  /** How long a received message stays hidden from other readers while it is replayed. */
  readonly visibilityTimeoutSeconds: number;
}

export interface DeadLetterQueue {
  /** Up to `max` (at most 10) messages, long-polled; none when the queue is (nearly) empty. */
  receive(max: number): Promise<DeadLetterMessage[]>;
  delete(message: DeadLetterMessage): Promise<void>;
  /** Makes a received message visible again at once, for the next run. */
  release(message: DeadLetterMessage): Promise<void>;
}

/** SQS's maximum per ReceiveMessage. */
export const RECEIVE_LIMIT = 10;

export function createDeadLetterQueue(client: QueueClient, options: DeadLetterQueueOptions): DeadLetterQueue {
  const { queueUrl } = options;
  return {
    async receive(max) {
      const output = (await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(Math.max(1, max), RECEIVE_LIMIT),
          WaitTimeSeconds: options.waitTimeSeconds,
          VisibilityTimeout: options.visibilityTimeoutSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      )) as ReceiveMessageCommandOutput;
      return (output.Messages ?? []).map((message) => ({
        messageId: message.MessageId ?? '(no id)',
        receiptHandle: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      }));
    },
    async delete(message) {
      await client.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle }),
      );
    },
    async release(message) {
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import {
  GetQueueUrlCommand,
  type GetQueueUrlCommandOutput,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  createPublisher,
  type PublishBatchClient,
  type Publisher,
} from '../../functions/fan-out/publisher.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import type { RateLimiter } from '../ops/rate.js';

/**
 * Where a replay sends: the type topics (every subscriber of each type gets the events again), one topic
 * (say a subscriber's own), or one subscriber's queue only, as SNS would have delivered to it.
 */
export type ReplayTarget =
  | { readonly kind: 'topics'; readonly topicArns: ReadonlyMap<CampaignEventType, string> }
  | { readonly kind: 'topic'; readonly topicArn: string }
  | {
      readonly kind: 'queue';
      readonly queueArn: string;
      /** The subscription has raw message delivery: the body alone, attributes as SQS attributes. */
      readonly raw: boolean;
      /** The type topics, named in the envelope as the topic the message came from. */
      readonly topicArns: ReadonlyMap<CampaignEventType, string>;
    };

export interface OutgoingMessage {
  readonly eventType: CampaignEventType;
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
}

export interface Sender {
  /** Sends the messages; returns how many were sent and why the others were not. */
  send(messages: readonly OutgoingMessage[]): Promise<{ sent: number; failures: string[] }>;
}

const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80})$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

export function isQueueArn(arn: string): boolean {
  return QUEUE_ARN.test(arn);
}
export function isTopicArn(arn: string): boolean {
  return TOPIC_ARN.test(arn);
}

export function createSender(
  target: ReplayTarget,
  clients: { sns: PublishBatchClient; sqs: Pick<SQSClient, 'send'> },
  limiter: RateLimiter,
): Sender {
  if (target.kind === 'queue') return queueSender(target, clients.sqs, limiter);
  const publisher = createPublisher({ client: clients.sns });
  const topicOf = (type: CampaignEventType) =>
    target.kind === 'topic' ? target.topicArn : target.topicArns.get(type);
  return {
    async send(messages) {
      const byTopic = new Map<string, OutgoingMessage[]>();
      const failures: string[] = [];
      for (const message of messages) {
        const topicArn = topicOf(message.eventType);
        if (topicArn === undefined) failures.push(`no topic for ${message.eventType}`);
        else byTopic.set(topicArn, [...(byTopic.get(topicArn) ?? []), message]);
      }
      let sent = 0;
      for (const [topicArn, group] of byTopic) {
        await limiter.take(group.length);
        sent += await publishGroup(publisher, topicArn, group, failures);
      }
      return { sent, failures };
    },
  };
}

async function publishGroup(
  publisher: Publisher,
  topicArn: string,
  group: readonly OutgoingMessage[],
  failures: string[],
): Promise<number> {
  const outcome = await publisher.publish(
    topicArn,
    group.map((message, index) => ({
      id: String(index),
      body: message.body,
      attributes: message.attributes,
    })),
  );
  for (const failure of outcome.failures) failures.push(`${failure.code}: ${failure.message}`);
  return outcome.publishedIds.length;
}

function queueSender(
  target: Extract<ReplayTarget, { kind: 'queue' }>,
  sqs: Pick<SQSClient, 'send'>,
  limiter: RateLimiter,
): Sender {
  const [, , account, name] = QUEUE_ARN.exec(target.queueArn) ?? [];
  let queueUrl: string | undefined;
  return {
    async send(messages) {
      queueUrl ??= (
        (await sqs.send(
          new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
        )) as GetQueueUrlCommandOutput
      ).QueueUrl;
      const failures: string[] = [];
      let sent = 0;
      for (const message of messages) {
        await limiter.take(1);
        try {
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...queueMessage(message, target) }));
          sent++;
        } catch (error) {
          failures.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      return { sent, failures };
    },
  };
}

/**
 * What an SNS subscription delivers to a queue: with raw delivery the body and its attributes; without
 * (SNS's default) the notification envelope with the body as `Message`, unsigned (only SNS can sign).
 */
function queueMessage(message: OutgoingMessage, target: Extract<ReplayTarget, { kind: 'queue' }>) {
  if (target.raw) {
    return {
      MessageBody: message.body,
      MessageAttributes: Object.fromEntries(
        Object.entries(message.attributes).map(([name, value]) => [
          name,
          { DataType: value.DataType, StringValue: value.StringValue },
        ]),
      ),
    };
  }
  const envelope = {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: target.topicArns.get(message.eventType) ?? '',
    Message: message.body,
    Timestamp: new Date().toISOString(),
    MessageAttributes: Object.fromEntries(
      Object.entries(message.attributes).map(([name, value]) => [
        name,
        { Type: value.DataType, Value: value.StringValue },
      ]),
    ),
  };
  return { MessageBody: JSON.stringify(envelope) };
}

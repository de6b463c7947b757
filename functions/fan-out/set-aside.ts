import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { AttributeValue } from 'aws-lambda';

/**
 * A stream record the fan-out set aside in a queue instead of keeping its shard waiting: one SQS message
 * per record, with everything needed to publish it later (not batch metadata):
 * - `parked` (the parked-events queue): SNS refused it as invalid, or it cannot become a message (no
 *   topic for its type, an unreadable image). A person fixes the cause and runs `npm run redrive`.
 * - `held` (the held-events queue): SNS kept failing transiently while the record neared the end of the
 *   stream's 24-hour retention. The fan-out itself publishes it from there once SNS is back.
 */
export interface SetAsideRecord {
  readonly disposition: 'parked' | 'held';
  /** Why: the SNS error code and message, or what made the record unpublishable. */
  readonly reason: string;
  /** The SNS error code, or the fan-out's own (NoTopic, UnreadableImage, MessageTooLarge). */
  readonly code: string;
  readonly eventKey?: string;
  readonly eventType?: string;
  /** The stream record's identity: its sequence number and when it was written (epoch seconds). */
  readonly sequenceNumber?: string;
  readonly approximateCreationDateTime?: number;
  /** The topic it was (or would be) published to, and the message, when one could be built. */
  readonly topicArn?: string;
  readonly message?: {
    readonly body: string;
    readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  };
  /** The record's NewImage as the stream gave it, so a fixed fan-out can build the message again. */
  readonly image?: Readonly<Record<string, AttributeValue>>;
  readonly setAsideAt: string;
}

/** SQS's largest message body; a record whose image would not fit is set aside with its message only. */
const MAX_SQS_BODY_BYTES = 1_048_576;

export function setAsideBody(record: SetAsideRecord): string {
  const body = JSON.stringify(record);
  if (Buffer.byteLength(body) <= MAX_SQS_BODY_BYTES || record.image === undefined) return body;
  const { image: _image, ...withoutImage } = record;
  return JSON.stringify(withoutImage);
}

/** Reads a set-aside message body; undefined when it is not one. */
export function parseSetAside(body: string): SetAsideRecord | undefined {
  try {
    const parsed = JSON.parse(body) as Partial<SetAsideRecord>;
    if (parsed.disposition !== 'parked' && parsed.disposition !== 'held') return undefined;
    if (typeof parsed.reason !== 'string' || typeof parsed.code !== 'string') return undefined;
    return parsed as SetAsideRecord;
  } catch {
    return undefined;
  }
}

/** The part of the SQS client the fan-out uses. */
export interface SendMessageClient {
  send(command: SendMessageCommand): Promise<unknown>;
}

export type SetAside = (record: SetAsideRecord) => Promise<void>;

/** Sends each set-aside record to its queue: parked ones to one, held ones to the other. */
export function queueSetAside(client: SendMessageClient, queues: { parked: string; held: string }): SetAside {
  return async (record) => {
    const QueueUrl = record.disposition === 'parked' ? queues.parked : queues.held;
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: setAsideBody(record) }));
  };
}

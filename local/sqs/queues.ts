import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors, SqsError } from './errors.js';
import { stringList } from './params.js';

// SQS quotas (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html
// and quotas-messages.html).
export const MAX_MESSAGE_BYTES = 1_048_576;
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
export const MAX_DELAY_SECONDS = 900;
export const MAX_WAIT_SECONDS = 20;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

interface QueueAttributeRule {
  readonly fallback: string;
  readonly min: number;
  readonly max: number;
}

/** The queue attributes CreateQueue accepts here, with SQS's defaults and ranges. */
const SETTABLE_ATTRIBUTES: Readonly<Record<string, QueueAttributeRule>> = {
  VisibilityTimeout: { fallback: '30', min: 0, max: MAX_VISIBILITY_TIMEOUT_SECONDS },
  DelaySeconds: { fallback: '0', min: 0, max: MAX_DELAY_SECONDS },
  MessageRetentionPeriod: { fallback: '345600', min: 60, max: 1_209_600 },
  MaximumMessageSize: { fallback: String(MAX_MESSAGE_BYTES), min: 1024, max: MAX_MESSAGE_BYTES },
  ReceiveMessageWaitTimeSeconds: { fallback: '0', min: 0, max: MAX_WAIT_SECONDS },
};
/** Accepted and echoed, not acted on (encryption is SQS's business, not the stand-in's). */
const OPAQUE_ATTRIBUTES = new Set(['KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled']);
const SYSTEM_ATTRIBUTES = ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SentTimestamp'];

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5: string;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The latest receipt handle; only it deletes the message or changes its visibility. */
  receiptHandle?: string;
}

export interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly attributes: Record<string, string>;
  readonly messages: StoredMessage[];
}

export type MessageState = 'visible' | 'in-flight' | 'delayed';

/**
 * The SQS stand-in's queues and messages, with SQS's semantics where the project relies on them:
 * visibility timeouts, a new receipt handle per receive (only the latest one deletes), retention.
 */
export class SqsQueues {
  /** Set once the server listens: queue URLs start with it. */
  endpoint = '';
  private readonly queues = new Map<string, Queue>();
  /** Every receipt handle issued, to tell a stale handle (accepted) from one never issued (refused). */
  private readonly issuedHandles = new Map<string, { queue: Queue; messageId: string }>();

  constructor(
    readonly region: string,
    readonly accountId: string,
    readonly now: () => number,
  ) {}

  create(name: string, requested: Record<string, string>): Queue {
    if (!QUEUE_NAME.test(name)) {
      throw errors.invalidParameter(
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (got "${name}").`,
      );
    }
    if (requested.FifoQueue !== undefined)
      throw errors.unsupported('FIFO queues are not supported by the local SQS stand-in');
    const attributes = queueAttributesFrom(requested);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      const differs = Object.entries(requested).some(([key, value]) => existing.attributes[key] !== value);
      if (differs) {
        throw new SqsError(
          400,
          'QueueNameExists',
          'QueueAlreadyExists',
          `A queue already exists with the same name and a different value for attribute(s).`,
        );
      }
      return existing;
    }
    const queue: Queue = {
      name,
      url: `${this.endpoint}/${this.accountId}/${name}`,
      arn: `arn:aws:sqs:${this.region}:${this.accountId}:${name}`,
      createdAt: this.now(),
      attributes,
      messages: [],
    };
    this.queues.set(name, queue);
    return queue;
  }

  byName(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  require(queueUrl: unknown): Queue {
    if (queueUrl === undefined || queueUrl === null || queueUrl === '')
      throw errors.missingParameter('QueueUrl');
    if (typeof queueUrl !== 'string') throw errors.invalidParameter('QueueUrl must be a string.');
    let path: string;
    try {
      path = new URL(queueUrl).pathname;
    } catch {
      throw new SqsError(
        404,
        'InvalidAddress',
        'InvalidAddress',
        `The address ${queueUrl} is not valid for this endpoint.`,
      );
    }
    const [, owner, name] = path.split('/');
    const queue = owner === this.accountId && name !== undefined ? this.queues.get(name) : undefined;
    if (queue === undefined) throw errors.queueDoesNotExist();
    return queue;
  }

  /** Drops messages past the queue's retention period, as SQS does. */
  expire(queue: Queue): void {
    const retentionMs = Number(queue.attributes.MessageRetentionPeriod) * 1000;
    const oldest = this.now() - retentionMs;
    for (let index = queue.messages.length - 1; index >= 0; index--) {
      if ((queue.messages[index] as StoredMessage).sentAt < oldest) queue.messages.splice(index, 1);
    }
  }

  stateOf(message: StoredMessage): MessageState {
    if (message.visibleAt <= this.now()) return 'visible';
    return message.receiveCount === 0 ? 'delayed' : 'in-flight';
  }

  send(queue: Queue, body: string, delaySeconds: number): StoredMessage {
    const sentAt = this.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5: createHash('md5').update(body, 'utf8').digest('hex'),
      sentAt,
      visibleAt: sentAt + delaySeconds * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    return message;
  }

  /** Makes up to `max` visible messages in flight, oldest first, each with a new receipt handle. */
  take(queue: Queue, max: number, visibilityTimeoutSeconds: number): StoredMessage[] {
    this.expire(queue);
    const at = this.now();
    const taken: StoredMessage[] = [];
    for (const message of queue.messages) {
      if (taken.length === max) break;
      if (message.visibleAt > at) continue;
      message.receiveCount++;
      message.firstReceivedAt ??= at;
      message.visibleAt = at + visibilityTimeoutSeconds * 1000;
      message.receiptHandle = randomBytes(48).toString('base64url');
      this.issuedHandles.set(message.receiptHandle, { queue, messageId: message.messageId });
      taken.push(message);
    }
    return taken;
  }

  findByHandle(queue: Queue, handle: unknown): { message: StoredMessage | undefined; latest: boolean } {
    if (typeof handle !== 'string' || handle === '') throw errors.missingParameter('ReceiptHandle');
    const issued = this.issuedHandles.get(handle);
    if (issued === undefined || issued.queue !== queue) throw errors.receiptHandleIsInvalid(handle);
    const message = queue.messages.find((candidate) => candidate.messageId === issued.messageId);
    return { message, latest: message?.receiptHandle === handle };
  }

  systemAttributes(message: StoredMessage, wanted: readonly string[]): Record<string, string> {
    const all: Record<string, string> = {
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? this.now()),
      SentTimestamp: String(message.sentAt),
    };
    return Object.fromEntries(Object.entries(all).filter(([name]) => wanted.includes(name)));
  }
}

function queueAttributesFrom(requested: Record<string, string>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, rule] of Object.entries(SETTABLE_ATTRIBUTES)) attributes[name] = rule.fallback;
  for (const [name, value] of Object.entries(requested)) {
    const rule = SETTABLE_ATTRIBUTES[name];
    if (rule === undefined) {
      if (OPAQUE_ATTRIBUTES.has(name)) {
        attributes[name] = value;
        continue;
      }
      throw new SqsError(
        400,
        'InvalidAttributeName',
        'InvalidAttributeName',
        `Unknown or unsupported attribute ${name}.`,
      );
    }
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < rule.min || number > rule.max) {
      throw new SqsError(
        400,
        'InvalidAttributeValue',
        'InvalidAttributeValue',
        `Invalid value for the parameter ${name}: must be an integer from ${rule.min} to ${rule.max}.`,
      );
    }
    attributes[name] = value;
  }
  return attributes;
}

/** The system attributes a ReceiveMessage asks for (`All`, or by name). */
export function requestedSystemAttributes(input: Record<string, unknown>): string[] {
  const names = [
    ...stringList(input.AttributeNames, 'AttributeNames'),
    ...stringList(input.MessageSystemAttributeNames, 'MessageSystemAttributeNames'),
  ];
  return names.includes('All') ? SYSTEM_ATTRIBUTES : names.filter((name) => SYSTEM_ATTRIBUTES.includes(name));
}

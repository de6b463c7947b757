import { errors, SqsError } from './errors.js';
import { integerIn, requiredString, stringList, stringMap } from './params.js';
import {
  MAX_DELAY_SECONDS,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  MAX_WAIT_SECONDS,
  type Queue,
  requestedSystemAttributes,
  type SqsQueues,
} from './queues.js';

const MAX_RECEIVE_MESSAGES = 10;
const POLL_INTERVAL_MS = 10;
/** Characters SQS accepts in a body: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF. */
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export type SqsOperation = (input: Record<string, unknown>) => object | Promise<object>;

/** The operations the stand-in implements, over its queues; long polls wait at most `maxWaitMs`. */
export function sqsOperations(queues: SqsQueues, maxWaitMs: number): Record<string, SqsOperation> {
  return {
    CreateQueue(input) {
      const name = requiredString(input, 'QueueName');
      return { QueueUrl: queues.create(name, stringMap(input.Attributes, 'Attributes')).url };
    },
    GetQueueUrl(input) {
      const name = requiredString(input, 'QueueName');
      const owner = input.QueueOwnerAWSAccountId;
      const queue = owner === undefined || owner === queues.accountId ? queues.byName(name) : undefined;
      if (queue === undefined) throw errors.queueDoesNotExist();
      return { QueueUrl: queue.url };
    },
    SendMessage: (input) => sendMessage(queues, input),
    ReceiveMessage: (input) => receiveMessage(queues, input, maxWaitMs),
    DeleteMessage(input) {
      const queue = queues.require(input.QueueUrl);
      const { message, latest } = queues.findByHandle(queue, input.ReceiptHandle);
      // SQS: an older receipt handle "succeeds, but the message will not be deleted".
      if (message !== undefined && latest) queue.messages.splice(queue.messages.indexOf(message), 1);
      return {};
    },
    ChangeMessageVisibility: (input) => changeMessageVisibility(queues, input),
    GetQueueAttributes: (input) => getQueueAttributes(queues, input),
  };
}

function sendMessage(queues: SqsQueues, input: Record<string, unknown>): object {
  const queue = queues.require(input.QueueUrl);
  const body = input.MessageBody;
  if (body === undefined || body === null) throw errors.missingParameter('MessageBody');
  if (typeof body !== 'string' || body === '') {
    throw errors.invalidParameter('The request must contain a non-empty message body.');
  }
  checkBody(queue, body);
  if (input.MessageAttributes !== undefined || input.MessageSystemAttributes !== undefined) {
    throw errors.unsupported('Message attributes are not supported by the local SQS stand-in');
  }
  const delay =
    integerIn(input, 'DelaySeconds', 0, MAX_DELAY_SECONDS) ?? Number(queue.attributes.DelaySeconds);
  const message = queues.send(queue, body, delay);
  return { MessageId: message.messageId, MD5OfMessageBody: message.md5 };
}

/** SQS's size limit (the queue's MaximumMessageSize) and character set. */
function checkBody(queue: Queue, body: string): void {
  const maxBytes = Number(queue.attributes.MaximumMessageSize);
  const bytes = Buffer.byteLength(body);
  if (bytes > maxBytes) {
    throw errors.invalidParameter(
      `One or more parameters are invalid. Reason: Message must be shorter than ${maxBytes} bytes (it is ${bytes}).`,
    );
  }
  if (INVALID_BODY_CHARACTER.test(body)) {
    throw new SqsError(
      400,
      'InvalidMessageContents',
      'InvalidMessageContents',
      'Invalid characters found in the message body. Valid: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.',
    );
  }
}

async function receiveMessage(queues: SqsQueues, input: Record<string, unknown>, maxWaitMs: number) {
  const queue = queues.require(input.QueueUrl);
  const max = integerIn(input, 'MaxNumberOfMessages', 1, MAX_RECEIVE_MESSAGES) ?? 1;
  const visibilityTimeout =
    integerIn(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT_SECONDS) ??
    Number(queue.attributes.VisibilityTimeout);
  const waitSeconds =
    integerIn(input, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS) ??
    Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
  const wanted = requestedSystemAttributes(input);
  const deadline = performance.now() + Math.min(waitSeconds * 1000, maxWaitMs);
  let received = queues.take(queue, max, visibilityTimeout);
  while (received.length === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    received = queues.take(queue, max, visibilityTimeout);
  }
  if (received.length === 0) return {};
  return {
    Messages: received.map((message) => ({
      MessageId: message.messageId,
      ReceiptHandle: message.receiptHandle,
      MD5OfBody: message.md5,
      Body: message.body,
      ...(wanted.length > 0 && { Attributes: queues.systemAttributes(message, wanted) }),
    })),
  };
}

function changeMessageVisibility(queues: SqsQueues, input: Record<string, unknown>): object {
  const queue = queues.require(input.QueueUrl);
  const timeout = integerIn(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
  if (timeout === undefined) throw errors.missingParameter('VisibilityTimeout');
  const { message, latest } = queues.findByHandle(queue, input.ReceiptHandle);
  if (message === undefined || queues.stateOf(message) !== 'in-flight') throw errors.messageNotInflight();
  if (!latest) {
    throw errors.invalidParameter(
      `Value ${String(input.ReceiptHandle)} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
    );
  }
  message.visibleAt = queues.now() + timeout * 1000;
  return {};
}

function getQueueAttributes(queues: SqsQueues, input: Record<string, unknown>): object {
  const queue = queues.require(input.QueueUrl);
  const names = stringList(input.AttributeNames, 'AttributeNames');
  queues.expire(queue);
  const counts = { visible: 0, 'in-flight': 0, delayed: 0 };
  for (const message of queue.messages) counts[queues.stateOf(message)]++;
  const all: Record<string, string> = {
    ...queue.attributes,
    QueueArn: queue.arn,
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts['in-flight']),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
  };
  if (names.includes('All')) return { Attributes: all };
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const value = all[name];
    if (value === undefined) {
      throw new SqsError(400, 'InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
    attributes[name] = value;
  }
  return names.length === 0 ? {} : { Attributes: attributes };
}

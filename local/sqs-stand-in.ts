import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, LOOPBACK_HOST, listen, urlHost } from './free-port.js';

/**
 * An SQS stand-in: an HTTP server speaking the AWS JSON 1.0 protocol the SDK's SQSClient uses
 * (`X-Amz-Target: AmazonSQS.<Operation>`, errors as `__type` plus the query-compatible
 * `x-amzn-query-error` header the SDK maps to its exception classes), for the operations this project
 * calls: CreateQueue, GetQueueUrl, SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility and
 * GetQueueAttributes. Point real clients at it with AWS_ENDPOINT_URL_SQS or `new SQSClient({ endpoint })`.
 *
 * Standard queues only, with SQS's semantics where the project relies on them: a received message is
 * invisible for its visibility timeout and then received again; every receive issues a new receipt handle,
 * and only the latest one deletes the message (an older one is accepted and does nothing, as SQS documents);
 * long polling waits for a message, capped at `maxWaitMs` so tests stay fast. Bodies are checked against
 * SQS's size limit and character set, and answered with the MD5 digests the SDK verifies.
 */
export interface SqsStandIn {
  /** `http://127.0.0.1:<port>`, for `new SQSClient({ endpoint })` or AWS_ENDPOINT_URL_SQS. */
  endpoint: string;
  port: number;
  region: string;
  accountId: string;
  /** Creates a queue (idempotent, like CreateQueue) and returns its URL. */
  createQueue(name: string, attributes?: Record<string, string>): string;
  /** Every message still in the queue (visible, in flight or delayed), oldest first. */
  messages(queueUrl: string): QueuedMessageView[];
  /** Every request that reached the server, in order, with the status it was answered with. */
  requests: RecordedSqsRequest[];
  stop(): Promise<void>;
}

export interface QueuedMessageView {
  messageId: string;
  body: string;
  /** How often the message has been received (SQS's ApproximateReceiveCount). */
  receiveCount: number;
  state: 'visible' | 'in-flight' | 'delayed';
}

export interface RecordedSqsRequest {
  operation: string;
  status: number;
  /** The error type (e.g. QueueDoesNotExist) when the request was answered with an error. */
  errorType?: string;
}

export interface SqsStandInOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** Region in queue ARNs. @default process.env.AWS_REGION, else eu-central-1 */
  region?: string;
  /** Account id in queue URLs and ARNs. @default 000000000000 */
  accountId?: string;
  /** Longest a long-polling ReceiveMessage waits for a message, whatever its WaitTimeSeconds. @default 250 */
  maxWaitMs?: number;
  /** Clock in epoch milliseconds (visibility timeouts, delays, retention). @default Date.now */
  now?: () => number;
}

// SQS quotas (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html
// and quotas-messages.html).
const MAX_MESSAGE_BYTES = 1_048_576;
const MAX_RECEIVE_MESSAGES = 10;
const MAX_WAIT_SECONDS = 20;
const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
const MAX_DELAY_SECONDS = 900;
const MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** Characters SQS accepts in a body: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF. */
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const POLL_INTERVAL_MS = 10;

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

interface StoredMessage {
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

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly attributes: Record<string, string>;
  readonly messages: StoredMessage[];
}

/** An error answered the way SQS's JSON protocol answers it. */
class SqsError extends Error {
  constructor(
    readonly status: number,
    /** The shape name (`__type` after `com.amazonaws.sqs#`). */
    readonly type: string,
    /** The query-compatible code the SDK maps back to its exception class. */
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

const errors = {
  invalidParameter: (message: string) =>
    new SqsError(400, 'InvalidParameterValue', 'InvalidParameterValue', message),
  missingParameter: (name: string) =>
    new SqsError(
      400,
      'MissingParameter',
      'MissingParameter',
      `The request must contain the parameter ${name}.`,
    ),
  queueDoesNotExist: () =>
    new SqsError(
      400,
      'QueueDoesNotExist',
      'AWS.SimpleQueueService.NonExistentQueue',
      'The specified queue does not exist.',
    ),
  receiptHandleIsInvalid: (handle: string) =>
    new SqsError(
      404,
      'ReceiptHandleIsInvalid',
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
    ),
  messageNotInflight: () =>
    new SqsError(
      400,
      'MessageNotInflight',
      'AWS.SimpleQueueService.MessageNotInflight',
      'Message does not exist or is not available for visibility timeout change.',
    ),
  unsupported: (message: string) =>
    new SqsError(400, 'UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', message),
};

/** Starts an SQS stand-in on 127.0.0.1 speaking the AWS JSON 1.0 protocol of the SDK v3 SQS client. */
export async function startSqsStandIn(opts: SqsStandInOptions = {}): Promise<SqsStandIn> {
  const region = opts.region ?? process.env.AWS_REGION ?? 'eu-central-1';
  const accountId = opts.accountId ?? '000000000000';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, got "${accountId}"`);
  const maxWaitMs = opts.maxWaitMs ?? 250;
  const now = opts.now ?? Date.now;

  const queues = new Map<string, Queue>();
  /** Every receipt handle issued, to tell a stale handle (accepted) from one never issued (refused). */
  const issuedHandles = new Map<string, { queue: Queue; messageId: string }>();
  const requests: RecordedSqsRequest[] = [];
  let endpoint = '';

  function createQueueNamed(name: string, requested: Record<string, string>): Queue {
    if (!QUEUE_NAME.test(name)) {
      throw errors.invalidParameter(
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (got "${name}").`,
      );
    }
    if (requested.FifoQueue !== undefined)
      throw errors.unsupported('FIFO queues are not supported by the local SQS stand-in');
    const attributes = queueAttributesFrom(requested);
    const existing = queues.get(name);
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
      url: `${endpoint}/${accountId}/${name}`,
      arn: `arn:aws:sqs:${region}:${accountId}:${name}`,
      createdAt: now(),
      attributes,
      messages: [],
    };
    queues.set(name, queue);
    return queue;
  }

  function requireQueue(queueUrl: unknown): Queue {
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
    const queue = owner === accountId && name !== undefined ? queues.get(name) : undefined;
    if (queue === undefined) throw errors.queueDoesNotExist();
    return queue;
  }

  /** Drops messages past the queue's retention period, as SQS does. */
  function expire(queue: Queue): void {
    const retentionMs = Number(queue.attributes.MessageRetentionPeriod) * 1000;
    const oldest = now() - retentionMs;
    for (let index = queue.messages.length - 1; index >= 0; index--) {
      if ((queue.messages[index] as StoredMessage).sentAt < oldest) queue.messages.splice(index, 1);
    }
  }

  function stateOf(message: StoredMessage): QueuedMessageView['state'] {
    if (message.visibleAt <= now()) return 'visible';
    return message.receiveCount === 0 ? 'delayed' : 'in-flight';
  }

  function findByHandle(
    queue: Queue,
    handle: unknown,
  ): { message: StoredMessage | undefined; latest: boolean } {
    if (typeof handle !== 'string' || handle === '') throw errors.missingParameter('ReceiptHandle');
    const issued = issuedHandles.get(handle);
    if (issued === undefined || issued.queue !== queue) throw errors.receiptHandleIsInvalid(handle);
    const message = queue.messages.find((candidate) => candidate.messageId === issued.messageId);
    return { message, latest: message?.receiptHandle === handle };
  }

  // ---- operations ----

  const operations: Record<string, (input: Record<string, unknown>) => object | Promise<object>> = {
    CreateQueue(input) {
      const name = requiredString(input, 'QueueName');
      const queue = createQueueNamed(name, stringMap(input.Attributes, 'Attributes'));
      return { QueueUrl: queue.url };
    },

    GetQueueUrl(input) {
      const name = requiredString(input, 'QueueName');
      const owner = input.QueueOwnerAWSAccountId;
      const queue = owner === undefined || owner === accountId ? queues.get(name) : undefined;
      if (queue === undefined) throw errors.queueDoesNotExist();
      return { QueueUrl: queue.url };
    },

    SendMessage(input) {
      const queue = requireQueue(input.QueueUrl);
      const body = input.MessageBody;
      if (body === undefined || body === null) throw errors.missingParameter('MessageBody');
      if (typeof body !== 'string' || body === '') {
        throw errors.invalidParameter('The request must contain a non-empty message body.');
      }
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
      if (input.MessageAttributes !== undefined || input.MessageSystemAttributes !== undefined) {
        throw errors.unsupported('Message attributes are not supported by the local SQS stand-in');
      }
      const delay =
        integerIn(input, 'DelaySeconds', 0, MAX_DELAY_SECONDS) ?? Number(queue.attributes.DelaySeconds);
      const sentAt = now();
      const message: StoredMessage = {
        messageId: randomUUID(),
        body,
        md5: md5Hex(body),
        sentAt,
        visibleAt: sentAt + delay * 1000,
        receiveCount: 0,
      };
      queue.messages.push(message);
      return { MessageId: message.messageId, MD5OfMessageBody: message.md5 };
    },

    async ReceiveMessage(input) {
      const queue = requireQueue(input.QueueUrl);
      const max = integerIn(input, 'MaxNumberOfMessages', 1, MAX_RECEIVE_MESSAGES) ?? 1;
      const visibilityTimeout =
        integerIn(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT_SECONDS) ??
        Number(queue.attributes.VisibilityTimeout);
      const waitSeconds =
        integerIn(input, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS) ??
        Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
      const wanted = requestedSystemAttributes(input);
      const deadline = performance.now() + Math.min(waitSeconds * 1000, maxWaitMs);
      let received = take(queue, max, visibilityTimeout);
      while (received.length === 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
        received = take(queue, max, visibilityTimeout);
      }
      if (received.length === 0) return {};
      return {
        Messages: received.map((message) => ({
          MessageId: message.messageId,
          ReceiptHandle: message.receiptHandle,
          MD5OfBody: message.md5,
          Body: message.body,
          ...(wanted.length > 0 && { Attributes: systemAttributes(message, wanted) }),
        })),
      };
    },

    DeleteMessage(input) {
      const queue = requireQueue(input.QueueUrl);
      const { message, latest } = findByHandle(queue, input.ReceiptHandle);
      // SQS: an older receipt handle "succeeds, but the message will not be deleted".
      if (message !== undefined && latest) queue.messages.splice(queue.messages.indexOf(message), 1);
      return {};
    },

    ChangeMessageVisibility(input) {
      const queue = requireQueue(input.QueueUrl);
      const timeout = integerIn(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
      if (timeout === undefined) throw errors.missingParameter('VisibilityTimeout');
      const { message, latest } = findByHandle(queue, input.ReceiptHandle);
      if (message === undefined || stateOf(message) !== 'in-flight') throw errors.messageNotInflight();
      if (!latest) {
        throw errors.invalidParameter(
          `Value ${String(input.ReceiptHandle)} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
        );
      }
      message.visibleAt = now() + timeout * 1000;
      return {};
    },

    GetQueueAttributes(input) {
      const queue = requireQueue(input.QueueUrl);
      const names = stringList(input.AttributeNames, 'AttributeNames');
      expire(queue);
      const counts = { visible: 0, 'in-flight': 0, delayed: 0 };
      for (const message of queue.messages) counts[stateOf(message)]++;
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
          throw new SqsError(
            400,
            'InvalidAttributeName',
            'InvalidAttributeName',
            `Unknown Attribute ${name}.`,
          );
        }
        attributes[name] = value;
      }
      return names.length === 0 ? {} : { Attributes: attributes };
    },
  };

  /** Makes up to `max` visible messages in flight, oldest first, each with a new receipt handle. */
  function take(queue: Queue, max: number, visibilityTimeoutSeconds: number): StoredMessage[] {
    expire(queue);
    const at = now();
    const taken: StoredMessage[] = [];
    for (const message of queue.messages) {
      if (taken.length === max) break;
      if (message.visibleAt > at) continue;
      message.receiveCount++;
      message.firstReceivedAt ??= at;
      message.visibleAt = at + visibilityTimeoutSeconds * 1000;
      message.receiptHandle = randomBytes(48).toString('base64url');
      issuedHandles.set(message.receiptHandle, { queue, messageId: message.messageId });
      taken.push(message);
    }
    return taken;
  }

  // ---- HTTP ----

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const target = String(request.headers['x-amz-target'] ?? '');
    const operationName = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : target;
    const answer = (status: number, body: object, error?: SqsError) => {
      requests.push({
        operation: operationName || '(none)',
        status,
        ...(error !== undefined && { errorType: error.type }),
      });
      const json = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(json),
        'x-amzn-requestid': requestId,
        ...(error !== undefined && {
          'x-amzn-query-error': `${error.queryCode};${error.status >= 500 ? 'Receiver' : 'Sender'}`,
        }),
      });
      response.end(json);
    };
    try {
      const text = await readBody(request);
      if (!target.startsWith('AmazonSQS.')) {
        throw errors.unsupported(
          'The local SQS stand-in speaks the AWS JSON 1.0 protocol only (X-Amz-Target: AmazonSQS.<Operation>)',
        );
      }
      const operation = operations[operationName];
      if (operation === undefined) {
        throw errors.unsupported(
          `The local SQS stand-in does not implement ${operationName} (supported: ${Object.keys(operations).join(', ')})`,
        );
      }
      let input: unknown;
      try {
        input = JSON.parse(text === '' ? '{}' : text);
      } catch {
        throw new SqsError(
          400,
          'SerializationException',
          'SerializationException',
          'The request body is not JSON.',
        );
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        throw new SqsError(
          400,
          'SerializationException',
          'SerializationException',
          'The request body must be a JSON object.',
        );
      }
      answer(200, await operation(input as Record<string, unknown>));
    } catch (error) {
      const sqsError =
        error instanceof SqsError
          ? error
          : new SqsError(
              500,
              'InternalError',
              'InternalError',
              `Local SQS stand-in failure: ${String(error)}`,
            );
      answer(
        sqsError.status,
        { __type: `com.amazonaws.sqs#${sqsError.type}`, message: sqsError.message },
        sqsError,
      );
    }
  }

  const server = createServer((request, response) => void handle(request, response));
  const port = await listen(server, opts.port ?? 0, LOOPBACK_HOST);
  endpoint = `http://${urlHost(LOOPBACK_HOST)}:${port}`;

  return {
    endpoint,
    port,
    region,
    accountId,
    requests,
    createQueue(name, attributes = {}) {
      try {
        return createQueueNamed(name, attributes).url;
      } catch (error) {
        throw error instanceof SqsError ? new Error(`${error.type}: ${error.message}`) : error;
      }
    },
    messages(queueUrl) {
      const queue = requireQueue(queueUrl);
      expire(queue);
      return queue.messages.map((message) => ({
        messageId: message.messageId,
        body: message.body,
        receiveCount: message.receiveCount,
        state: stateOf(message),
      }));
    },
    stop: () => closeServer(server),
  };

  function systemAttributes(message: StoredMessage, wanted: readonly string[]): Record<string, string> {
    const all: Record<string, string> = {
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? now()),
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

function requestedSystemAttributes(input: Record<string, unknown>): string[] {
  const names = [
    ...stringList(input.AttributeNames, 'AttributeNames'),
    ...stringList(input.MessageSystemAttributeNames, 'MessageSystemAttributeNames'),
  ];
  return names.includes('All') ? SYSTEM_ATTRIBUTES : names.filter((name) => SYSTEM_ATTRIBUTES.includes(name));
}

function requiredString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw errors.missingParameter(name);
  if (typeof value !== 'string') throw errors.invalidParameter(`${name} must be a string.`);
  return value;
}

/** An optional integer parameter in [min, max], with SQS's wording when it is out of range. */
function integerIn(
  input: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw errors.invalidParameter(
      `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return value;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw errors.invalidParameter(`${name} must be a list of strings.`);
  }
  return value as string[];
}

function stringMap(value: unknown, name: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Object.values(value).some((item) => typeof item !== 'string')
  ) {
    throw errors.invalidParameter(`${name} must be a map of strings.`);
  }
  return value as Record<string, string>;
}

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Reads the body; an oversized one is drained (so the error can still be written) and refused. */
function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_REQUEST_BODY_BYTES) {
        reject(errors.invalidParameter(`The request body is over ${MAX_REQUEST_BODY_BYTES} bytes.`));
      } else {
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    request.on('error', reject);
  });
}

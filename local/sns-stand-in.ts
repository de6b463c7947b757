import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, LOOPBACK_HOST, listen, urlHost } from './free-port.js';
import { type AttributeMatcher, compileFilterPolicy } from './sns-filter-policy.js';
import {
  errorXml,
  listParam,
  mapParam,
  parseQueryParameters,
  type QueryTree,
  type QueryValue,
  SnsError,
  stringParam,
  successXml,
  toXml,
  xmlMap,
} from './sns-query-protocol.js';

export interface PublishedMessage {
  topicArn: string;
  messageId: string;
  message: string;
  subject?: string;
  messageAttributes: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
  messageStructure?: string;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  /** The PublishBatch entry Id, when the message came in a batch. */
  batchEntryId?: string;
}

/** How a refused entry is reported. Defaults: InternalError, 500, SenderFault false. */
export interface InjectedFailure {
  code?: string;
  message?: string;
  /** HTTP status of a refused Publish (PublishBatch reports the entry in Failed[] with HTTP 200). */
  status?: number;
  senderFault?: boolean;
}

export interface RecordedRequest {
  action: string;
  status: number;
  /** The query error code when the request was answered with an error. */
  errorCode?: string;
}

export interface DeliveryError {
  topicArn: string;
  messageId: string;
  error: unknown;
}

export interface SnsStandIn {
  /** `http://127.0.0.1:<port>`, for `new SNSClient({ endpoint })` or AWS_ENDPOINT_URL_SNS. */
  endpoint: string;
  port: number;
  region: string;
  accountId: string;
  /** Creates a topic (idempotent, like CreateTopic) and returns its ARN. */
  createTopic(name: string): Promise<string>;
  /** Every accepted message, in order. */
  published: PublishedMessage[];
  messagesFor(topicArn: string): PublishedMessage[];
  /**
   * Entries matching the predicate are refused until clearFailures(): in PublishBatch they are listed in
   * Failed[] (HTTP 200, Code InternalError by default); a Publish gets an error response (500 InternalError
   * by default, which the SDK retries, each retry refused again). Refused entries are not in `published`.
   */
  failWhen(predicate: (entry: PublishedMessage) => boolean, failure?: InjectedFailure): void;
  clearFailures(): void;
  /**
   * The next n HTTP requests (any action) are answered with `status` (default 500, code InternalError;
   * 429 answers Throttled, 503 ServiceUnavailable) before any processing. The SDK's standard retry
   * strategy (3 attempts) retries 500/502/503/504 and throttling: with n < 3 a call still succeeds
   * (`$metadata.attempts` is n + 1), with n >= 3 it throws e.g. InternalErrorException. Nothing is
   * published by a failed request. See `requests` for what reached the stand-in.
   */
  failRequests(n: number, status?: number, code?: string): void;
  /**
   * While `failing()` is true every HTTP request (any action) is answered with `status` (default 503,
   * ServiceUnavailable) before any processing: an outage. Cleared by clearFailures() and reset().
   */
  failWhile(failing: () => boolean, status?: number, code?: string): void;
  /**
   * An in-process subscriber. Deliveries are asynchronous (after the publisher's response), one call per
   * matching message; a listener that throws is recorded in `deliveryErrors`. The filter policy applies to
   * message attributes; sns-filter-policy.ts lists what is supported. Returns an unsubscribe function.
   */
  subscribe(
    topicArn: string,
    listener: (msg: PublishedMessage) => void | Promise<void>,
    filterPolicy?: object,
  ): () => void;
  /** Every request that reached the server, in order, with the status it was answered with. */
  requests: RecordedRequest[];
  deliveryErrors: DeliveryError[];
  /** Resolves when every delivery to in-process subscribers scheduled so far has settled. */
  deliveriesSettled(): Promise<void>;
  /** Clears published messages, failure rules, pending request failures, the request log and delivery errors. Topics and subscriptions stay. */
  reset(): void;
  stop(): Promise<void>;
}

export interface SnsStandInOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** Region in topic ARNs. @default process.env.AWS_REGION, else eu-central-1 */
  region?: string;
  /** Account id in topic ARNs. @default 000000000000 */
  accountId?: string;
}

// SNS limits (https://docs.aws.amazon.com/general/latest/gr/sns.html and the API reference).
const MAX_PAYLOAD_BYTES = 262_144;
const MAX_BATCH_ENTRIES = 10;
const MAX_MESSAGE_ATTRIBUTES = 10;
const LIST_TOPICS_PAGE_SIZE = 100;
const MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Topic {
  arn: string;
  name: string;
  attributes: Record<string, string>;
}

interface Subscription {
  topicArn: string;
  listener: (msg: PublishedMessage) => void | Promise<void>;
  matches: AttributeMatcher;
}

interface FailureRule {
  predicate: (entry: PublishedMessage) => boolean;
  failure: Required<Pick<InjectedFailure, 'code' | 'message' | 'status' | 'senderFault'>>;
}

/** Starts an SNS stand-in on 127.0.0.1 speaking the AWS Query protocol the SDK v3 SNS client uses. */
export async function startSnsStandIn(opts: SnsStandInOptions = {}): Promise<SnsStandIn> {
  const region = opts.region ?? process.env.AWS_REGION ?? 'eu-central-1';
  const accountId = opts.accountId ?? '000000000000';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, got "${accountId}"`);

  const topics = new Map<string, Topic>();
  const subscriptions = new Set<Subscription>();
  const published: PublishedMessage[] = [];
  const requests: RecordedRequest[] = [];
  const deliveryErrors: DeliveryError[] = [];
  const pendingDeliveries = new Set<Promise<void>>();
  let failureRules: FailureRule[] = [];
  let requestFailures: Array<{ status: number; code: string }> = [];
  let outage: { failing: () => boolean; status: number; code: string } | undefined;

  const topicArnFor = (name: string) => `arn:aws:sns:${region}:${accountId}:${name}`;

  function createTopicNamed(name: string, attributes: Record<string, string> = {}): string {
    if (!TOPIC_NAME.test(name)) {
      throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Topic Name');
    }
    if (attributes.FifoTopic === 'true') {
      throw new SnsError(400, 'InvalidParameter', 'FIFO topics are not supported by the local SNS stand-in');
    }
    const arn = topicArnFor(name);
    if (!topics.has(arn)) topics.set(arn, { arn, name, attributes: { ...attributes } });
    return arn;
  }

  function requireTopic(arn: string | undefined, parameter = 'TopicArn'): Topic {
    if (arn === undefined || arn === '') {
      throw new SnsError(
        400,
        'InvalidParameter',
        `Invalid parameter: ${parameter} Reason: no value for required parameter`,
      );
    }
    if (!TOPIC_ARN.test(arn)) throw new SnsError(400, 'InvalidParameter', `Invalid parameter: ${parameter}`);
    const topic = topics.get(arn);
    if (topic === undefined) throw new SnsError(404, 'NotFound', 'Topic does not exist');
    return topic;
  }

  function findFailure(entry: PublishedMessage): FailureRule['failure'] | undefined {
    return failureRules.find((rule) => rule.predicate(entry))?.failure;
  }

  function accept(message: PublishedMessage): void {
    published.push(message);
    for (const subscription of subscriptions) {
      if (subscription.topicArn !== message.topicArn || !subscription.matches(message.messageAttributes))
        continue;
      const copy = structuredClone(message);
      const delivery = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => subscription.listener(copy))
        .catch((error: unknown) => {
          deliveryErrors.push({ topicArn: message.topicArn, messageId: message.messageId, error });
        })
        .finally(() => pendingDeliveries.delete(delivery));
      pendingDeliveries.add(delivery);
    }
  }

  // ---- actions ----

  function publish(params: QueryTree): string {
    const topicArn = stringParam(params, 'TopicArn') ?? stringParam(params, 'TargetArn');
    if (topicArn === undefined && stringParam(params, 'PhoneNumber') !== undefined) {
      throw new SnsError(
        400,
        'InvalidParameter',
        'SMS (PhoneNumber) is not supported by the local SNS stand-in',
      );
    }
    const topic = requireTopic(topicArn);
    const entry = readMessage(params, topic.arn);
    const failure = findFailure(entry);
    if (failure) throw new SnsError(failure.status, failure.code, failure.message);
    accept(entry);
    return toXml({ MessageId: entry.messageId });
  }

  function publishBatch(params: QueryTree): string {
    const entries = listParam(params, 'PublishBatchRequestEntries').map(asTree);
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw new SnsError(
        400,
        'TooManyEntriesInBatchRequest',
        `The batch request contains more entries than permissible (${entries.length} > ${MAX_BATCH_ENTRIES}).`,
      );
    }
    if (entries.length === 0) {
      throw new SnsError(400, 'EmptyBatchRequest', "The batch request doesn't contain any entries.");
    }
    const ids = entries.map((entry) => stringParam(entry, 'Id') ?? '');
    const badId = ids.find((id) => !BATCH_ENTRY_ID.test(id));
    if (badId !== undefined) {
      throw new SnsError(
        400,
        'InvalidBatchEntryId',
        `The Id of a batch entry in a batch request doesn't abide by the specification: "${badId}" (1-80 letters, digits, - and _).`,
      );
    }
    if (new Set(ids).size !== ids.length) {
      throw new SnsError(
        400,
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    }
    const totalBytes = entries.reduce((sum, entry) => sum + payloadBytes(entry), 0);
    if (totalBytes > MAX_PAYLOAD_BYTES) {
      throw new SnsError(
        400,
        'BatchRequestTooLong',
        `The length of all the batch messages put together is more than the limit (${totalBytes} > ${MAX_PAYLOAD_BYTES} bytes).`,
      );
    }
    const topic = requireTopic(stringParam(params, 'TopicArn'));

    const successful: Array<{ Id: string; MessageId: string }> = [];
    const failed: Array<{ Id: string; Code: string; Message: string; SenderFault: boolean }> = [];
    entries.forEach((entryParams, index) => {
      const id = ids[index] as string;
      let entry: PublishedMessage;
      try {
        entry = { ...readMessage(entryParams, topic.arn), batchEntryId: id };
      } catch (error) {
        if (!(error instanceof SnsError)) throw error;
        failed.push({ Id: id, Code: error.code, Message: error.message, SenderFault: true });
        return;
      }
      const failure = findFailure(entry);
      if (failure) {
        failed.push({
          Id: id,
          Code: failure.code,
          Message: failure.message,
          SenderFault: failure.senderFault,
        });
        return;
      }
      accept(entry);
      successful.push({ Id: id, MessageId: entry.messageId });
    });
    return toXml({ Successful: successful, Failed: failed });
  }

  function createTopicAction(params: QueryTree): string {
    const attributes = Object.fromEntries(
      mapParam(params, 'Attributes', 'key', 'value').map(([key, value]) => [
        key,
        typeof value === 'string' ? value : '',
      ]),
    );
    const name = stringParam(params, 'Name');
    if (name === undefined) {
      throw new SnsError(
        400,
        'InvalidParameter',
        'Invalid parameter: Name Reason: no value for required parameter',
      );
    }
    return toXml({ TopicArn: createTopicNamed(name, attributes) });
  }

  function listTopics(params: QueryTree): string {
    const arns = [...topics.keys()];
    const token = stringParam(params, 'NextToken');
    const start = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0 || start > arns.length) {
      throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: NextToken');
    }
    const page = arns.slice(start, start + LIST_TOPICS_PAGE_SIZE);
    const next = start + page.length < arns.length ? String(start + page.length) : undefined;
    return toXml({ Topics: page.map((arn) => ({ TopicArn: arn })), NextToken: next });
  }

  function getTopicAttributes(params: QueryTree): string {
    const topic = requireTopic(stringParam(params, 'TopicArn'));
    const confirmed = [...subscriptions].filter((s) => s.topicArn === topic.arn).length;
    const attributes: Record<string, string> = {
      DisplayName: '',
      ...topic.attributes,
      TopicArn: topic.arn,
      Owner: accountId,
      SubscriptionsConfirmed: String(confirmed),
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
    };
    return `<Attributes>${xmlMap(attributes)}</Attributes>`;
  }

  const actions: Record<string, (params: QueryTree) => string> = {
    Publish: publish,
    PublishBatch: publishBatch,
    CreateTopic: createTopicAction,
    ListTopics: listTopics,
    GetTopicAttributes: getTopicAttributes,
  };

  // ---- HTTP ----

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    let action = '(none)';
    const answer = (status: number, body: string, errorCode?: string, contentType = 'text/xml') => {
      requests.push(errorCode === undefined ? { action, status } : { action, status, errorCode });
      res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': requestId });
      res.end(body);
    };
    const answerError = (error: SnsError) =>
      answer(error.status, errorXml(error.type, error.code, error.message, requestId), error.code);

    try {
      if (req.headers['x-amz-target'] !== undefined) {
        action = String(req.headers['x-amz-target']);
        answer(
          400,
          JSON.stringify({
            __type: 'UnsupportedProtocol',
            message:
              'The local SNS stand-in speaks the AWS Query protocol only (form-encoded Action=...), not JSON',
          }),
          'UnsupportedProtocol',
          'application/x-amz-json-1.0',
        );
        return;
      }
      const body = await readBody(req);
      const form = new URLSearchParams(new URL(req.url ?? '/', 'http://stand-in').search);
      for (const [name, value] of new URLSearchParams(body)) form.append(name, value);
      action = form.get('Action') ?? '(none)';

      const injected = outage?.failing() ? outage : requestFailures.shift();
      if (injected) {
        answerError(
          new SnsError(injected.status, injected.code, `Injected failure (failRequests): ${injected.code}`),
        );
        return;
      }
      if (!form.has('Action')) {
        throw new SnsError(400, 'MissingAction', 'Could not find the Action parameter in the request');
      }
      const handler = actions[action];
      if (handler === undefined) {
        throw new SnsError(
          400,
          'InvalidAction',
          `The local SNS stand-in does not implement the action "${action}" (supported: ${Object.keys(actions).join(', ')})`,
        );
      }
      answer(200, successXml(action, handler(parseQueryParameters(form)), requestId));
    } catch (error) {
      if (error instanceof SnsError) answerError(error);
      else answerError(new SnsError(500, 'InternalError', `Local SNS stand-in failure: ${String(error)}`));
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  const port = await listen(server, opts.port ?? 0, LOOPBACK_HOST);

  return {
    endpoint: `http://${urlHost(LOOPBACK_HOST)}:${port}`,
    port,
    region,
    accountId,
    published,
    requests,
    deliveryErrors,
    async createTopic(name) {
      try {
        return createTopicNamed(name);
      } catch (error) {
        throw error instanceof SnsError ? new Error(`${error.message}: "${name}"`) : error;
      }
    },
    messagesFor: (topicArn) => published.filter((message) => message.topicArn === topicArn),
    failWhen(predicate, failure = {}) {
      const code = failure.code ?? 'InternalError';
      failureRules.push({
        predicate,
        failure: {
          code,
          message: failure.message ?? `Injected failure (failWhen): ${code}`,
          status: failure.status ?? (code === 'InternalError' ? 500 : 400),
          senderFault: failure.senderFault ?? false,
        },
      });
    },
    clearFailures() {
      failureRules = [];
      outage = undefined;
    },
    failWhile(failing, status = 503, code) {
      outage = { failing, status, code: code ?? defaultErrorCode(status) };
    },
    failRequests(n, status = 500, code) {
      if (!Number.isInteger(n) || n < 0)
        throw new Error(`failRequests takes a non-negative integer, got ${n}`);
      const errorCode = code ?? defaultErrorCode(status);
      for (let i = 0; i < n; i++) requestFailures.push({ status, code: errorCode });
    },
    subscribe(topicArn, listener, filterPolicy) {
      if (!topics.has(topicArn)) throw new Error(`Cannot subscribe: topic ${topicArn} does not exist`);
      const subscription: Subscription = {
        topicArn,
        listener,
        matches: filterPolicy === undefined ? () => true : compileFilterPolicy(filterPolicy),
      };
      subscriptions.add(subscription);
      return () => {
        subscriptions.delete(subscription);
      };
    },
    async deliveriesSettled() {
      while (pendingDeliveries.size > 0) await Promise.all([...pendingDeliveries]);
    },
    reset() {
      published.length = 0;
      requests.length = 0;
      deliveryErrors.length = 0;
      failureRules = [];
      requestFailures = [];
      outage = undefined;
    },
    stop: () => closeServer(server),
  };
}

function defaultErrorCode(status: number): string {
  if (status === 429) return 'Throttled';
  if (status === 503) return 'ServiceUnavailable';
  return status >= 500 ? 'InternalError' : 'InvalidParameter';
}

function asTree(value: QueryValue): QueryTree {
  return typeof value === 'object' ? value : {};
}

/** Bytes SNS counts toward the 256 KiB limit: the message plus each attribute's name, type and value. */
function payloadBytes(params: QueryTree): number {
  let bytes = Buffer.byteLength(stringParam(params, 'Message') ?? '');
  for (const [name, value] of mapParam(params, 'MessageAttributes', 'Name', 'Value')) {
    const attribute = asTree(value ?? {});
    bytes += Buffer.byteLength(name) + Buffer.byteLength(stringParam(attribute, 'DataType') ?? '');
    bytes += Buffer.byteLength(stringParam(attribute, 'StringValue') ?? '');
    bytes += Buffer.from(stringParam(attribute, 'BinaryValue') ?? '', 'base64').length;
  }
  return bytes;
}

/** Validates one message (Publish, or one PublishBatch entry) as SNS does, and builds its record. */
function readMessage(params: QueryTree, topicArn: string): PublishedMessage {
  const message = stringParam(params, 'Message');
  if (message === undefined || message === '') {
    throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
  }
  if (payloadBytes(params) > MAX_PAYLOAD_BYTES) {
    throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
  }
  const subject = stringParam(params, 'Subject');
  if (subject !== undefined && !/^[\x21-\x7E][\x20-\x7E]{0,99}$/.test(subject)) {
    throw new SnsError(
      400,
      'InvalidParameter',
      'Invalid parameter: Subject (ASCII, starting with a letter, digit or punctuation, no line breaks, at most 100 characters)',
    );
  }
  const messageStructure = stringParam(params, 'MessageStructure');
  if (messageStructure !== undefined) {
    if (messageStructure !== 'json') {
      throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: MessageStructure');
    }
    if (!hasDefaultEntry(message)) {
      throw new SnsError(
        400,
        'InvalidParameter',
        'Invalid parameter: Message Structure - No default entry in JSON message body',
      );
    }
  }
  const record: PublishedMessage = {
    topicArn,
    messageId: randomUUID(),
    message,
    messageAttributes: readMessageAttributes(params),
  };
  if (subject !== undefined) record.subject = subject;
  if (messageStructure !== undefined) record.messageStructure = messageStructure;
  const groupId = stringParam(params, 'MessageGroupId');
  if (groupId !== undefined) record.messageGroupId = groupId;
  const deduplicationId = stringParam(params, 'MessageDeduplicationId');
  if (deduplicationId !== undefined) record.messageDeduplicationId = deduplicationId;
  return record;
}

function hasDefaultEntry(message: string): boolean {
  try {
    const parsed: unknown = JSON.parse(message);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as Record<string, unknown>).default === 'string'
    );
  } catch {
    return false;
  }
}

function readMessageAttributes(params: QueryTree): PublishedMessage['messageAttributes'] {
  const entries = mapParam(params, 'MessageAttributes', 'Name', 'Value');
  if (entries.length > MAX_MESSAGE_ATTRIBUTES) {
    throw new SnsError(
      400,
      'InvalidParameter',
      `Invalid parameter: Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  const attributes: PublishedMessage['messageAttributes'] = {};
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw new SnsError(400, 'InvalidParameter', `Invalid parameter: MessageAttributes name "${name}"`);
    }
    if (/^(aws\.|amazon\.)/i.test(name)) {
      throw new SnsError(
        400,
        'InvalidParameter',
        `Invalid parameter: MessageAttributes name "${name}" uses a reserved prefix`,
      );
    }
    const attribute = asTree(value ?? {});
    const dataType = stringParam(attribute, 'DataType') ?? '';
    const stringValue = stringParam(attribute, 'StringValue');
    const binaryValue = stringParam(attribute, 'BinaryValue');
    const invalid = (reason: string) =>
      new SnsError(400, 'ParameterValueInvalid', `The message attribute '${name}' ${reason}`);
    const base = dataType.split('.')[0];
    if (base === 'Binary') {
      if (!binaryValue) throw invalid('must contain a non-empty binary value (BinaryValue)');
      attributes[name] = { dataType, binaryValue };
      continue;
    }
    if (base !== 'String' && base !== 'Number') {
      throw invalid(
        `has an invalid message attribute type "${dataType}", the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    if (stringValue === undefined || stringValue === '') {
      throw invalid('must contain a non-empty message attribute value (StringValue)');
    }
    if (base === 'Number' && !NUMERIC.test(stringValue.trim())) {
      throw invalid(`has type Number but its value "${stringValue}" is not a number`);
    }
    if (dataType === 'String.Array' && !isJsonArray(stringValue)) {
      throw invalid('has type String.Array but its value is not a JSON array');
    }
    attributes[name] = { dataType, stringValue };
  }
  return attributes;
}

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

/** Reads the body; an oversized one is drained (so the error response can still be written) and refused. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BODY_BYTES) {
        reject(
          new SnsError(413, 'RequestEntityTooLarge', `Request body over ${MAX_REQUEST_BODY_BYTES} bytes`),
        );
      } else {
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    req.on('error', reject);
  });
}

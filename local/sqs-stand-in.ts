import { createServer } from 'node:http';
import { closeServer, LOOPBACK_HOST, listen, urlHost } from './free-port.js';
import { SqsError } from './sqs/errors.js';
import { type RecordedSqsRequest, sqsRequestHandler } from './sqs/http.js';
import { sqsOperations } from './sqs/operations.js';
import { type MessageState, SqsQueues } from './sqs/queues.js';

export type { RecordedSqsRequest } from './sqs/http.js';

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
  state: MessageState;
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

/** Starts an SQS stand-in on 127.0.0.1 speaking the AWS JSON 1.0 protocol of the SDK v3 SQS client. */
export async function startSqsStandIn(opts: SqsStandInOptions = {}): Promise<SqsStandIn> {
  const region = opts.region ?? process.env.AWS_REGION ?? 'eu-central-1';
  const accountId = opts.accountId ?? '000000000000';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, got "${accountId}"`);
  const queues = new SqsQueues(region, accountId, opts.now ?? Date.now);
  const requests: RecordedSqsRequest[] = [];
  const handle = sqsRequestHandler(sqsOperations(queues, opts.maxWaitMs ?? 250), requests);
  const server = createServer((request, response) => void handle(request, response));
  const port = await listen(server, opts.port ?? 0, LOOPBACK_HOST);
  queues.endpoint = `http://${urlHost(LOOPBACK_HOST)}:${port}`;
  return {
    endpoint: queues.endpoint,
    port,
    region,
    accountId,
    requests,
    createQueue(name, attributes = {}) {
      try {
        return queues.create(name, attributes).url;
      } catch (error) {
        throw error instanceof SqsError ? new Error(`${error.type}: ${error.message}`) : error;
      }
    },
    messages(queueUrl) {
      const queue = queues.require(queueUrl);
      queues.expire(queue);
      return queue.messages.map((message) => ({
        messageId: message.messageId,
        body: message.body,
        receiveCount: message.receiveCount,
        state: queues.stateOf(message),
      }));
    },
    stop: () => closeServer(server),
  };
}

import { createServer } from 'node:http';
import { closeServer, LOOPBACK_HOST, listen, urlHost } from './free-port.js';
import { snsActions } from './sns/actions.js';
import { type InjectedFailure, SnsFaults } from './sns/faults.js';
import { type RecordedRequest, snsRequestHandler } from './sns/http.js';
import type { PublishedMessage } from './sns/messages.js';
import { type DeliveryError, SnsTopics } from './sns/topics.js';
import { SnsError } from './sns-query-protocol.js';

export type { InjectedFailure } from './sns/faults.js';
export type { RecordedRequest } from './sns/http.js';
export type { PublishedMessage } from './sns/messages.js';
export type { DeliveryError } from './sns/topics.js';

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

/** Starts an SNS stand-in on 127.0.0.1 speaking the AWS Query protocol the SDK v3 SNS client uses. */
export async function startSnsStandIn(opts: SnsStandInOptions = {}): Promise<SnsStandIn> {
  const region = opts.region ?? process.env.AWS_REGION ?? 'eu-central-1';
  const accountId = opts.accountId ?? '000000000000';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, got "${accountId}"`);
  const topics = new SnsTopics(region, accountId);
  const faults = new SnsFaults();
  const requests: RecordedRequest[] = [];
  const handle = snsRequestHandler(snsActions(topics, faults), faults, requests);
  const server = createServer((req, res) => void handle(req, res));
  const port = await listen(server, opts.port ?? 0, LOOPBACK_HOST);
  const { published, deliveryErrors } = topics;
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
        return topics.create(name);
      } catch (error) {
        throw error instanceof SnsError ? new Error(`${error.message}: "${name}"`) : error;
      }
    },
    messagesFor: (topicArn) => published.filter((message) => message.topicArn === topicArn),
    failWhen: (predicate, failure) => faults.failWhen(predicate, failure),
    clearFailures: () => faults.clearFailures(),
    failWhile: (failing, status, code) => faults.failWhile(failing, status, code),
    failRequests: (n, status, code) => faults.failRequests(n, status, code),
    subscribe: (topicArn, listener, filterPolicy) => topics.subscribe(topicArn, listener, filterPolicy),
    deliveriesSettled: () => topics.deliveriesSettled(),
    reset() {
      published.length = 0;
      requests.length = 0;
      deliveryErrors.length = 0;
      faults.reset();
    },
    stop: () => closeServer(server),
  };
}

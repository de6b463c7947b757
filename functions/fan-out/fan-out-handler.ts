import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { RECORD_PARKED_LOG_MESSAGE } from '../shared/contracts/parked-events-log.js';
import { failInvocation } from '../shared/error-policy.js';
import { captureLambdaHandler } from '../shared/tracing/middleware.js';
import type { Tracer } from '../shared/tracing/tracer.js';
import type { BackoffPolicy, RetryClock } from './backoff.js';
import { fanOut, type RecordFailure } from './fan-out.js';
import { publishFanOutMetrics } from './fan-out-metrics.js';
import { publishHeldEvents } from './held-events.js';
import type { Publisher } from './publisher.js';
import type { SetAside } from './set-aside.js';

export interface FanOutHandlerDeps {
  readonly publisher: Publisher;
  readonly topicArns: ReadonlyMap<CampaignEventType, string>;
  /** Sends a record to the parked-events or the held-events queue. */
  readonly setAside: SetAside;
  /** Hold a record that still fails transiently once it is older than this (HOLD_AFTER_SECONDS). */
  readonly holdAfterMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  readonly backoff?: BackoffPolicy;
  readonly clock?: RetryClock;
}

/** Time kept back from the invocation's remaining time: setting records aside, metrics and logs after the retries. */
export const BUDGET_MARGIN_MS = 10_000;

export type FanOutEvent = DynamoDBStreamEvent | SQSEvent;
/** Both sources answer with `{ batchItemFailures: [{ itemIdentifier }] }`. */
export type FanOutResponse = SQSBatchResponse;

/**
 * The fan-out: the events table's stream (DynamoDB records) and the held-events queue (SQS records) into
 * one SNS topic per event type. An error reaching the edge fails the invocation: Lambda retries the batch.
 */
export function createFanOutHandler(deps: FanOutHandlerDeps) {
  const { logger, metrics, tracer } = deps;
  return middy<FanOutEvent, FanOutResponse>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { logEvent: false }))
    .use(logMetrics(metrics))
    .use(failInvocation(logger, 'Fan-out invocation failed; Lambda retries the batch'))
    .handler(async (event, context) => {
      const retryUntil = Date.now() + retryBudgetMs(context);
      tracer.putAnnotation('batchSize', event.Records.length);
      const fromQueue = event.Records[0]?.eventSource === 'aws:sqs';
      tracer.putAnnotation('source', fromQueue ? 'held-events' : 'stream');
      return fromQueue
        ? handleHeld(event as SQSEvent, retryUntil, deps)
        : handleStream((event as DynamoDBStreamEvent).Records, retryUntil, deps);
    });
}

/** The remaining time minus the margin; at least half the remaining time when it is short. */
export function retryBudgetMs(context: Pick<Context, 'getRemainingTimeInMillis'>): number {
  const remaining = context.getRemainingTimeInMillis();
  return Math.max(remaining / 2, remaining - BUDGET_MARGIN_MS);
}

async function handleStream(records: DynamoDBRecord[], retryUntil: number, deps: FanOutHandlerDeps) {
  const result = await fanOut(records, { ...deps, retryUntil });
  deps.tracer.putAnnotation(
    'eventTypes',
    [...result.publishedByType.keys(), ...result.failedByType.keys()].join(','),
  );
  publishFanOutMetrics(deps.metrics, {
    publishedByType: result.publishedByType,
    failedByType: result.failedByType,
    notPublished: result.failures.length + result.parked.length + result.held.length,
    parked: result.parked.length,
    held: result.held.length,
    republished: result.republished,
  });
  deps.logger.info('Stream batch fanned out', {
    records: records.length,
    published: Object.fromEntries(result.publishedByType),
    reported: result.failures.length,
    parked: result.parked.length,
    held: result.held.length,
    republished: result.republished,
    ignored: result.ignored,
    publishRequests: result.publishRequests,
    retries: result.retries,
  });
  logRecords(deps.logger, result);
  return { batchItemFailures: result.batchItemFailures };
}

async function handleHeld(event: SQSEvent, retryUntil: number, deps: FanOutHandlerDeps) {
  const result = await publishHeldEvents(event.Records, { ...deps, retryUntil });
  deps.tracer.putAnnotation('eventTypes', [...result.publishedByType.keys()].join(','));
  publishFanOutMetrics(deps.metrics, {
    publishedByType: result.publishedByType,
    notPublished: result.failures.length + result.parked.length,
    parked: result.parked.length,
    held: 0,
    republished: 0,
  });
  deps.logger.info('Held events published', {
    records: event.Records.length,
    published: Object.fromEntries(result.publishedByType),
    stillHeld: result.failures.length,
    parked: result.parked.length,
    publishRequests: result.publishRequests,
  });
  logRecords(deps.logger, { failures: result.failures, parked: result.parked, held: [] });
  return { batchItemFailures: result.batchItemFailures };
}

/** One line per record not published: what happened to it, by its key (never its content). */
function logRecords(
  logger: Logger,
  result: {
    failures: readonly RecordFailure[];
    parked: readonly RecordFailure[];
    held: readonly RecordFailure[];
  },
): void {
  const lines = [
    [RECORD_PARKED_LOG_MESSAGE, result.parked],
    [
      'Record held: SNS still failing near the stream retention; published from the held-events queue',
      result.held,
    ],
    ['Record not published yet; the shard waits and Lambda retries from it', result.failures],
  ] as const;
  for (const [message, failures] of lines) {
    for (const failure of failures) logger.warn(message, { ...failure });
  }
}

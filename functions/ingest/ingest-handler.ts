import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type EventStore, EventStoreError } from '../shared/event-store.js';
import { createEventValidator } from '../shared/events/schema.js';
import { authenticate } from './authenticate.js';
import type { IngestConfig } from './config.js';
import type { EndpointKeyVerifier } from './endpoint-keys.js';
import { headerValue, jsonResponse } from './http.js';
import { type IngestSummary, ingestBatch } from './ingest-batch.js';
import { publishIngestMetrics, publishRejection } from './ingest-metrics.js';
import { checkContentType, parseBatch, type Rejection, readBody } from './request-body.js';

export interface IngestDependencies {
  readonly config: IngestConfig;
  readonly keyVerifier: EndpointKeyVerifier;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/** Quarantined events listed in a response; the counts always cover all of them. */
export const MAX_LISTED_QUARANTINED_EVENTS = 100;
/** Quarantined events listed in the warning log line (CloudWatch caps a log event at 256 KB). */
export const MAX_LOGGED_QUARANTINED_EVENTS = 10;

/**
 * Time kept back from the function's timeout when storing: the store gives up this long before Lambda
 * would kill the function, leaving time to log and answer 503 (a killed function gives the sender a
 * generic 5xx and counts as a function error).
 */
export const STORE_DEADLINE_MARGIN_MS = 2_500;

/**
 * The ingest Lambda: authenticate (key header only) -> content type -> body size -> JSON -> batch shape
 * -> validate and store every event -> 200 with the counts. A storage failure, or storage still
 * unfinished {@link STORE_DEADLINE_MARGIN_MS} before the function's timeout, is a 503 with no counts, so
 * the sender retries the whole batch (storage is idempotent).
 */
export function createIngestHandler(deps: IngestDependencies) {
  const { config, logger, metrics } = deps;
  const clock = deps.clock ?? (() => new Date());
  const validate = createEventValidator({ eventTypes: config.eventTypes });

  const refuse = (rejection: Rejection): APIGatewayProxyResult => {
    publishRejection(metrics, rejection.reason);
    logger.info('Request refused', { reason: rejection.reason, statusCode: rejection.statusCode });
    return jsonResponse(rejection.statusCode, { message: rejection.message });
  };

  const handleAuthenticated = async (
    event: APIGatewayProxyEvent,
    context: Context,
  ): Promise<APIGatewayProxyResult> => {
    const contentTypeRejection = checkContentType(headerValue(event, 'content-type'));
    if (contentTypeRejection !== undefined) return refuse(contentTypeRejection);
    const body = readBody(event, config.maxBodyBytes);
    if (!body.ok) return refuse(body.rejection);
    const batch = parseBatch(body.value, config.maxEventsPerBatch);
    if (!batch.ok) return refuse(batch.rejection);

    let summary: IngestSummary;
    const receivedAt = clock();
    try {
      summary = await ingestBatch(batch.value, {
        validate,
        store: deps.store,
        retentionDays: config.retentionDays,
        receivedAt,
        deadline: receivedAt.getTime() + context.getRemainingTimeInMillis() - STORE_DEADLINE_MARGIN_MS,
      });
    } catch (error) {
      if (!(error instanceof EventStoreError)) throw error;
      logger.error('Batch not stored; answering 503 so the sender retries it', {
        events: batch.value.length,
        unconfirmedItems: error.unconfirmedKeys.length,
        error,
      });
      return jsonResponse(503, { message: 'Events could not be stored; retry the whole batch' });
    }

    publishIngestMetrics(metrics, summary);
    logger.info('Batch stored', {
      received: summary.received,
      accepted: summary.accepted,
      quarantined: summary.quarantined,
      duplicates: summary.duplicates,
      itemsWritten: summary.storage.itemsWritten,
      writeRequests: summary.storage.requests,
      eventTypes: Object.fromEntries([...summary.byType].map(([type, tally]) => [type, tally.received])),
    });
    if (summary.quarantined > 0) {
      logger.warn('Events quarantined', {
        quarantinedCount: summary.quarantined,
        quarantined: summary.quarantinedEvents.slice(0, MAX_LOGGED_QUARANTINED_EVENTS).map((report) => ({
          index: report.index,
          eventKey: report.eventKey,
          issues: report.issues,
        })),
      });
    }
    return jsonResponse(200, responseBody(summary));
  };

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { logEvent: false }))
    .use(internalErrorResponse(logger))
    .use(
      authenticate({
        headerName: config.authHeaderName,
        verifier: deps.keyVerifier,
        onRejected: (cause) => {
          publishRejection(metrics, 'unauthorized');
          logger.info('Request refused', { reason: 'unauthorized', cause, statusCode: 401 });
        },
      }),
    )
    .handler(handleAuthenticated);
}

/** The 200 body: counts that add up to the batch size, and where and why events were quarantined. */
export function responseBody(summary: IngestSummary) {
  const listed = summary.quarantinedEvents.slice(0, MAX_LISTED_QUARANTINED_EVENTS);
  return {
    received: summary.received,
    accepted: summary.accepted,
    quarantined: summary.quarantined,
    duplicates: summary.duplicates,
    quarantinedEvents: listed,
    ...(listed.length < summary.quarantinedEvents.length && {
      quarantinedEventsNotListed: summary.quarantinedEvents.length - listed.length,
    }),
  };
}

/** Any unexpected error becomes a 500 with no detail (the log has it), so the sender retries. */
function internalErrorResponse(logger: Logger): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    name: 'internalErrorResponse',
    onError: (request) => {
      logger.error('Request failed', { error: request.error });
      request.response = jsonResponse(500, { message: 'Internal error; retry later' });
    },
  };
}

import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { captureLambdaHandler } from '../shared/tracing/middleware.js';
import type { Tracer } from '../shared/tracing/tracer.js';
import { type AuthenticateOptions, authenticate } from './authenticate.js';
import type { EndpointKeyVerifier } from './endpoint-keys.js';
import { createEventReader } from './event-reader.js';
import { describe, type EventStore, EventStoreError } from './event-store.js';
import { answerInternalError, headerValue, jsonResponse } from './http.js';
import { type IngestSummary, ingestBatch } from './ingest-batch.js';
import { publishContentType, publishIngestMetrics, publishRejection } from './ingest-metrics.js';
import { contentTypeLabel, parseBatch, type Rejection, readBody } from './request-body.js';

/** What the ingest needs from its configuration. */
export interface IngestSettings {
  readonly authHeaderName: string;
  readonly maxBodyBytes: number;
  readonly maxEventsPerBatch: number;
  readonly retentionDays: number;
  readonly eventTypes: readonly CampaignEventType[];
  readonly requiredFields: Readonly<Partial<Record<CampaignEventType, readonly string[]>>>;
  readonly verifyMailingId?: number;
  readonly publishVerificationEvents: boolean;
  /** The bucket that keeps events too large for an item. */
  readonly largeEventBucket: string;
}

export interface IngestDependencies {
  readonly config: IngestSettings;
  readonly keyVerifier: EndpointKeyVerifier;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/** Quarantined events listed in a response; the counts always cover all of them. */
export const MAX_LISTED_QUARANTINED_EVENTS = 100;
/** Quarantined events listed in the warning log line (CloudWatch caps a log event at 256 KB). */
export const MAX_LOGGED_QUARANTINED_EVENTS = 10;
/** Issues listed per quarantined event in that log line. */
export const MAX_LOGGED_ISSUES = 5;

/**
 * Time kept back from the function's timeout when storing: the store gives up this long before Lambda
 * would kill the function, leaving time to log and answer 503.
 */
export const STORE_DEADLINE_MARGIN_MS = 2_500;

/**
 * The ingest Lambda: authenticate (key header only) -> body size, encoding, UTF-8 -> JSON -> batch
 * shape -> read and store every event -> 200 with the counts. Storage that fails, or is unfinished
 * {@link STORE_DEADLINE_MARGIN_MS} before the function's timeout, is a 503 with no counts, so the sender
 * retries the whole batch (storage is idempotent); so is an endpoint key that cannot be read. Anything
 * unexpected is a 500 without detail (answerInternalError).
 */
export function createIngestHandler(deps: IngestDependencies) {
  const { logger, metrics, tracer } = deps;
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { logEvent: false }))
    .use(logMetrics(metrics))
    .use(answerInternalError(logger))
    .handler(requestHandler(deps));
}

function requestHandler(deps: IngestDependencies) {
  const { config, logger, metrics } = deps;
  const handleAuthenticated = authenticatedRequestHandler(deps);
  const authentication: AuthenticateOptions = {
    headerName: config.authHeaderName,
    verifier: deps.keyVerifier,
    onRejected: (cause) => {
      publishRejection(metrics, 'unauthorized');
      logger.info('Request refused', { reason: 'unauthorized', cause, statusCode: 401 });
    },
    onKeysUnavailable: (error) => {
      logger.error('Endpoint key unavailable; answering 503', { error: describe(error) });
    },
  };
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> =>
    (await authenticate(event, authentication)) ?? handleAuthenticated(event, context);
}

function authenticatedRequestHandler(deps: IngestDependencies) {
  const { config, logger, metrics, tracer } = deps;
  const clock = deps.clock ?? (() => new Date());
  const read = createEventReader(config);
  const refuse = (rejection: Rejection): APIGatewayProxyResult => {
    publishRejection(metrics, rejection.reason);
    logger.info('Request refused', { reason: rejection.reason, statusCode: rejection.statusCode });
    return jsonResponse(rejection.statusCode, { message: rejection.message });
  };
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    publishContentType(metrics, contentTypeLabel(headerValue(event, 'content-type')));
    const body = readBody(
      { ...event, contentEncoding: headerValue(event, 'content-encoding') },
      config.maxBodyBytes,
    );
    if (!body.ok) return refuse(body.rejection);
    const batch = parseBatch(body.value, config.maxEventsPerBatch);
    if (!batch.ok) return refuse(batch.rejection);
    tracer.putAnnotation('batchSize', batch.value.length);

    const receivedAt = clock();
    let summary: IngestSummary;
    try {
      ({ summary } = await ingestBatch(batch.value, {
        read,
        store: deps.store,
        retentionDays: config.retentionDays,
        receivedAt,
        bucket: config.largeEventBucket,
        publishVerificationEvents: config.publishVerificationEvents,
        deadline: receivedAt.getTime() + context.getRemainingTimeInMillis() - STORE_DEADLINE_MARGIN_MS,
        onClassified: (classified) => annotateBatch(tracer, classified),
      }));
    } catch (error) {
      if (!(error instanceof EventStoreError)) throw error;
      logger.error('Batch not stored; answering 503 so the sender retries it', {
        events: batch.value.length,
        unconfirmedItems: error.unconfirmedItems,
        error: describe(error),
      });
      return jsonResponse(503, { message: 'Events could not be stored; retry the whole batch' });
    }
    publishIngestMetrics(metrics, summary);
    logStored(logger, summary);
    return jsonResponse(200, responseBody(summary));
  };
}

/** Values listed in one trace annotation at most (X-Ray keeps annotations short). */
const MAX_ANNOTATED_VALUES = 20;

/** What a person debugging a delivery searches traces by: the Campaign client and the batch's event types. */
function annotateBatch(tracer: Tracer, summary: IngestSummary): void {
  const listed = (values: Iterable<string>) => [...values].sort().slice(0, MAX_ANNOTATED_VALUES).join(',');
  tracer.putAnnotation('clientId', listed(summary.clientIds));
  tracer.putAnnotation('eventTypes', listed(summary.byType.keys()));
}

/** The log lines of a stored batch; each is bounded whatever the batch holds. */
function logStored(logger: Logger, summary: IngestSummary): void {
  logger.info('Batch stored', {
    received: summary.received,
    accepted: summary.accepted,
    quarantined: summary.quarantined,
    verification: summary.verification,
    duplicates: summary.duplicates,
    keptInS3: summary.keptInS3,
    eventTypes: Object.fromEntries([...summary.byType].map(([type, tally]) => [type, tally.received])),
  });
  if (summary.quarantined === 0) return;
  logger.warn('Events quarantined', {
    quarantinedCount: summary.quarantined,
    quarantined: summary.quarantinedEvents.slice(0, MAX_LOGGED_QUARANTINED_EVENTS).map((report) => ({
      index: report.index,
      eventKey: report.eventKey,
      issues: report.issues.slice(0, MAX_LOGGED_ISSUES),
    })),
  });
}

/** The 200 body: counts that add up to the batch size, and where and why events were quarantined. */
export function responseBody(summary: IngestSummary) {
  const listed = summary.quarantinedEvents.slice(0, MAX_LISTED_QUARANTINED_EVENTS);
  return {
    received: summary.received,
    accepted: summary.accepted,
    quarantined: summary.quarantined,
    duplicates: summary.duplicates,
    ...(summary.verification > 0 && { verification: summary.verification }),
    quarantinedEvents: listed,
    ...(listed.length < summary.quarantinedEvents.length && {
      quarantinedEventsNotListed: summary.quarantinedEvents.length - listed.length,
    }),
  };
}

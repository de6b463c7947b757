import type { APIGatewayProxyEvent, Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EVENT_STATUS, EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import { CAMPAIGN_SENDER_CIDR } from '../../infra/config.js';
import { type ApiGatewayAdapter, startApiGatewayAdapter } from '../api-gateway-adapter.js';
import { type StreamDriver, startStreamDriver } from '../stream-driver.js';
import type { IngestAnswer } from './activity.js';
import type { RunCounters } from './counters.js';
import type { LocalHandlers } from './handlers.js';
import { compileFilterCriteria } from './lambda-event-filter.js';
import { onPort } from './ports.js';
import type { ServiceMetrics } from './service-metrics.js';
import type { StackModel } from './stack-model.js';

/**
 * The data path: the ingest endpoint (API Gateway REST in front of the ingest handler) and the fan-out
 * (the table's stream, read with the stack's event source mapping, into the fan-out handler).
 */

/** The address API Gateway reports for Campaign's documented sender. */
export const CAMPAIGN_SENDER_IP = CAMPAIGN_SENDER_CIDR.replace(/\/32$/, '');

export interface IngestEndpointOptions {
  readonly model: StackModel;
  readonly handler: LocalHandlers['ingest'];
  readonly functionName: string;
  readonly port?: number;
  readonly metrics: ServiceMetrics;
  readonly counters: RunCounters;
  /** Every answered request, with the caller's User-Agent. */
  readonly onAnswer: (userAgent: string, answer: IngestAnswer) => void;
}

export async function startIngestEndpoint(opts: IngestEndpointOptions): Promise<ApiGatewayAdapter> {
  const { counters, metrics } = opts;
  const instrumented = metrics.instrument('ingest', opts.handler);
  const handler = async (event: APIGatewayProxyEvent, context: Context) => {
    counters.requests++;
    let result: Awaited<ReturnType<typeof instrumented>>;
    try {
      result = await instrumented(event, context);
    } catch (error) {
      counters.requestsRejected++;
      metrics.apiRequest(undefined);
      throw error;
    }
    metrics.apiRequest(result.statusCode);
    const answer = ingestAnswer(result.statusCode, result.body);
    if (result.statusCode === 200) {
      counters.eventsReceived += answer.received ?? 0;
      counters.eventsAccepted += answer.accepted ?? 0;
      counters.eventsQuarantined += answer.quarantined ?? 0;
    } else {
      counters.requestsRejected++;
    }
    opts.onAnswer(event.requestContext.identity.userAgent ?? '', answer);
    return result;
  };
  return onPort(opts.port, 'port', 'the ingest endpoint', (port) =>
    startApiGatewayAdapter({
      port,
      path: opts.model.ingestPath,
      stage: opts.model.stageName,
      stageInUrl: true,
      sourceIp: CAMPAIGN_SENDER_IP,
      handler,
      timeoutMs: (opts.model.functions.get('ingest')?.timeoutSeconds ?? 28) * 1000,
      functionName: opts.functionName,
    }),
  );
}

export interface FanOutOptions {
  readonly model: StackModel;
  readonly handler: LocalHandlers['fanOut'];
  readonly functionName: string;
  readonly dynamoEndpoint: string;
  readonly streamArn: string;
  readonly region: string;
  /** Read a kept table's stream from its end: what is there was published by an earlier run. */
  readonly fromLatest: boolean;
  readonly metrics: ServiceMetrics;
  readonly counters: RunCounters;
}

/** The stream driver with the fan-out's event source mapping as the stack declares it. */
export function startFanOut(opts: FanOutOptions): StreamDriver {
  const { counters, metrics } = opts;
  const mapping = opts.model.fanOutMapping;
  const passesFilter = compileFilterCriteria(mapping.filterPatterns);
  const filter = (record: DynamoDBRecord) => {
    const status = record.dynamodb?.NewImage?.[EVENT_TABLE_ATTRIBUTES.status]?.S;
    if (record.eventName === 'INSERT' && status === EVENT_STATUS.accepted) counters.storedAccepted++;
    if (record.eventName === 'INSERT' && status === EVENT_STATUS.quarantined) counters.storedQuarantined++;
    if (record.eventName === 'MODIFY') counters.redeliveredRecords++;
    return passesFilter(record);
  };
  const instrumented = metrics.instrument('fanOut', opts.handler);
  const handler = (event: DynamoDBStreamEvent, context: Context) => {
    counters.fanOutInvocations++;
    const created = event.Records.map((record) => record.dynamodb?.ApproximateCreationDateTime ?? Infinity);
    const oldest = Math.min(...created);
    if (Number.isFinite(oldest)) metrics.iteratorAge('fanOut', Date.now() - oldest * 1000);
    return instrumented(event, context);
  };
  return startStreamDriver({
    dynamoEndpoint: opts.dynamoEndpoint,
    streamArn: opts.streamArn,
    handler,
    filter,
    batchSize: mapping.batchSize,
    maxRetries: mapping.maximumRetryAttempts,
    bisectOnError: mapping.bisectBatchOnError,
    reportBatchItemFailures: mapping.reportBatchItemFailures,
    startingPosition: opts.fromLatest ? 'LATEST' : mapping.startingPosition,
    timeoutMs: (opts.model.functions.get('fanOut')?.timeoutSeconds ?? 60) * 1000,
    functionName: opts.functionName,
    region: opts.region,
  });
}

/** The ingest's 200 answer (counts), or the status (and message) of any other answer. */
export function ingestAnswer(status: number, body: string | undefined): IngestAnswer {
  const parsed = parseJson(body ?? '');
  if (typeof parsed !== 'object' || parsed === null) return { status };
  return { status, ...(parsed as Omit<IngestAnswer, 'status'>) };
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EVENT_STATUS, EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import { CAMPAIGN_SENDER_CIDR } from '../../infra/config.js';
import { type ApiGatewayAdapter, startApiGatewayAdapter } from '../api-gateway-adapter.js';
import { type StreamDriver, startStreamDriver } from '../stream-driver.js';
import type { PipelineCounters } from './counters.js';
import type { LocalHandlers } from './handlers.js';
import { compileFilterCriteria } from './lambda-event-filter.js';
import { onPort } from './ports.js';
import type { ProvisionedResources } from './provision.js';
import { type QueueEventSource, startQueueEventSource } from './queue-event-source.js';
import type { ServiceMetrics } from './service-metrics.js';
import type { EventSourceMappingModel, StackModel } from './stack-model.js';
import { laggingStreamsClient, type StreamLag } from './stream-lag.js';

/**
 * The data path: the ingest endpoint (API Gateway REST in front of the ingest handler) and the fan-out
 * (the table's stream, read with the stack's event source mapping, into the fan-out handler; a batch
 * given up on goes to the mapping's on-failure queue, as Lambda sends it).
 */

/** The address API Gateway reports for Campaign's documented sender. */
export const CAMPAIGN_SENDER_IP = CAMPAIGN_SENDER_CIDR.replace(/\/32$/, '');

/** The ingest's answer to one request: the status and, for a 200, its counts. */
export interface IngestAnswer {
  readonly status: number;
  readonly received?: number;
  readonly accepted?: number;
  readonly quarantined?: number;
  readonly duplicates?: number;
  readonly quarantinedEvents?: ReadonlyArray<{ index: number; eventKey: string; issues: readonly string[] }>;
  readonly message?: string;
}

export interface IngestEndpointOptions {
  readonly model: StackModel;
  readonly handler: LocalHandlers['ingest'];
  readonly functionName: string;
  readonly port?: number;
  readonly metrics: ServiceMetrics;
  readonly counters: PipelineCounters;
  /** Every answered request, with the caller's User-Agent. */
  readonly onAnswer?: (userAgent: string, answer: IngestAnswer) => void;
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
    countAnswer(counters, answer);
    opts.onAnswer?.(event.requestContext.identity.userAgent ?? '', answer);
    return result;
  };
  return onPort(opts.port, 'port', 'the ingest endpoint', (port) =>
    startApiGatewayAdapter({
      port,
      path: opts.model.ingestPath,
      stage: opts.model.stageName,
      stageInUrl: true,
      sourceIp: CAMPAIGN_SENDER_IP,
      binaryMediaTypes: [...opts.model.binaryMediaTypes],
      handler,
      timeoutMs: (opts.model.functions.get('ingest')?.timeoutSeconds ?? 28) * 1000,
      functionName: opts.functionName,
    }),
  );
}

function countAnswer(counters: PipelineCounters, answer: IngestAnswer): void {
  if (answer.status >= 200 && answer.status < 300) {
    counters.eventsReceived += answer.received ?? 0;
    counters.eventsAccepted += answer.accepted ?? 0;
    counters.eventsQuarantined += answer.quarantined ?? 0;
  } else {
    counters.requestsRejected++;
  }
}

export interface FanOutOptions {
  readonly model: StackModel;
  readonly provisioned: ProvisionedResources;
  readonly handler: LocalHandlers['fanOut'];
  /** The gate the harness reaches DynamoDB Local through. */
  readonly dynamoEndpoint: string;
  /** Where the on-failure records go (the SQS stand-in). */
  readonly sqsEndpoint: string;
  /** Read a kept table's stream from its end: what is there was published by an earlier run. */
  readonly fromLatest: boolean;
  readonly metrics: ServiceMetrics;
  readonly counters: PipelineCounters;
  /** Sees every batch before the handler (tests keep them). */
  readonly onBatch?: (records: DynamoDBRecord[]) => void;
  /** How far behind the stream the fan-out appears (a fault). */
  readonly streamLag?: StreamLag;
}

/** The stream driver with the fan-out's event source mapping as the stack declares it. */
export function startFanOut(opts: FanOutOptions): StreamDriver {
  const { counters, metrics, model, provisioned } = opts;
  const mapping = model.fanOutMapping;
  const passesFilter = compileFilterCriteria(mapping.filterPatterns);
  const filter = (record: DynamoDBRecord) => {
    countStored(counters, record);
    return passesFilter(record);
  };
  const instrumented = metrics.instrument('fanOut', opts.handler);
  const handler = (event: DynamoDBStreamEvent, context: Context) => {
    counters.fanOutInvocations++;
    opts.onBatch?.(event.Records);
    const created = event.Records.map((record) => record.dynamodb?.ApproximateCreationDateTime ?? Infinity);
    const oldest = Math.min(...created);
    if (Number.isFinite(oldest)) metrics.iteratorAge('fanOut', Date.now() - oldest * 1000);
    return instrumented(event, context);
  };
  const sendOnFailure = onFailureSender(mapping, provisioned, opts.sqsEndpoint);
  const driver = startStreamDriver({
    dynamoEndpoint: opts.dynamoEndpoint,
    streamArn: provisioned.streamArn,
    handler,
    filter,
    batchSize: mapping.batchSize,
    maxRetries: mapping.maximumRetryAttempts,
    maxRecordAgeMs: mapping.maximumRecordAgeSeconds < 0 ? -1 : mapping.maximumRecordAgeSeconds * 1000,
    bisectOnError: mapping.bisectBatchOnError,
    reportBatchItemFailures: mapping.reportBatchItemFailures,
    startingPosition: opts.fromLatest ? 'LATEST' : mapping.startingPosition,
    timeoutMs: (model.functions.get('fanOut')?.timeoutSeconds ?? 60) * 1000,
    functionName: provisioned.functionNames.get('fanOut') ?? 'fanOut',
    region: model.region,
    ...(opts.streamLag
      ? { streamsClient: laggingStreamsClient(opts.dynamoEndpoint, model.region, opts.streamLag) }
      : {}),
    ...(sendOnFailure ? { onParked: (message) => sendOnFailure.send(message) } : {}),
  });
  if (sendOnFailure === undefined) return driver;
  return {
    ...driver,
    async waitUntilIdle(timeoutMs) {
      await driver.waitUntilIdle(timeoutMs);
      await sendOnFailure.settled();
    },
    async stop() {
      await driver.stop();
      await sendOnFailure.settled();
      sendOnFailure.client.destroy();
    },
  };
}

export interface QueueSourcesOptions {
  readonly model: StackModel;
  readonly provisioned: ProvisionedResources;
  readonly handler: LocalHandlers['fanOut'];
  readonly sqsEndpoint: string;
  /** The queue's messages as the SQS stand-in holds them (visible, in flight or delayed). */
  readonly messagesIn: (queueUrl: string) => readonly unknown[];
  readonly metrics: ServiceMetrics;
}

/** Every SQS event source mapping of the fan-out (the held-events queue), as the stack declares it. */
export function startFanOutQueueSources(opts: QueueSourcesOptions): QueueEventSource[] {
  const { model, provisioned } = opts;
  const instrumented = opts.metrics.instrument('fanOut', opts.handler);
  return model.eventSourceMappings
    .filter((mapping) => mapping.functionKey === 'fanOut' && mapping.source.kind === 'queue')
    .map((mapping) => {
      const queue = provisioned.queues.get(mapping.source.logicalId);
      if (queue === undefined)
        throw new Error(`The mapping ${mapping.logicalId} reads a queue the stack lacks`);
      return startQueueEventSource({
        sqsEndpoint: opts.sqsEndpoint,
        region: model.region,
        queueUrl: queue.url,
        queueArn: `arn:aws:sqs:${model.region}:${model.accountId}:${queue.name}`,
        batchSize: mapping.batchSize,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        handler: (event, context) => instrumented(event as never, context) as never,
        timeoutMs: (model.functions.get('fanOut')?.timeoutSeconds ?? 60) * 1000,
        functionName: provisioned.functionNames.get('fanOut') ?? 'fanOut',
        isEmpty: () => opts.messagesIn(queue.url).length === 0,
      });
    });
}

/** Stream records as the table wrote them, before the mapping's filter. */
function countStored(counters: PipelineCounters, record: DynamoDBRecord): void {
  const status = record.dynamodb?.NewImage?.[EVENT_TABLE_ATTRIBUTES.status]?.S;
  if (record.eventName === 'INSERT' && status === EVENT_STATUS.accepted) counters.storedAccepted++;
  if (record.eventName === 'INSERT' && status === EVENT_STATUS.quarantined) counters.storedQuarantined++;
  if (record.eventName === 'MODIFY') counters.redeliveredRecords++;
}

/** Sends each on-failure record to the mapping's on-failure queue, in order, as Lambda does. */
function onFailureSender(
  mapping: EventSourceMappingModel,
  provisioned: ProvisionedResources,
  endpoint: string,
) {
  const queue =
    mapping.onFailureQueueLogicalId === undefined
      ? undefined
      : provisioned.queues.get(mapping.onFailureQueueLogicalId);
  if (queue === undefined) return undefined;
  const client = new SQSClient({ endpoint });
  let chain: Promise<unknown> = Promise.resolve();
  return {
    client,
    send(message: unknown) {
      const command = new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(message) });
      chain = chain.then(() => client.send(command)).catch(() => undefined);
    },
    settled: () => chain.then(() => undefined),
  };
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

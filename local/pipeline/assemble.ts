import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord } from 'aws-lambda';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { fromAttributeMap } from '../../functions/shared/events/attribute-values.js';
import type { Config } from '../../infra/config.js';
import type { ApiGatewayAdapter } from '../api-gateway-adapter.js';
import { createLambdaContext } from '../lambda-context.js';
import { type LogsStandIn, startLogsStandIn } from '../logs-stand-in.js';
import type { StreamDriver } from '../stream-driver.js';
import { sendForWireJson } from '../wire-json.js';
import { type RenderedEmail, wireAlertPath } from './alert-path.js';
import { type ArchiveFirehose, startLocalArchive } from './archive-firehose.js';
import { newCounters, type PipelineCounters } from './counters.js';
import {
  type IngestAnswer,
  parseJson,
  startFanOut,
  startFanOutQueueSources,
  startIngestEndpoint,
} from './data-path.js';
import { type PipelineFaults, pipelineFaults } from './faults.js';
import { EnvironmentScope, type HandlerLoader, type LocalHandlers, loadHandlers } from './handlers.js';
import { functionOutputStream, type LogRecord } from './log-sink.js';
import { MetricStore } from './metric-store.js';
import { type ProvisionedResources, provisionResources } from './provision.js';
import type { QueueEventSource } from './queue-event-source.js';
import { ServiceMetrics } from './service-metrics.js';
import { handlerEndpoints, LOCAL_CREDENTIALS, type LocalServices, startLocalServices } from './services.js';
import { type SlackReceiver, startSlackReceiver } from './slack-receiver.js';
import { buildStackModel, type LocalFunctionKey, type StackModel } from './stack-model.js';
import { newStreamLag, type StreamLag } from './stream-lag.js';
import { type TopicMessage, tapEventTopics } from './topic-taps.js';

/**
 * The one way the pipeline is stood up (`npm start`, the integration and end-to-end tests, a fault drill):
 * the stack is synthesized in memory from `config` (stack-model.ts), its resources are created on the local
 * services (provision.ts), the deployed handler modules are loaded with the environment the stack gives
 * them (handlers.ts), and wired as the stack wires them: API Gateway -> ingest, the table's stream through
 * the fan-out's event source mapping (filter, batch size, retries, bisection, on-failure queue), the
 * stack's SNS subscriptions (alarm formatter, Slack sender, email).
 *
 * What a caller may change is in {@link PipelineOptions}, all explicit: ports, a deferred fan-out, fresh
 * handler modules per pipeline, and faults (`pipeline.faults`) injected into the services, never into the
 * handlers or the stack's settings.
 */

export interface PipelineOptions {
  /** The deployment configuration (infra/config.ts's parseConfig): the stack is built from it. */
  readonly config: Config;
  /**
   * Services to provision on (started once, shared by several pipelines, each under its own stack
   * name). @default started for this pipeline and stopped with it
   */
  readonly services?: LocalServices;
  /** Keep DynamoDB Local's (and S3's) data in this directory; only when the pipeline starts its services. */
  readonly dataDir?: string;
  /** Ports of the local services; each absent one is a free loopback port. */
  readonly ports?: PipelinePorts;
  /** `deferred`: the stream is not read until startFanOut(). @default 'running' */
  readonly fanOut?: 'running' | 'deferred';
  /** Forget loaded modules before loading the handlers (tests: vitest's vi.resetModules). */
  readonly freshModules?: () => void;
  /** Load each function's handler another way (the shipped bundle); @default its source module */
  readonly loadHandler?: HandlerLoader;
  /** Environment variables for every handler on top of the stack's (POWERTOOLS_LOG_LEVEL, ...). */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Every log record the handlers write (Powertools Logger lines). */
  readonly onLog?: (record: LogRecord) => void;
  /** Every request the ingest answered. */
  readonly onIngestAnswer?: (userAgent: string, answer: IngestAnswer) => void;
  readonly onNote?: (message: string) => void;
  /** An asynchronous invocation (alert path) that failed every attempt. */
  readonly onLambdaFailure?: (key: LocalFunctionKey, error: unknown) => void;
  readonly onEmail?: (email: RenderedEmail) => void;
  readonly onFirstPublished?: (eventType: CampaignEventType) => void;
  /** The archive (archive.enabled): its folder and how often the Firehose stand-in writes. */
  readonly archive?: { readonly dir?: string; readonly flushIntervalMs?: number };
  /** @default AWS_REGION, else eu-central-1 */
  readonly region?: string;
}

export interface PipelinePorts {
  readonly endpoint?: number;
  readonly dynamodb?: number;
  readonly sns?: number;
  readonly secretsManager?: number;
  readonly sqs?: number;
  readonly s3?: number;
  readonly slack?: number;
}

export interface Pipeline {
  readonly config: Config;
  readonly model: StackModel;
  readonly services: LocalServices;
  readonly provisioned: ProvisionedResources;
  readonly handlers: LocalHandlers;
  /** The ingest endpoint (POST here, as Campaign does). */
  readonly url: string;
  readonly authHeaderName: string;
  /** The endpoint key Campaign sends (the endpoint key secret's `current`). */
  readonly endpointKey: string;
  readonly tableName: string;
  readonly topicArns: Readonly<Record<string, string>>;
  readonly slack: SlackReceiver;
  readonly emails: readonly RenderedEmail[];
  readonly counters: PipelineCounters;
  readonly metrics: MetricStore;
  readonly serviceMetrics: ServiceMetrics;
  /** CloudWatch Logs: each function's log lines in its log group (the alarm formatter reads the fan-out's). */
  readonly logs: LogsStandIn;
  /** What each event topic delivered to the pipeline's own subscriber, per type. */
  readonly published: ReadonlyMap<CampaignEventType, TopicMessage[]>;
  /** The archive delivery stream's stand-in (archive.enabled), writing Parquet to a local folder. */
  readonly archive: ArchiveFirehose | undefined;
  readonly faults: PipelineFaults;
  /** The fan-out's stream consumer; throws while a deferred fan-out has not been started. */
  readonly driver: StreamDriver;
  startFanOut(): StreamDriver;
  /** The records of each fan-out invocation, in order. */
  readonly fanOutBatches: readonly DynamoDBRecord[][];
  newContext(key: LocalFunctionKey): Context;
  /** POSTs a batch (serialized unless a string) with the endpoint key and a JSON content type. */
  post(body: unknown, options?: PostOptions): Promise<{ status: number; body: unknown }>;
  /** Every item in the events table, as plain JSON values. */
  items(): Promise<Array<Record<string, unknown>>>;
  /** Resolves when the stream is drained and every SNS delivery settled. */
  waitUntilIdle(timeoutMs?: number): Promise<void>;
  /** Stops the pipeline (and the services it started); clears the faults it injected. */
  stop(): Promise<void>;
}

export interface PostOptions {
  /** The key header; null sends none. @default the endpoint key */
  readonly key?: string | null;
  /** @default application/json */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const ACCOUNT_ID = '000000000000';

export async function assemblePipeline(options: PipelineOptions): Promise<Pipeline> {
  const region = options.region ?? (process.env.AWS_REGION || 'eu-central-1');
  const env = new EnvironmentScope();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    env.restore();
  };
  try {
    setFakeCredentials(env, region);
    const { model, services } = await modelAndServices(options, region, cleanups);
    for (const [name, value] of Object.entries(handlerEndpoints(services.endpoints))) env.set(name, value);
    const parts = await wire(options, model, services, env, cleanups);
    return pipelineOf(options, parts, cleanUp);
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** The SDK must never reach AWS from here: fake credentials, the local endpoints set next. */
function setFakeCredentials(env: EnvironmentScope, region: string): void {
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE']) env.set(name, undefined);
  env.set('AWS_ACCESS_KEY_ID', LOCAL_CREDENTIALS.accessKeyId);
  env.set('AWS_SECRET_ACCESS_KEY', LOCAL_CREDENTIALS.secretAccessKey);
  env.set('AWS_REGION', region);
  env.set('AWS_EC2_METADATA_DISABLED', 'true');
}

/** Builds the stack model while the services (DynamoDB Local's JVM above all) start. */
async function modelAndServices(
  options: PipelineOptions,
  region: string,
  cleanups: Array<() => Promise<void> | void>,
): Promise<{ model: StackModel; services: LocalServices }> {
  const starting =
    options.services === undefined
      ? startLocalServices({
          region,
          ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
          ...(options.ports === undefined ? {} : { ports: options.ports }),
          stopDynamoDbOnSignal: false,
        })
      : Promise.resolve(options.services);
  starting.catch(() => undefined);
  let model: StackModel;
  try {
    model = buildStackModel(options.config, { region, accountId: ACCOUNT_ID });
  } catch (error) {
    if (options.services === undefined)
      await starting.then((services) => services.stop()).catch(() => undefined);
    throw error;
  }
  const services = await starting;
  if (options.services === undefined) cleanups.push(() => services.stop());
  return { model, services };
}

interface Parts {
  readonly model: StackModel;
  readonly services: LocalServices;
  readonly provisioned: ProvisionedResources;
  readonly handlers: LocalHandlers;
  readonly dynamoClient: DynamoDBClient;
  readonly adapter: ApiGatewayAdapter;
  readonly slack: SlackReceiver;
  readonly emails: RenderedEmail[];
  readonly counters: PipelineCounters;
  readonly metrics: MetricStore;
  readonly serviceMetrics: ServiceMetrics;
  readonly logs: LogsStandIn;
  readonly published: ReadonlyMap<CampaignEventType, TopicMessage[]>;
  readonly archive: ArchiveFirehose | undefined;
  readonly newContext: (key: LocalFunctionKey) => Context;
  readonly fanOut: FanOutControl;
  readonly streamLag: StreamLag;
}

async function wire(
  options: PipelineOptions,
  model: StackModel,
  services: LocalServices,
  env: EnvironmentScope,
  cleanups: Array<() => Promise<void> | void>,
): Promise<Parts> {
  const loaded = await provisionAndLoad(options, model, services, env, cleanups);
  const { provisioned, handlers, observed } = loaded;
  const adapter = await startIngestEndpoint({
    model,
    handler: handlers.ingest,
    functionName: provisioned.functionNames.get('ingest') ?? 'ingest',
    ...(options.ports?.endpoint === undefined ? {} : { port: options.ports.endpoint }),
    metrics: observed.serviceMetrics,
    counters: observed.counters,
    ...(options.onIngestAnswer ? { onAnswer: options.onIngestAnswer } : {}),
  });
  cleanups.push(() => adapter.stop());
  const streamLag = newStreamLag();
  const fanOut = fanOutControl({ options, model, services, provisioned, handlers, observed, streamLag });
  cleanups.push(() => fanOut.stop());
  const subscribers = await startSubscribers(options, model, services, loaded, cleanups);
  return { model, services, adapter, fanOut, streamLag, ...loaded, ...subscribers, ...observed };
}

/** The Slack receiver, the stack's resources provisioned, and the handlers loaded with their environment. */
async function provisionAndLoad(
  options: PipelineOptions,
  model: StackModel,
  services: LocalServices,
  env: EnvironmentScope,
  cleanups: Array<() => Promise<void> | void>,
) {
  const slack = await startSlackReceiver(options.ports?.slack);
  cleanups.push(() => slack.stop());
  const dynamoClient = new DynamoDBClient({
    endpoint: services.dynamodb.harnessGate.url,
    region: model.region,
  });
  cleanups.push(() => dynamoClient.destroy());
  const provisioned = await provisionResources({
    model,
    config: options.config,
    services,
    dynamoClient,
    slackWebhookUrl: slack.webhookUrl,
    countKeptItems: options.dataDir !== undefined,
  });
  // Per pipeline: its log groups are its functions'.
  const logs = await startLogsStandIn();
  cleanups.push(() => logs.stop());
  for (const logGroup of provisioned.logGroups.values()) logs.createLogGroup(logGroup);
  env.set('AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', logs.endpoint);
  const observed = observe(model, provisioned, logs, options);
  const handlers = await loadHandlers({
    models: model.functions,
    resources: provisioned.resources,
    env,
    outputFor: (key) => functionOutputStream(provisioned.functionNames.get(key) ?? key, observed.logSink),
    overrides: {
      // Metrics as in Lambda (EMF on stdout), whatever the caller's Powertools settings.
      POWERTOOLS_DEV: undefined,
      POWERTOOLS_METRICS_DISABLED: 'false',
      ...options.environment,
    },
    ...(options.freshModules ? { freshModules: options.freshModules } : {}),
    ...(options.loadHandler ? { loadHandler: options.loadHandler } : {}),
  });
  const newContext = (key: LocalFunctionKey): Context =>
    createLambdaContext({
      functionName: provisioned.functionNames.get(key) ?? key,
      timeoutMs: (model.functions.get(key)?.timeoutSeconds ?? 30) * 1000,
      region: model.region,
      accountId: ACCOUNT_ID,
    });
  return { slack, dynamoClient, provisioned, observed, handlers, newContext };
}

/** The stack's topic subscribers: the pipeline's own taps, the archive, the alert path (formatter, Slack, email). */
async function startSubscribers(
  options: PipelineOptions,
  model: StackModel,
  services: LocalServices,
  loaded: Awaited<ReturnType<typeof provisionAndLoad>>,
  cleanups: Array<() => Promise<void> | void>,
) {
  const { provisioned, observed, handlers, slack } = loaded;
  const { counters, serviceMetrics } = observed;
  const published = await tapEventTopics(services, provisioned.topicArns, counters, (type) =>
    options.onFirstPublished?.(type),
  );
  const archive = await startLocalArchive({
    model,
    resources: provisioned.resources,
    subscribe: (topicArn, listener) => services.subscribe(topicArn, 'tap', listener),
    onMetric: (datum) => observed.metrics.put(datum),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...options.archive,
  });
  if (archive) cleanups.push(() => archive.stop());
  const emails: RenderedEmail[] = [];
  await wireAlertPath({
    model,
    resources: provisioned.resources,
    services,
    handlers,
    instrument: (key, handler) => serviceMetrics.instrument(key, handler),
    newContext: loaded.newContext,
    onEmail(email) {
      emails.push(email);
      counters.emails++;
      options.onEmail?.(email);
    },
    onLambdaFailure(key, error) {
      counters.lambdaFailures++;
      options.onLambdaFailure?.(key, error);
    },
    onNote: (message) => options.onNote?.(message),
  });
  slack.onPost(() => {
    counters.slackPosts++;
  });
  return { published, archive, emails };
}

/** The pipeline's counters, metrics (CloudWatch stand-in) and the handlers' log sink (into their log groups). */
function observe(
  model: StackModel,
  provisioned: ProvisionedResources,
  logs: LogsStandIn,
  options: PipelineOptions,
) {
  const metrics = new MetricStore();
  const counters = newCounters();
  const serviceMetrics = new ServiceMetrics(metrics, {
    restApiName: model.restApiName,
    stageName: model.stageName,
    functionNames: provisioned.functionNames,
    queueNames: new Map([...provisioned.queues].map(([id, queue]) => [id, queue.name])),
  });
  const logSink = {
    onLog(record: LogRecord) {
      const logGroup = provisioned.logGroups.get(record.functionName);
      if (logGroup !== undefined) logs.put(logGroup, { timestamp: Date.now(), message: record.line });
      options.onLog?.(record);
    },
    onMetric(datum: Parameters<MetricStore['put']>[0]) {
      metrics.put(datum);
      // The fan-out's total series (its per-EventType series count the same failures again).
      if (datum.name === 'PublishFailures' && datum.dimensions.EventType === undefined) {
        counters.publishFailures += datum.values.reduce((sum, value) => sum + value, 0);
      }
    },
  };
  return { metrics, counters, serviceMetrics, logs, logSink };
}

interface FanOutControl {
  readonly batches: DynamoDBRecord[][];
  driver(): StreamDriver;
  /** The fan-out's queue event sources (the held-events queue), running with the driver. */
  queueSources(): readonly QueueEventSource[];
  start(): StreamDriver;
  stop(): Promise<void>;
}

function fanOutControl(parts: {
  options: PipelineOptions;
  model: StackModel;
  services: LocalServices;
  provisioned: ProvisionedResources;
  handlers: LocalHandlers;
  observed: ReturnType<typeof observe>;
  streamLag: StreamLag;
}): FanOutControl {
  const batches: DynamoDBRecord[][] = [];
  let driver: StreamDriver | undefined;
  let queueSources: QueueEventSource[] = [];
  const start = () => {
    if (driver === undefined) {
      queueSources = startFanOutQueueSources({
        model: parts.model,
        provisioned: parts.provisioned,
        handler: parts.handlers.fanOut,
        sqsEndpoint: parts.services.endpoints.sqs,
        messagesIn: (url) => parts.services.sqs.messages(url),
        metrics: parts.observed.serviceMetrics,
      });
    }
    driver ??= startFanOut({
      model: parts.model,
      provisioned: parts.provisioned,
      handler: parts.handlers.fanOut,
      dynamoEndpoint: parts.services.dynamodb.harnessGate.url,
      sqsEndpoint: parts.services.endpoints.sqs,
      fromLatest: parts.options.dataDir !== undefined,
      metrics: parts.observed.serviceMetrics,
      counters: parts.observed.counters,
      onBatch: (records) => void batches.push(records),
      streamLag: parts.streamLag,
    });
    return driver;
  };
  if (parts.options.fanOut !== 'deferred') start();
  return {
    batches,
    driver() {
      if (driver === undefined) throw new Error('The fan-out has not been started (fanOut: deferred)');
      return driver;
    },
    queueSources: () => queueSources,
    start,
    stop: async () => {
      await driver?.stop();
      await Promise.all(queueSources.map((source) => source.stop()));
    },
  };
}

function pipelineOf(options: PipelineOptions, parts: Parts, cleanUp: () => Promise<void>): Pipeline {
  const { model, services, provisioned, counters } = parts;
  const faults = pipelineFaults(services, Object.values(provisioned.topicArns), parts.streamLag);
  let stopping: Promise<void> | undefined;
  return {
    config: options.config,
    model,
    services,
    provisioned,
    handlers: parts.handlers,
    url: parts.adapter.url,
    authHeaderName: options.config.api.authHeaderName,
    endpointKey: provisioned.endpointKey,
    tableName: provisioned.tableName,
    topicArns: provisioned.topicArns,
    slack: parts.slack,
    emails: parts.emails,
    counters,
    metrics: parts.metrics,
    serviceMetrics: parts.serviceMetrics,
    logs: parts.logs,
    published: parts.published,
    archive: parts.archive,
    faults,
    get driver() {
      return parts.fanOut.driver();
    },
    startFanOut: () => parts.fanOut.start(),
    fanOutBatches: parts.fanOut.batches,
    newContext: parts.newContext,
    post: (body, postOptions) => post(parts, options.config, body, postOptions),
    items: () => scanAll(parts.dynamoClient, provisioned.tableName),
    async waitUntilIdle(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      // Held records go from the stream to their queue, and from there to SNS: until both rest.
      do {
        await parts.fanOut.driver().waitUntilIdle(Math.max(1, deadline - Date.now()));
        for (const source of parts.fanOut.queueSources()) {
          await source.waitUntilIdle(Math.max(1, deadline - Date.now()));
        }
      } while (!(await streamIdle(parts.fanOut.driver())));
      await services.deliveriesSettled();
    },
    stop() {
      stopping ??= (async () => {
        faults.sns.clear();
        faults.stream.clear();
        faults.dynamodb.restore();
        faults.secretsManager.restore();
        await services.deliveriesSettled().catch(() => undefined);
        await cleanUp();
      })();
      return stopping;
    },
  };
}

/** Whether the stream has nothing new after the queues drained (a held record never goes back to it). */
async function streamIdle(driver: StreamDriver): Promise<boolean> {
  const before = driver.stats.received;
  await driver.waitUntilIdle(5_000);
  return driver.stats.received === before;
}

async function post(
  parts: Parts,
  config: Config,
  body: unknown,
  options: PostOptions = {},
): Promise<{ status: number; body: unknown }> {
  const key = options.key === undefined ? parts.provisioned.endpointKey : options.key;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const events = Array.isArray(body) ? body.length : 0;
  parts.counters.eventsSent += events;
  const response = await fetch(parts.adapter.url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...(key === null ? {} : { [config.api.authHeaderName]: key }),
      ...options.headers,
    },
    body: text,
  });
  if (response.ok) parts.counters.eventsAcknowledged += events;
  return { status: response.status, body: parseJson(await response.text()) };
}

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let ExclusiveStartKey: ScanCommand['input']['ExclusiveStartKey'];
  do {
    // Read from the wire: the SDK's deserializer loses `__proto__` members of stored events.
    const { wire } = await sendForWireJson(
      client,
      new ScanCommand({ TableName: tableName, ExclusiveStartKey }),
    );
    const page = wire as {
      Items?: Array<Record<string, AttributeValue>>;
      LastEvaluatedKey?: typeof ExclusiveStartKey;
    };
    items.push(...(page.Items ?? []).map((item) => fromAttributeMap(item)));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { fromAttributeMap } from '../../functions/shared/events/attribute-values.js';
import type { Config, ConfigInput } from '../../infra/config.js';
import { type CampaignSimulator, startCampaignSimulator } from '../campaign-simulator/server.js';
import { createLambdaContext } from '../lambda-context.js';
import type { StreamDriver } from '../stream-driver.js';
import type { Activity, ActivityListener, RenderedEmail } from './activity.js';
import { AlarmEvaluator } from './alarm-evaluator.js';
import { type AlarmTransition, LocalAlarms } from './alarms.js';
import { wireAlertPath } from './alert-path.js';
import { type ArchiveFirehose, startLocalArchive } from './archive-firehose.js';
import { type AwsServices, startBuiltInServices } from './aws-services.js';
import { newCounters, type RunCounters } from './counters.js';
import { EnvironmentScope, loadHandlers } from './handlers.js';
import { loadLocalConfig } from './local-config.js';
import { startLocalStackServices } from './localstack.js';
import { functionOutputStream, type LogSinkListener } from './log-sink.js';
import { MetricStore } from './metric-store.js';
import { ingestAnswer, parseJson, startFanOut, startIngestEndpoint } from './pipeline.js';
import { assertPortsFree, onPort } from './ports.js';
import { provisionResources } from './provision.js';
import { ServiceMetrics } from './service-metrics.js';
import { type SlackReceiver, startSlackReceiver } from './slack-receiver.js';
import { buildStackModel, type LocalFunctionKey, type StackModel } from './stack-model.js';
import { type TopicMessage, tapEventTopics } from './topic-taps.js';
import { DEFAULT_MIX, TrafficGenerator, type TrafficOptions } from './traffic.js';
import { createWebhooks, deleteWebhooks, type WebhookRegistrationResult } from './webhooks.js';

export type { RunCounters } from './counters.js';
export type { TopicMessage } from './topic-taps.js';

/**
 * `npm start`, as an API: the whole pipeline on this machine, wired from the stack itself (stack-model.ts)
 * with the deployed handler modules, a simulated Campaign and locally evaluated alarms. main.ts is the
 * command line around it; the end-to-end test drives the same code.
 */

export interface LocalRunOptions {
  /** The `campaignEvents` configuration. @default cdk.json's */
  readonly config?: ConfigInput;
  /** Use a running LocalStack instead of the built-in stand-ins. */
  readonly localstack?: {
    readonly url: string;
    readonly callbackHost?: string;
    readonly callbackPort?: number;
  };
  /** Keep DynamoDB Local's data in this directory between runs. @default in memory */
  readonly dataDir?: string;
  /** Ports of the local services; each absent one is a free loopback port. */
  readonly ports?: {
    readonly endpoint?: number;
    readonly dynamodb?: number;
    readonly sns?: number;
    readonly secretsManager?: number;
    readonly campaign?: number;
    readonly slack?: number;
  };
  /** The simulated Campaign traffic; false for none (send events with post() or the simulator). */
  readonly traffic?: Partial<TrafficOptions> | false;
  /** Share of SNS publish entries the stand-in refuses (each refused entry is retried by the fan-out). */
  readonly snsFailureRatio?: number;
  /** How often the alarms are evaluated; 0 for only on evaluateAlarms(). @default 2000 */
  readonly alarmIntervalMs?: number;
  /** POWERTOOLS_LOG_LEVEL of the handlers. @default the stack's (INFO) */
  readonly lambdaLogLevel?: string;
  readonly onActivity?: ActivityListener;
  /** The archive (archive.enabled): its folder and how often the Firehose stand-in writes. */
  readonly archive?: { readonly dir?: string; readonly flushIntervalMs?: number };
}

export const DEFAULT_TRAFFIC: TrafficOptions = {
  rate: 20,
  batchSize: 20,
  mix: DEFAULT_MIX,
  invalidRatio: 0.03,
  redeliveries: 1,
  seed: 1,
};

export interface LocalRun {
  readonly config: Config;
  readonly configSource: string;
  readonly model: StackModel;
  readonly services: AwsServices;
  readonly urls: {
    readonly endpoint: string;
    readonly dynamodb: string;
    readonly sns: string;
    readonly secretsManager: string;
    readonly campaignApi: string;
    readonly slack: string;
  };
  readonly authHeaderName: string;
  /** The endpoint key Campaign sends (the secret's `current`). */
  readonly endpointKey: string;
  readonly campaignUser: { readonly username: string; readonly password: string };
  readonly tableName: string;
  readonly topicArns: Readonly<Record<string, string>>;
  readonly simulator: CampaignSimulator;
  readonly webhooks: readonly WebhookRegistrationResult[];
  readonly driver: StreamDriver;
  readonly alarms: LocalAlarms;
  readonly traffic: TrafficGenerator | undefined;
  readonly counters: RunCounters;
  /** What each event topic delivered to the local tap, per type (the latest 10 000 per type). */
  readonly published: ReadonlyMap<CampaignEventType, TopicMessage[]>;
  /** The archive delivery stream's stand-in (archive.enabled), writing Parquet to a local folder. */
  readonly archive: ArchiveFirehose | undefined;
  readonly alerts: {
    readonly transitions: readonly AlarmTransition[];
    readonly emails: readonly RenderedEmail[];
    readonly slack: SlackReceiver['posts'];
  };
  readonly startedAt: number;
  /** POSTs a batch to the endpoint as Campaign does (the keyAuth header, unless `key` says otherwise). */
  post(body: unknown, options?: { key?: string | null }): Promise<{ status: number; body: unknown }>;
  /** Evaluates the alarms now and waits until their notifications went through the alert path. */
  evaluateAlarms(): Promise<AlarmTransition[]>;
  /** Resolves when the (finite) traffic is done, the stream is drained and every SNS delivery settled. */
  waitUntilIdle(timeoutMs?: number): Promise<void>;
  /** Every item in the events table. */
  items(): Promise<Array<Record<string, unknown>>>;
  /** Stops the traffic, drains the stream, removes the webhooks (custom resource Delete), stops everything. */
  stop(): Promise<void>;
}

const ACCOUNT_ID = '000000000000';
/** What the simulator sends as User-Agent (local/campaign-simulator/delivery.ts). */
const SIMULATOR_USER_AGENT = 'campaign-simulator';
/** Messages the SNS stand-in keeps (a long run would otherwise keep every one). */
const SNS_PUBLISHED_KEPT = 10_000;

export async function runLocalPipeline(options: LocalRunOptions = {}): Promise<LocalRun> {
  const emit = (activity: Activity) => options.onActivity?.(activity);
  const startedAt = Date.now();
  const region = process.env.AWS_REGION || 'eu-central-1';
  const env = new EnvironmentScope();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    env.restore();
  };

  try {
    const { config, source, adjustments } = loadLocalConfig(options.config);
    emit({ kind: 'step', message: `configuration: ${source} (stack ${config.stackName})` });
    for (const adjustment of adjustments) emit({ kind: 'note', message: adjustment });
    const traffic = resolveTraffic(options.traffic, config);
    if (options.snsFailureRatio && options.localstack) {
      throw new Error('SNS failure injection needs the built-in SNS stand-in, not LocalStack');
    }
    await checkPorts(options.ports ?? {});

    // The SDK must never reach AWS from here: fake credentials; the local endpoints are set below.
    for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE']) env.set(name, undefined);
    env.set('AWS_ACCESS_KEY_ID', 'local');
    env.set('AWS_SECRET_ACCESS_KEY', 'local');
    env.set('AWS_REGION', region);
    env.set('AWS_EC2_METADATA_DISABLED', 'true');

    // ---- services (DynamoDB Local's JVM starts while the stack is built in memory) ----
    const servicesStarting = startServices(options, region);
    servicesStarting.catch(() => undefined);
    let model: StackModel;
    try {
      model = buildStackModel(config, { region, accountId: ACCOUNT_ID });
    } catch (error) {
      await servicesStarting.then((services) => services.stop()).catch(() => undefined);
      throw error;
    }
    const services = await servicesStarting;
    cleanups.push(() => services.stop());
    emit({ kind: 'step', message: describeServices(services, options.dataDir) });
    env.set('AWS_ENDPOINT_URL_DYNAMODB', services.endpoints.dynamodb);
    env.set('AWS_ENDPOINT_URL_DYNAMODB_STREAMS', services.endpoints.dynamodb);
    env.set('AWS_ENDPOINT_URL_SNS', services.endpoints.sns);
    env.set('AWS_ENDPOINT_URL_SECRETS_MANAGER', services.endpoints.secretsManager);

    // ---- the stack's resources, under the stack's names ----
    const slack = await startSlackReceiver(options.ports?.slack);
    cleanups.push(() => slack.stop());
    const dynamoClient = new DynamoDBClient({ endpoint: services.endpoints.dynamodb, region });
    cleanups.push(() => dynamoClient.destroy());
    const provisioned = await provisionResources({
      model,
      config,
      services,
      dynamoClient,
      region,
      accountId: ACCOUNT_ID,
      slackWebhookUrl: slack.webhookUrl,
      countKeptItems: options.dataDir !== undefined || options.localstack !== undefined,
    });
    const { resources, functionNames, queueNames } = provisioned;
    if (provisioned.keptItems !== undefined) {
      emit({
        kind: 'step',
        message: `events table ${provisioned.tableName}: ${provisioned.keptItems} item(s) kept from earlier runs`,
      });
    }

    // ---- the handlers, their logs and metrics ----
    const metricStore = new MetricStore();
    const counters = newCounters();
    const serviceMetrics = new ServiceMetrics(metricStore, {
      restApiName: model.restApiName,
      stageName: model.stageName,
      functionNames,
      queueNames,
    });
    const logSink: LogSinkListener = {
      onLog: (record) => emit({ kind: 'log', record }),
      onMetric(datum) {
        metricStore.put(datum);
        // The fan-out's total series (its per-EventType series count the same failures again).
        if (datum.name === 'PublishFailures' && datum.dimensions.EventType === undefined) {
          counters.publishFailures += datum.values.reduce((sum, value) => sum + value, 0);
        }
      },
    };
    const handlers = await loadHandlers(
      model.functions,
      resources,
      env,
      (key) => functionOutputStream(functionNames.get(key) ?? key, logSink),
      {
        // Metrics as in Lambda (EMF on stdout), whatever the caller's Powertools settings.
        POWERTOOLS_DEV: undefined,
        POWERTOOLS_METRICS_DISABLED: 'false',
        ...(options.lambdaLogLevel ? { POWERTOOLS_LOG_LEVEL: options.lambdaLogLevel } : {}),
      },
    );
    emit({
      kind: 'step',
      message: `handlers loaded: ${[...model.functions.keys()].join(', ')} (the deployed modules, with the stack's environment)`,
    });
    const newContext = (key: LocalFunctionKey): Context =>
      createLambdaContext({
        functionName: functionNames.get(key) ?? key,
        timeoutMs: (model.functions.get(key)?.timeoutSeconds ?? 30) * 1000,
        region,
        accountId: ACCOUNT_ID,
      });

    // ---- the data path ----
    const adapter = await startIngestEndpoint({
      model,
      handler: handlers.ingest,
      functionName: functionNames.get('ingest') ?? 'ingest',
      ...(options.ports?.endpoint === undefined ? {} : { port: options.ports.endpoint }),
      metrics: serviceMetrics,
      counters,
      onAnswer: (userAgent, answer) => {
        if (userAgent !== SIMULATOR_USER_AGENT) emit({ kind: 'request', userAgent, answer });
      },
    });
    cleanups.push(() => adapter.stop());
    const driver = startFanOut({
      model,
      handler: handlers.fanOut,
      functionName: functionNames.get('fanOut') ?? 'fanOut',
      dynamoEndpoint: services.endpoints.dynamodb,
      streamArn: provisioned.streamArn,
      region,
      fromLatest: options.dataDir !== undefined || options.localstack !== undefined,
      metrics: serviceMetrics,
      counters,
    });
    cleanups.push(() => driver.stop());
    const published = await tapEventTopics(services, provisioned.topicArns, counters, (eventType) =>
      emit({ kind: 'first-published', eventType, afterMs: Date.now() - startedAt }),
    );
    const archive = await startLocalArchive({
      model,
      resources,
      subscribe: (topicArn, listener) => services.subscribe(topicArn, 'tap', listener),
      onMetric: (datum) => metricStore.put(datum),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...options.archive,
    });
    if (archive) {
      cleanups.push(() => archive.stop());
      emit({ kind: 'step', message: `archive: the Firehose stand-in writes Parquet under ${archive.dir}` });
    }
    if (options.snsFailureRatio) refusePublishes(services, provisioned.topicArns, options.snsFailureRatio);

    // ---- the alert path ----
    const emails: RenderedEmail[] = [];
    const deadLetters = new Map<string, number>();
    await wireAlertPath({
      model,
      resources,
      services,
      handlers,
      instrument: (key, handler) => serviceMetrics.instrument(key, handler),
      newContext,
      onEmail(email) {
        emails.push(email);
        counters.emails++;
        emit({ kind: 'email', email });
      },
      onLambdaFailure(key, error, deadLetterQueue) {
        counters.lambdaFailures++;
        if (deadLetterQueue) deadLetters.set(deadLetterQueue, (deadLetters.get(deadLetterQueue) ?? 0) + 1);
        emit({
          kind: 'lambda-failure',
          functionName: functionNames.get(key) ?? key,
          error: `${(error as Error).message ?? String(error)} (after every attempt; the event would wait in the function's dead-letter queue)`,
        });
      },
      onNote: (message) => emit({ kind: 'note', message }),
    });
    slack.onPost((post) => {
      counters.slackPosts++;
      emit({ kind: 'slack', post });
    });

    // ---- Campaign: the simulator, and the webhook registration of `cdk deploy` ----
    const simulator = await onPort(
      options.ports?.campaign,
      'campaign-port',
      'the Campaign API simulator',
      (port) => startCampaignSimulator({ port, users: [provisioned.campaignUser] }),
    );
    cleanups.push(() => simulator.close());
    emit({
      kind: 'step',
      message: `Campaign API simulator ${simulator.baseUrl}; ingest endpoint ${adapter.url}; Slack receiver ${slack.webhookUrl}`,
    });
    const reconciler = handlers.webhookReconciler;
    if (reconciler === undefined) throw new Error('The stack has no webhook registration (custom resource)');
    const lifecycle = {
      handler: serviceMetrics.instrument('webhookReconciler', reconciler),
      resources,
      stackName: model.stackName,
      region,
      accountId: ACCOUNT_ID,
      targetUrl: adapter.url,
      apiBaseUrl: simulator.baseUrl,
      newContext: () => newContext('webhookReconciler'),
    };
    const webhooks = await createWebhooks(model.webhookResources, lifecycle);
    emit({ kind: 'webhooks', registrations: webhooks });

    // ---- the alarms ----
    const alarms = new LocalAlarms(model.alarms, resources, { region, accountId: ACCOUNT_ID, startedAt });
    const evaluator = new AlarmEvaluator(alarms, metricStore, services, {
      region,
      beforeEvaluation() {
        const fanOutDeadLetters = driver.onFailureMessages.length;
        serviceMetrics.queueDepths(
          new Map([...deadLetters, [model.fanOutDeadLetterQueueLogicalId, fanOutDeadLetters]]),
        );
        if (driver.stats.parked > counters.parked) {
          emit({ kind: 'parked', records: driver.stats.parked - counters.parked });
          counters.parked = driver.stats.parked;
        }
      },
      onTransition(transition) {
        counters.alarmNotifications++;
        emit({ kind: 'alarm', transition });
      },
    });
    cleanups.push(() => evaluator.stop());
    const intervalMs = options.alarmIntervalMs ?? 2000;
    const alarmTimer =
      intervalMs > 0
        ? setInterval(() => {
            evaluator
              .evaluate()
              .catch((error: unknown) =>
                emit({ kind: 'note', message: `alarm evaluation failed: ${(error as Error).message}` }),
              );
            const kept = services.sns?.published;
            if (kept && kept.length > SNS_PUBLISHED_KEPT) kept.splice(0, kept.length - SNS_PUBLISHED_KEPT);
          }, intervalMs)
        : undefined;
    cleanups.push(() => clearInterval(alarmTimer));
    emit({ kind: 'step', message: describeAlarms(alarms, intervalMs) });

    // ---- the traffic ----
    const generator =
      traffic === undefined
        ? undefined
        : new TrafficGenerator(simulator, config.campaign.clientIds, traffic, (batch) => {
            const last = batch.reports[0]?.attempts.at(-1);
            emit({
              kind: 'batch',
              batch,
              answer: last === undefined ? undefined : ingestAnswer(last.status, last.body),
            });
          });
    generator?.start();

    let stopping: Promise<void> | undefined;
    return {
      config,
      configSource: source,
      model,
      services,
      urls: {
        endpoint: adapter.url,
        dynamodb: services.endpoints.dynamodb,
        sns: services.endpoints.sns,
        secretsManager: services.endpoints.secretsManager,
        campaignApi: simulator.baseUrl,
        slack: slack.webhookUrl,
      },
      authHeaderName: config.api.authHeaderName,
      endpointKey: provisioned.endpointKey,
      campaignUser: provisioned.campaignUser,
      tableName: provisioned.tableName,
      topicArns: provisioned.topicArns,
      simulator,
      webhooks,
      driver,
      alarms,
      traffic: generator,
      counters,
      published,
      archive,
      alerts: { transitions: evaluator.transitions, emails, slack: slack.posts },
      startedAt,
      async post(body, postOptions = {}) {
        const key = postOptions.key === undefined ? provisioned.endpointKey : postOptions.key;
        const response = await fetch(adapter.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(key === null ? {} : { [config.api.authHeaderName]: key }),
          },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        return { status: response.status, body: parseJson(await response.text()) };
      },
      evaluateAlarms: () => evaluator.evaluate(),
      async waitUntilIdle(timeoutMs = 60_000) {
        if (generator && (traffic?.events !== undefined || traffic?.durationSeconds !== undefined)) {
          await generator.done;
        }
        await driver.waitUntilIdle(timeoutMs);
        await services.deliveriesSettled();
      },
      async items() {
        const items: Array<Record<string, unknown>> = [];
        let ExclusiveStartKey: ScanCommand['input']['ExclusiveStartKey'];
        do {
          const page = await dynamoClient.send(
            new ScanCommand({ TableName: provisioned.tableName, ExclusiveStartKey }),
          );
          items.push(...(page.Items ?? []).map((item) => fromAttributeMap(item)));
          ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey);
        return items;
      },
      stop() {
        stopping ??= (async () => {
          clearInterval(alarmTimer);
          await generator?.stop();
          await driver.waitUntilIdle(30_000).catch(() => undefined);
          await services.deliveriesSettled().catch(() => undefined);
          emit({
            kind: 'step',
            message: 'custom resource Delete (what cdk destroy does): deactivating and deleting the webhooks',
          });
          await deleteWebhooks(webhooks, model.webhookResources, lifecycle).catch((error: unknown) =>
            emit({ kind: 'note', message: `webhook removal failed: ${(error as Error).message}` }),
          );
          await cleanUp();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function resolveTraffic(traffic: LocalRunOptions['traffic'], config: Config): TrafficOptions | undefined {
  if (traffic === false) return undefined;
  const options: TrafficOptions = { ...DEFAULT_TRAFFIC, ...traffic };
  const configured = new Set<string>(config.eventTypes);
  const unknown = options.mix.filter(([type]) => !configured.has(type)).map(([type]) => type);
  if (traffic?.mix !== undefined && unknown.length > 0) {
    throw new Error(
      `Event types not configured in campaignEvents.eventTypes: ${unknown.join(', ')} (configured: ${config.eventTypes.join(', ')})`,
    );
  }
  // The default mix covers every type; keep the configured ones.
  return { ...options, mix: options.mix.filter(([type]) => configured.has(type)) };
}

function checkPorts(ports: NonNullable<LocalRunOptions['ports']>): Promise<void> {
  return assertPortsFree([
    { port: ports.endpoint, option: 'port', what: 'the ingest endpoint' },
    // DynamoDB Local listens on every interface.
    { port: ports.dynamodb, option: 'dynamodb-port', what: 'DynamoDB Local', host: '0.0.0.0' },
    { port: ports.sns, option: 'sns-port', what: 'the SNS stand-in' },
    { port: ports.secretsManager, option: 'secrets-port', what: 'the Secrets Manager stand-in' },
    { port: ports.campaign, option: 'campaign-port', what: 'the Campaign API simulator' },
    { port: ports.slack, option: 'slack-port', what: 'the local Slack receiver' },
  ]);
}

function startServices(options: LocalRunOptions, region: string): Promise<AwsServices> {
  if (options.localstack) return startLocalStackServices({ ...options.localstack, region });
  const ports = options.ports ?? {};
  return startBuiltInServices({
    region,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ports: {
      ...(ports.dynamodb === undefined ? {} : { dynamodb: ports.dynamodb }),
      ...(ports.sns === undefined ? {} : { sns: ports.sns }),
      ...(ports.secretsManager === undefined ? {} : { secretsManager: ports.secretsManager }),
    },
  });
}

/** The SNS stand-in refuses each event publish once with probability `ratio` (the fan-out retries it). */
function refusePublishes(
  services: AwsServices,
  topicArns: Readonly<Record<string, string>>,
  ratio: number,
): void {
  if (services.sns === undefined) throw new Error('SNS failure injection needs the built-in SNS stand-in');
  const eventTopics = new Set(Object.values(topicArns));
  const refusedOnce = new Set<string>();
  services.sns.failWhen((entry) => {
    if (!eventTopics.has(entry.topicArn) || refusedOnce.has(entry.message) || Math.random() >= ratio)
      return false;
    refusedOnce.add(entry.message);
    return true;
  });
}

function describeServices(services: AwsServices, dataDir: string | undefined): string {
  if (services.mode === 'localstack') {
    return `LocalStack ${services.endpoints.dynamodb}: DynamoDB, DynamoDB Streams, SNS, Secrets Manager`;
  }
  const jvm = services.dynamoDbLocal;
  const storage = dataDir ? `data in ${dataDir}` : 'in memory';
  return (
    `DynamoDB Local ${services.endpoints.dynamodb} (${storage}, JVM pid ${jvm?.pid}, ready in ${((jvm?.startupMs ?? 0) / 1000).toFixed(1)} s); ` +
    `SNS stand-in ${services.endpoints.sns}; Secrets Manager stand-in ${services.endpoints.secretsManager}`
  );
}

function describeAlarms(alarms: LocalAlarms, intervalMs: number): string {
  const when = intervalMs > 0 ? `every ${intervalMs / 1000} s` : 'on request';
  const skipped = alarms.skipped.map((alarm) => `${alarm.name} (${alarm.reason})`).join('; ');
  return `alarms: ${alarms.alarms.length} of the stack's alarms evaluated locally ${when}${skipped ? `; not evaluated: ${skipped}` : ''}`;
}

import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import type { Config, ConfigInput } from '../../infra/config.js';
import { type CampaignSimulator, startCampaignSimulator } from '../campaign-simulator/server.js';
import type { ArchiveFirehose } from '../pipeline/archive-firehose.js';
import { assemblePipeline, type Pipeline } from '../pipeline/assemble.js';
import type { RunCounters } from '../pipeline/counters.js';
import { ingestAnswer } from '../pipeline/data-path.js';
import { assertPortsFree, onPort } from '../pipeline/ports.js';
import type { LocalServices } from '../pipeline/services.js';
import type { SlackReceiver } from '../pipeline/slack-receiver.js';
import type { StackModel } from '../pipeline/stack-model.js';
import type { TopicMessage } from '../pipeline/topic-taps.js';
import type { StreamDriver } from '../stream-driver.js';
import type { Activity, ActivityListener, RenderedEmail } from './activity.js';
import { AlarmEvaluator } from './alarm-evaluator.js';
import { type AlarmTransition, LocalAlarms } from './alarms.js';
import { loadLocalConfig } from './local-config.js';
import { DEFAULT_MIX, TrafficGenerator, type TrafficOptions } from './traffic.js';
import { createWebhooks, deleteWebhooks, type WebhookRegistrationResult } from './webhooks.js';

export type { RunCounters } from '../pipeline/counters.js';
export type { TopicMessage } from '../pipeline/topic-taps.js';

/**
 * `npm start`, as an API: the pipeline the stack describes (../pipeline/assemble.ts, the same assembler
 * the tests use), with a simulated Campaign registering its webhooks through the deployed reconciler and
 * sending traffic, and the stack's alarms evaluated locally. main.ts is the command line around it; the
 * end-to-end test drives the same code.
 */

export interface LocalRunOptions {
  /** The `campaignEvents` configuration. @default cdk.json's */
  readonly config?: ConfigInput;
  /** Keep DynamoDB Local's data in this directory between runs. @default in memory */
  readonly dataDir?: string;
  /** Ports of the local services; each absent one is a free loopback port. */
  readonly ports?: {
    readonly endpoint?: number;
    readonly dynamodb?: number;
    readonly sns?: number;
    readonly secretsManager?: number;
    readonly sqs?: number;
    readonly s3?: number;
    readonly campaign?: number;
    readonly slack?: number;
  };
  /** The simulated Campaign traffic; false for none (send events with post() or the simulator). */
  readonly traffic?: Partial<TrafficOptions> | false;
  /** Share of SNS publish entries the stand-in refuses, each attempt (the fan-out retries them). */
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
  /** The assembled pipeline (stack model, resources, handlers, data path, alert path, faults). */
  readonly pipeline: Pipeline;
  readonly services: LocalServices;
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

/** What the simulator sends as User-Agent (local/campaign-simulator/delivery.ts). */
const SIMULATOR_USER_AGENT = 'campaign-simulator';
/** Messages the SNS stand-in keeps (a long run would otherwise keep every one). */
const SNS_PUBLISHED_KEPT = 10_000;

export async function runLocalPipeline(options: LocalRunOptions = {}): Promise<LocalRun> {
  const emit = (activity: Activity) => options.onActivity?.(activity);
  const startedAt = Date.now();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  };
  try {
    const { config, source, adjustments } = loadLocalConfig(options.config);
    emit({ kind: 'step', message: `configuration: ${source} (stack ${config.stackName})` });
    for (const adjustment of adjustments) emit({ kind: 'note', message: adjustment });
    const traffic = resolveTraffic(options.traffic, config);
    await checkPorts(options.ports ?? {});
    const pipeline = await assembleForRun(options, config, startedAt, emit);
    cleanups.push(() => pipeline.stop());
    if (options.snsFailureRatio) pipeline.faults.sns.failTransiently(options.snsFailureRatio);
    const campaign = await registerWithCampaign(pipeline, options, emit);
    cleanups.push(() => campaign.simulator.close());
    const evaluation = startAlarmEvaluation(pipeline, options, startedAt, emit);
    cleanups.push(() => evaluation.stop());
    const generator = startTraffic(traffic, campaign.simulator, config, emit);
    return localRunOf({
      pipeline,
      config,
      source,
      campaign,
      evaluation,
      generator,
      traffic,
      startedAt,
      emit,
      cleanUp,
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function assembleForRun(
  options: LocalRunOptions,
  config: Config,
  startedAt: number,
  emit: (activity: Activity) => void,
): Promise<Pipeline> {
  const ports = options.ports ?? {};
  const pipeline = await assemblePipeline({
    config,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ports,
    ...(options.archive === undefined ? {} : { archive: options.archive }),
    ...(options.lambdaLogLevel ? { environment: { POWERTOOLS_LOG_LEVEL: options.lambdaLogLevel } } : {}),
    onLog: (record) => emit({ kind: 'log', record }),
    onIngestAnswer: (userAgent, answer) => {
      if (userAgent !== SIMULATOR_USER_AGENT) emit({ kind: 'request', userAgent, answer });
    },
    onNote: (message) => emit({ kind: 'note', message }),
    onEmail: (email) => emit({ kind: 'email', email }),
    onLambdaFailure: (key, error) =>
      emit({
        kind: 'lambda-failure',
        functionName: key,
        error: `${(error as Error).message ?? String(error)} (after every attempt; the event would wait in the function's dead-letter queue)`,
      }),
    onFirstPublished: (eventType) =>
      emit({ kind: 'first-published', eventType, afterMs: Date.now() - startedAt }),
  });
  pipeline.slack.onPost((post) => emit({ kind: 'slack', post }));
  if (pipeline.archive) {
    emit({
      kind: 'step',
      message: `archive: the Firehose stand-in writes Parquet under ${pipeline.archive.dir}`,
    });
  }
  emit({ kind: 'step', message: describeServices(pipeline.services, options.dataDir) });
  if (pipeline.provisioned.keptItems !== undefined) {
    emit({
      kind: 'step',
      message: `events table ${pipeline.tableName}: ${pipeline.provisioned.keptItems} item(s) kept from earlier runs`,
    });
  }
  emit({
    kind: 'step',
    message: `handlers loaded: ${[...pipeline.model.functions.keys()].join(', ')} (the deployed modules, with the stack's environment)`,
  });
  return pipeline;
}

interface CampaignSide {
  readonly simulator: CampaignSimulator;
  readonly webhooks: readonly WebhookRegistrationResult[];
  readonly lifecycle: Parameters<typeof createWebhooks>[1];
}

/** The Campaign API simulator, and the webhook registration `cdk deploy` runs (the custom resource). */
async function registerWithCampaign(
  pipeline: Pipeline,
  options: LocalRunOptions,
  emit: (activity: Activity) => void,
): Promise<CampaignSide> {
  const { model, provisioned } = pipeline;
  const simulator = await onPort(
    options.ports?.campaign,
    'campaign-port',
    'the Campaign API simulator',
    (port) => startCampaignSimulator({ port, users: [provisioned.campaignUser] }),
  );
  emit({
    kind: 'step',
    message: `Campaign API simulator ${simulator.baseUrl}; ingest endpoint ${pipeline.url}; Slack receiver ${pipeline.slack.webhookUrl}`,
  });
  const reconciler = pipeline.handlers.webhookReconciler;
  if (reconciler === undefined) {
    await simulator.close();
    throw new Error('The stack has no webhook registration (custom resource)');
  }
  const lifecycle = {
    handler: pipeline.serviceMetrics.instrument('webhookReconciler', reconciler),
    resources: provisioned.resources,
    stackName: model.stackName,
    region: model.region,
    accountId: model.accountId,
    targetUrl: pipeline.url,
    apiBaseUrl: simulator.baseUrl,
    newContext: () => pipeline.newContext('webhookReconciler'),
  };
  try {
    const webhooks = await createWebhooks(model.webhookResources, lifecycle);
    emit({ kind: 'webhooks', registrations: webhooks });
    return { simulator, webhooks, lifecycle };
  } catch (error) {
    await simulator.close();
    throw error;
  }
}

interface AlarmEvaluation {
  readonly alarms: LocalAlarms;
  readonly evaluator: AlarmEvaluator;
  stop(): Promise<void>;
}

function startAlarmEvaluation(
  pipeline: Pipeline,
  options: LocalRunOptions,
  startedAt: number,
  emit: (activity: Activity) => void,
): AlarmEvaluation {
  const { model, provisioned, counters, services } = pipeline;
  const alarms = new LocalAlarms(model.alarms, provisioned.resources, {
    region: model.region,
    accountId: model.accountId,
    startedAt,
  });
  const evaluator = new AlarmEvaluator(alarms, pipeline.metrics, services, {
    region: model.region,
    beforeEvaluation() {
      const depths = new Map(
        [...provisioned.queues].map(([id, queue]) => [id, services.sqs.messages(queue.url).length]),
      );
      pipeline.serviceMetrics.queueDepths(depths);
      const driver = pipeline.driver;
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
  const intervalMs = options.alarmIntervalMs ?? 2000;
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          evaluator
            .evaluate()
            .catch((error: unknown) =>
              emit({ kind: 'note', message: `alarm evaluation failed: ${(error as Error).message}` }),
            );
          const kept = services.sns.published;
          if (kept.length > SNS_PUBLISHED_KEPT) kept.splice(0, kept.length - SNS_PUBLISHED_KEPT);
        }, intervalMs)
      : undefined;
  emit({ kind: 'step', message: describeAlarms(alarms, intervalMs) });
  return {
    alarms,
    evaluator,
    async stop() {
      clearInterval(timer);
      await evaluator.stop();
    },
  };
}

function startTraffic(
  traffic: TrafficOptions | undefined,
  simulator: CampaignSimulator,
  config: Config,
  emit: (activity: Activity) => void,
): TrafficGenerator | undefined {
  if (traffic === undefined) return undefined;
  const generator = new TrafficGenerator(simulator, config.campaign.clientIds, traffic, (batch) => {
    const last = batch.reports[0]?.attempts.at(-1);
    emit({
      kind: 'batch',
      batch,
      answer: last === undefined ? undefined : ingestAnswer(last.status, last.body),
    });
  });
  generator.start();
  return generator;
}

interface RunParts {
  pipeline: Pipeline;
  config: Config;
  source: string;
  campaign: CampaignSide;
  evaluation: AlarmEvaluation;
  generator: TrafficGenerator | undefined;
  traffic: TrafficOptions | undefined;
  startedAt: number;
  emit: (activity: Activity) => void;
  cleanUp: () => Promise<void>;
}

function localRunOf(parts: RunParts): LocalRun {
  const { pipeline, campaign, evaluation, generator, traffic } = parts;
  let stopping: Promise<void> | undefined;
  return {
    config: parts.config,
    configSource: parts.source,
    model: pipeline.model,
    pipeline,
    services: pipeline.services,
    urls: {
      endpoint: pipeline.url,
      dynamodb: pipeline.services.endpoints.dynamodb,
      sns: pipeline.services.endpoints.sns,
      secretsManager: pipeline.services.endpoints.secretsManager,
      campaignApi: campaign.simulator.baseUrl,
      slack: pipeline.slack.webhookUrl,
    },
    authHeaderName: pipeline.authHeaderName,
    endpointKey: pipeline.endpointKey,
    campaignUser: pipeline.provisioned.campaignUser,
    tableName: pipeline.tableName,
    topicArns: pipeline.topicArns,
    simulator: campaign.simulator,
    webhooks: campaign.webhooks,
    get driver() {
      return pipeline.driver;
    },
    alarms: evaluation.alarms,
    traffic: generator,
    counters: pipeline.counters,
    published: pipeline.published,
    archive: pipeline.archive,
    alerts: {
      transitions: evaluation.evaluator.transitions,
      emails: pipeline.emails,
      slack: pipeline.slack.posts,
    },
    startedAt: parts.startedAt,
    post: (body, postOptions) => pipeline.post(body, postOptions),
    evaluateAlarms: () => evaluation.evaluator.evaluate(),
    async waitUntilIdle(timeoutMs = 60_000) {
      if (generator && (traffic?.events !== undefined || traffic?.durationSeconds !== undefined)) {
        await generator.done;
      }
      await pipeline.waitUntilIdle(timeoutMs);
    },
    items: () => pipeline.items(),
    stop() {
      stopping ??= stopRun(parts);
      return stopping;
    },
  };
}

/** Stops the run as `cdk destroy` ends a deployment: traffic and alarms off, the webhooks deleted, then the pipeline. */
async function stopRun(parts: RunParts): Promise<void> {
  const { pipeline, campaign, evaluation, generator, emit } = parts;
  await evaluation.stop();
  await generator?.stop();
  await pipeline.waitUntilIdle(30_000).catch(() => undefined);
  emit({
    kind: 'step',
    message: 'custom resource Delete (what cdk destroy does): deactivating and deleting the webhooks',
  });
  await deleteWebhooks(campaign.webhooks, pipeline.model.webhookResources, campaign.lifecycle).catch(
    (error: unknown) =>
      emit({ kind: 'note', message: `webhook removal failed: ${(error as Error).message}` }),
  );
  await parts.cleanUp();
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
    { port: ports.sqs, option: 'sqs-port', what: 'the SQS stand-in' },
    { port: ports.s3, option: 's3-port', what: 's3rver' },
    { port: ports.campaign, option: 'campaign-port', what: 'the Campaign API simulator' },
    { port: ports.slack, option: 'slack-port', what: 'the local Slack receiver' },
  ]);
}

function describeServices(services: LocalServices, dataDir: string | undefined): string {
  const jvm = services.dynamodb.jvm;
  const storage = dataDir ? `data in ${dataDir}` : 'in memory';
  return (
    `DynamoDB Local ${services.endpoints.dynamodb} (${storage}, JVM pid ${jvm.pid}, ready in ${(jvm.startupMs / 1000).toFixed(1)} s); ` +
    `SNS stand-in ${services.endpoints.sns}; SQS stand-in ${services.endpoints.sqs}; ` +
    `Secrets Manager stand-in ${services.endpoints.secretsManager}; S3 (s3rver) ${services.endpoints.s3}`
  );
}

function describeAlarms(alarms: LocalAlarms, intervalMs: number): string {
  const when = intervalMs > 0 ? `every ${intervalMs / 1000} s` : 'on request';
  const skipped = alarms.skipped.map((alarm) => `${alarm.name} (${alarm.reason})`).join('; ');
  return `alarms: ${alarms.alarms.length} of the stack's alarms evaluated locally ${when}${skipped ? `; not evaluated: ${skipped}` : ''}`;
}

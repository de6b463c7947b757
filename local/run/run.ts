import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyEvent, Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { formatAlertEmail } from '../../functions/shared/alerts/email.js';
import { alertFromSnsMessage } from '../../functions/shared/alerts/incoming.js';
import { type CampaignEventType, toEventType } from '../../functions/shared/campaign-event-types.js';
import { fromAttributeMap } from '../../functions/shared/events/attribute-values.js';
import {
  generateEndpointKey,
  serializeEndpointKeys,
} from '../../functions/webhook-reconciler/endpoint-key.js';
import { CAMPAIGN_SENDER_CIDR, type Config, type ConfigInput } from '../../infra/config.js';
import { type ApiGatewayAdapter, startApiGatewayAdapter } from '../api-gateway-adapter.js';
import { type CampaignSimulator, startCampaignSimulator } from '../campaign-simulator/server.js';
import { createEventTable } from '../event-table.js';
import { createLambdaContext } from '../lambda-context.js';
import { type StreamDriver, startStreamDriver } from '../stream-driver.js';
import type { Activity, ActivityListener, IngestAnswer, RenderedEmail } from './activity.js';
import { type AlarmTransition, LocalAlarms } from './alarms.js';
import { type AwsServices, type SnsDelivery, startBuiltInServices } from './aws-services.js';
import { EnvironmentScope, type LocalHandlers, loadHandlers } from './handlers.js';
import { LocalResources } from './intrinsics.js';
import { compileFilterCriteria } from './lambda-event-filter.js';
import { loadLocalConfig } from './local-config.js';
import { startLocalStackServices } from './localstack.js';
import { functionOutputStream, type LogRecord } from './log-sink.js';
import { type MetricDatum, MetricStore } from './metric-store.js';
import { assertPortsFree, onPort } from './ports.js';
import { type SlackReceiver, startSlackReceiver } from './slack-receiver.js';
import { invokeAsync, snsEventFor } from './sns-lambda.js';
import { buildStackModel, type LocalFunctionKey, type StackModel } from './stack-model.js';
import { DEFAULT_MIX, type DeliveredBatch, TrafficGenerator, type TrafficOptions } from './traffic.js';
import { createWebhooks, deleteWebhooks, type WebhookRegistrationResult } from './webhooks.js';

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
}

export const DEFAULT_TRAFFIC: TrafficOptions = {
  rate: 20,
  batchSize: 20,
  mix: DEFAULT_MIX,
  invalidRatio: 0.03,
  redeliveries: 1,
  seed: 1,
};

/** A message as the local run's tap on an event topic received it. */
export interface TopicMessage {
  readonly eventKey: string;
  readonly body: Record<string, unknown>;
  readonly attributes: SnsDelivery['attributes'];
}

export interface RunCounters {
  /** POSTs that reached the ingest handler, and their answers. */
  requests: number;
  requestsRejected: number;
  eventsReceived: number;
  eventsAccepted: number;
  eventsQuarantined: number;
  /** New items on the table's stream: INSERTs of accepted and of quarantined events. */
  storedAccepted: number;
  storedQuarantined: number;
  /** Stream records of redelivered events (MODIFY), which the fan-out's filter drops. */
  redeliveredRecords: number;
  fanOutInvocations: number;
  publishFailures: number;
  parked: number;
  /** Messages the event topics delivered, per type. */
  published: Record<string, number>;
  bounces: { hard: number; soft: number; unknown: number };
  /** Distinct events published (event keys). */
  publishedDistinct: number;
  /** Event keys published more than once (at-least-once delivery: Lambda retries a batch from its first failure). */
  publishedTwice: number;
  /** Messages the CRM-sync example subscription (bounce topic, bounceCategory = hard) received. */
  crmHardBounces: number;
  alarmNotifications: number;
  emails: number;
  slackPosts: number;
  lambdaFailures: number;
}

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
  readonly alerts: {
    readonly transitions: AlarmTransition[];
    readonly emails: RenderedEmail[];
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
const KEPT_MESSAGES_PER_TYPE = 10_000;
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
    const ports = options.ports ?? {};
    await assertPortsFree([
      { port: ports.endpoint, option: 'port', what: 'the ingest endpoint' },
      // DynamoDB Local listens on every interface.
      { port: ports.dynamodb, option: 'dynamodb-port', what: 'DynamoDB Local', host: '0.0.0.0' },
      { port: ports.sns, option: 'sns-port', what: 'the SNS stand-in' },
      { port: ports.secretsManager, option: 'secrets-port', what: 'the Secrets Manager stand-in' },
      { port: ports.campaign, option: 'campaign-port', what: 'the Campaign API simulator' },
      { port: ports.slack, option: 'slack-port', what: 'the local Slack receiver' },
    ]);

    // The SDK must never reach AWS from here: fake credentials, the local endpoints (set below).
    for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE']) env.set(name, undefined);
    env.set('AWS_ACCESS_KEY_ID', 'local');
    env.set('AWS_SECRET_ACCESS_KEY', 'local');
    env.set('AWS_REGION', region);
    env.set('AWS_EC2_METADATA_DISABLED', 'true');

    // DynamoDB Local's JVM starts while the stack is built in memory.
    const servicesStarting = options.localstack
      ? startLocalStackServices({ ...options.localstack, region })
      : startBuiltInServices({
          region,
          ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
          ports: {
            ...(options.ports?.dynamodb === undefined ? {} : { dynamodb: options.ports.dynamodb }),
            ...(options.ports?.sns === undefined ? {} : { sns: options.ports.sns }),
            ...(options.ports?.secretsManager === undefined
              ? {}
              : { secretsManager: options.ports.secretsManager }),
          },
        });
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
    emit({
      kind: 'step',
      message:
        services.mode === 'built-in'
          ? `DynamoDB Local ${services.endpoints.dynamodb} (${options.dataDir ? `data in ${options.dataDir}` : 'in memory'}, JVM pid ${services.dynamoDbLocal?.pid}, ready in ${((services.dynamoDbLocal?.startupMs ?? 0) / 1000).toFixed(1)} s); SNS stand-in ${services.endpoints.sns}; Secrets Manager stand-in ${services.endpoints.secretsManager}`
          : `LocalStack ${services.endpoints.dynamodb}: DynamoDB, DynamoDB Streams, SNS, Secrets Manager`,
    });
    env.set('AWS_ENDPOINT_URL_DYNAMODB', services.endpoints.dynamodb);
    env.set('AWS_ENDPOINT_URL_DYNAMODB_STREAMS', services.endpoints.dynamodb);
    env.set('AWS_ENDPOINT_URL_SNS', services.endpoints.sns);
    env.set('AWS_ENDPOINT_URL_SECRETS_MANAGER', services.endpoints.secretsManager);

    // ---- resources, named as the stack names them ----
    const resources = new LocalResources({ region, accountId: ACCOUNT_ID, stackName: model.stackName });
    const dynamoClient = new DynamoDBClient({ endpoint: services.endpoints.dynamodb, region });
    cleanups.push(() => dynamoClient.destroy());
    const tableName = `${model.stackName}-events`;
    const table = await createEventTable(dynamoClient, tableName);
    if (options.dataDir !== undefined || options.localstack !== undefined) {
      const { Count } = await dynamoClient.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
      emit({
        kind: 'step',
        message: `events table ${tableName}: ${Count ?? 0} item(s) kept from earlier runs`,
      });
    }
    resources.define(model.tableLogicalId, tableName, {
      Arn: `arn:aws:dynamodb:${region}:${ACCOUNT_ID}:table/${tableName}`,
      StreamArn: table.streamArn,
    });
    const topicArns: Record<string, string> = {};
    for (const topic of [...model.eventTopics, ...model.alertingTopics]) {
      const arn = await services.createTopic(topic.name);
      resources.define(topic.logicalId, arn, { TopicName: topic.name });
      if ('type' in topic) topicArns[topic.type] = arn;
    }
    const endpointKey = generateEndpointKey();
    const endpointKeySecretArn = await services.putSecret(
      `${model.stackName}/endpoint-key`,
      serializeEndpointKeys({ current: endpointKey, previous: '' }),
    );
    resources.define(model.endpointKeySecretLogicalId, endpointKeySecretArn);
    const campaignUser = {
      username: 'campaign-events-local',
      password: randomBytes(18).toString('base64url'),
    };
    await services.putSecret(config.campaign.credentialsSecretName, campaignUser);
    resources.define(model.restApiLogicalId, 'local', { RootResourceId: 'local-root' });
    resources.define(model.stageLogicalId, model.stageName);
    // The stack's queues are dead-letter queues: locally, their depth is counted (and alarmed on).
    const queueDepths = new Map<string, { name: string; depth: number }>();
    for (const logicalId of model.queueLogicalIds) {
      const name = `${model.stackName}-${logicalId}`;
      queueDepths.set(logicalId, { name, depth: 0 });
      resources.define(logicalId, `http://sqs.local/${ACCOUNT_ID}/${name}`, {
        QueueName: name,
        Arn: `arn:aws:sqs:${region}:${ACCOUNT_ID}:${name}`,
      });
    }
    const functionNames = new Map<LocalFunctionKey, string>();
    for (const [key, fn] of model.functions) {
      const name = `${model.stackName}-${key}`;
      functionNames.set(key, name);
      resources.define(fn.logicalId, name, {
        Arn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`,
      });
    }

    const slack = await startSlackReceiver(options.ports?.slack);
    cleanups.push(() => slack.stop());
    if (config.alerts.slackWebhookSecretName) {
      await services.putSecret(config.alerts.slackWebhookSecretName, { url: slack.webhookUrl });
    }

    // ---- metrics, logs and the handlers ----
    const metrics = new MetricStore();
    const counters = newCounters();
    const logListener = {
      onLog: (record: LogRecord) => emit({ kind: 'log', record }),
      onMetric(datum: MetricDatum) {
        metrics.put(datum);
        // The fan-out's total series (its per-EventType series count the same failures again).
        if (datum.name === 'PublishFailures' && datum.dimensions.EventType === undefined) {
          counters.publishFailures += sum(datum.values);
        }
      },
    };
    const handlers: LocalHandlers = await loadHandlers(
      model.functions,
      resources,
      env,
      (key) => functionOutputStream(functionNames.get(key) ?? key, logListener),
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

    const contextFor = (key: LocalFunctionKey) => () =>
      createLambdaContext({
        functionName: functionNames.get(key) ?? key,
        timeoutMs: (model.functions.get(key)?.timeoutSeconds ?? 30) * 1000,
        region,
        accountId: ACCOUNT_ID,
      });
    const lambdaMetric = (key: LocalFunctionKey, name: string, value: number) =>
      metrics.put({
        namespace: 'AWS/Lambda',
        name,
        dimensions: { FunctionName: functionNames.get(key) ?? key },
        timestamp: Date.now(),
        values: [value],
      });
    const invoked = (key: LocalFunctionKey, failed: boolean) => {
      lambdaMetric(key, 'Invocations', 1);
      lambdaMetric(key, 'Errors', failed ? 1 : 0);
    };

    // ---- ingest: API Gateway REST -> the ingest handler ----
    const apiMetric = (name: string, value: number) =>
      metrics.put({
        namespace: 'AWS/ApiGateway',
        name,
        dimensions: { ApiName: model.restApiName, Stage: model.stageName },
        timestamp: Date.now(),
        values: [value],
      });
    const ingest = async (event: APIGatewayProxyEvent, context: Context) => {
      try {
        const result = await handlers.ingest(event, context);
        invoked('ingest', false);
        counters.requests++;
        apiMetric('Count', 1);
        apiMetric('4XXError', result.statusCode >= 400 && result.statusCode < 500 ? 1 : 0);
        apiMetric('5XXError', result.statusCode >= 500 ? 1 : 0);
        const answer = ingestAnswer(result.statusCode, result.body);
        const userAgent = event.requestContext.identity.userAgent ?? '';
        if (userAgent !== SIMULATOR_USER_AGENT) emit({ kind: 'request', userAgent, answer });
        if (result.statusCode === 200) {
          counters.eventsReceived += answer.received ?? 0;
          counters.eventsAccepted += answer.accepted ?? 0;
          counters.eventsQuarantined += answer.quarantined ?? 0;
        } else counters.requestsRejected++;
        return result;
      } catch (error) {
        invoked('ingest', true);
        counters.requests++;
        counters.requestsRejected++;
        apiMetric('Count', 1);
        apiMetric('5XXError', 1);
        throw error;
      }
    };
    const ingestModel = model.functions.get('ingest');
    const adapter: ApiGatewayAdapter = await onPort(
      options.ports?.endpoint,
      'port',
      'the ingest endpoint',
      (port) =>
        startApiGatewayAdapter({
          port,
          path: model.ingestPath,
          stage: model.stageName,
          stageInUrl: true,
          // Campaign's documented sender address, as API Gateway would report it.
          sourceIp: CAMPAIGN_SENDER_CIDR.replace(/\/32$/, ''),
          handler: ingest,
          timeoutMs: (ingestModel?.timeoutSeconds ?? 28) * 1000,
          functionName: functionNames.get('ingest') ?? 'ingest',
        }),
    );
    cleanups.push(() => adapter.stop());

    // ---- the stream -> fan-out, with the stack's event source mapping ----
    const mapping = model.fanOutMapping;
    const passesFilter = compileFilterCriteria(mapping.filterPatterns);
    const filter = (record: DynamoDBRecord) => {
      const status = record.dynamodb?.NewImage?.status?.S;
      if (record.eventName === 'INSERT' && status === 'accepted') counters.storedAccepted++;
      if (record.eventName === 'INSERT' && status === 'quarantined') counters.storedQuarantined++;
      if (record.eventName === 'MODIFY') counters.redeliveredRecords++;
      return passesFilter(record);
    };
    const fanOut = async (event: DynamoDBStreamEvent, context: Context) => {
      counters.fanOutInvocations++;
      const oldest = Math.min(
        ...event.Records.map((r) => r.dynamodb?.ApproximateCreationDateTime ?? Infinity),
      );
      if (Number.isFinite(oldest))
        lambdaMetric('fanOut', 'IteratorAge', Math.max(0, Date.now() - oldest * 1000));
      try {
        const response = await handlers.fanOut(event, context);
        invoked('fanOut', false);
        return response;
      } catch (error) {
        invoked('fanOut', true);
        throw error;
      }
    };
    const driver = startStreamDriver({
      dynamoEndpoint: services.endpoints.dynamodb,
      streamArn: table.streamArn,
      handler: fanOut,
      filter,
      batchSize: mapping.batchSize,
      maxRetries: mapping.maximumRetryAttempts,
      bisectOnError: mapping.bisectBatchOnError,
      reportBatchItemFailures: mapping.reportBatchItemFailures,
      // A kept table's stream still holds what the previous run already published.
      startingPosition: options.dataDir ? 'LATEST' : mapping.startingPosition,
      timeoutMs: (model.functions.get('fanOut')?.timeoutSeconds ?? 60) * 1000,
      functionName: functionNames.get('fanOut') ?? 'fan-out',
      region,
    });
    cleanups.push(() => driver.stop());

    // ---- subscriptions: the taps on the event topics, then the stack's own (alert path) ----
    const published = new Map<CampaignEventType, TopicMessage[]>();
    const publishCounts = new Map<string, number>();
    let firstPublished = false;
    for (const [type, arn] of Object.entries(topicArns)) {
      await services.subscribe(arn, 'tap', (delivery) => {
        const body = JSON.parse(delivery.message) as Record<string, unknown>;
        const eventKey = String(body.eventKey);
        const eventType = (toEventType(body.eventType) ?? type) as CampaignEventType;
        const list = published.get(eventType) ?? [];
        published.set(eventType, list);
        list.push({ eventKey, body, attributes: delivery.attributes });
        if (list.length > KEPT_MESSAGES_PER_TYPE) list.shift();
        counters.published[eventType] = (counters.published[eventType] ?? 0) + 1;
        const category = delivery.attributes.bounceCategory?.stringValue;
        if (category === 'hard' || category === 'soft' || category === 'unknown')
          counters.bounces[category]++;
        const times = (publishCounts.get(eventKey) ?? 0) + 1;
        publishCounts.set(eventKey, times);
        if (times === 1) counters.publishedDistinct++;
        if (times === 2) counters.publishedTwice++;
        if (!firstPublished) {
          firstPublished = true;
          emit({ kind: 'first-published', eventType, afterMs: Date.now() - startedAt });
        }
      });
    }
    if (topicArns.bounce) {
      // The README's worked example: hard bounces for a CRM sync, by a filter policy on the bounce topic.
      await services.subscribe(topicArns.bounce, 'tap', () => void counters.crmHardBounces++, {
        bounceCategory: ['hard'],
      });
    }
    const emails: RenderedEmail[] = [];
    await subscribeStackSubscriptions(model, resources, services, {
      lambda: (key, delivery, subscriptionArn) => {
        const handler =
          key === 'alarmFormatter'
            ? handlers.alarmFormatter
            : key === 'slackNotifier'
              ? handlers.slackNotifier
              : undefined;
        if (handler === undefined) return Promise.resolve();
        return invokeAsync(async (context) => {
          try {
            await handler(snsEventFor(delivery, subscriptionArn), context);
            invoked(key, false);
          } catch (error) {
            invoked(key, true);
            throw error;
          }
        }, contextFor(key)).then((outcome) => {
          if (outcome.error !== undefined) {
            counters.lambdaFailures++;
            const dlq = model.functions.get(key)?.deadLetterQueueLogicalId;
            const queue = dlq === undefined ? undefined : queueDepths.get(dlq);
            if (queue) queue.depth++;
            emit({
              kind: 'lambda-failure',
              functionName: functionNames.get(key) ?? key,
              error: `${(outcome.error as Error).message ?? String(outcome.error)} (after ${outcome.attempts} attempts; the event would wait in the function's dead-letter queue)`,
            });
          }
        });
      },
      email: (delivery, topicName, filterPolicy) => {
        const email = renderEmail(delivery, topicName, filterPolicy, services.mode);
        emails.push(email);
        counters.emails++;
        emit({ kind: 'email', email });
      },
      functionKeyOf: (logicalId) =>
        [...model.functions.values()].find((fn) => fn.logicalId === logicalId)?.key,
      note: (message) => emit({ kind: 'note', message }),
    });
    slack.onPost((post) => {
      counters.slackPosts++;
      emit({ kind: 'slack', post });
    });

    if (options.snsFailureRatio !== undefined && options.snsFailureRatio > 0) {
      if (services.sns === undefined)
        throw new Error('--sns-failures works with the built-in SNS stand-in only');
      const ratio = options.snsFailureRatio;
      const eventTopicArns = new Set(Object.values(topicArns));
      const refusedOnce = new Set<string>();
      services.sns.failWhen((entry) => {
        if (!eventTopicArns.has(entry.topicArn) || refusedOnce.has(entry.message)) return false;
        if (Math.random() >= ratio) return false;
        refusedOnce.add(entry.message);
        return true;
      });
    }

    // ---- Campaign: the simulator, then the webhook registration of `cdk deploy` ----
    const simulator = await onPort(
      options.ports?.campaign,
      'campaign-port',
      'the Campaign API simulator',
      (port) => startCampaignSimulator({ port, users: [campaignUser] }),
    );
    cleanups.push(() => simulator.close());
    emit({
      kind: 'step',
      message: `Campaign API simulator ${simulator.baseUrl}; ingest endpoint ${adapter.url}; Slack receiver ${slack.webhookUrl}`,
    });
    const reconciler = handlers.webhookReconciler;
    if (reconciler === undefined) throw new Error('The stack has no webhook registration (custom resource)');
    const lifecycle = {
      handler: async (event: Parameters<typeof reconciler>[0], context: Context) => {
        try {
          const response = await reconciler(event, context);
          invoked('webhookReconciler', false);
          return response;
        } catch (error) {
          invoked('webhookReconciler', true);
          throw error;
        }
      },
      resources,
      stackName: model.stackName,
      region,
      accountId: ACCOUNT_ID,
      targetUrl: adapter.url,
      apiBaseUrl: simulator.baseUrl,
      newContext: contextFor('webhookReconciler'),
    };
    const webhooks = await createWebhooks(model.webhookResources, lifecycle);
    emit({ kind: 'webhooks', registrations: webhooks });

    // ---- alarms ----
    const alarms = new LocalAlarms(model.alarms, resources, { region, accountId: ACCOUNT_ID, startedAt });
    const transitions: AlarmTransition[] = [];
    const snsClient = new SNSClient({ endpoint: services.endpoints.sns, region });
    cleanups.push(() => snsClient.destroy());
    let evaluation: Promise<AlarmTransition[]> = Promise.resolve([]);
    const evaluateAlarms = () => {
      evaluation = evaluation.then(async () => {
        const fanOutDlq = queueDepths.get(model.fanOutDeadLetterQueueLogicalId);
        if (fanOutDlq) fanOutDlq.depth = driver.onFailureMessages.length;
        for (const queue of queueDepths.values()) {
          metrics.put({
            namespace: 'AWS/SQS',
            name: 'ApproximateNumberOfMessagesVisible',
            dimensions: { QueueName: queue.name },
            timestamp: Date.now(),
            values: [queue.depth],
          });
        }
        if (driver.stats.parked > counters.parked) {
          emit({ kind: 'parked', records: driver.stats.parked - counters.parked });
          counters.parked = driver.stats.parked;
        }
        const changed = alarms.evaluate(metrics);
        for (const transition of changed) {
          transitions.push(transition);
          counters.alarmNotifications++;
          emit({ kind: 'alarm', transition });
          for (const topicArn of transition.topics) {
            // As CloudWatch publishes: the alarm JSON, a subject, no message attributes.
            await snsClient.send(
              new PublishCommand({
                TopicArn: topicArn,
                Subject: LocalAlarms.subject(transition, region),
                Message: JSON.stringify(transition.notification),
              }),
            );
          }
        }
        if (changed.length > 0) await services.deliveriesSettled();
        return changed;
      });
      return evaluation;
    };
    const intervalMs = options.alarmIntervalMs ?? 2000;
    const alarmTimer =
      intervalMs > 0
        ? setInterval(() => {
            evaluateAlarms().catch((error: unknown) =>
              emit({ kind: 'note', message: `alarm evaluation failed: ${(error as Error).message}` }),
            );
            if (services.sns && services.sns.published.length > SNS_PUBLISHED_KEPT) {
              services.sns.published.splice(0, services.sns.published.length - SNS_PUBLISHED_KEPT);
            }
          }, intervalMs)
        : undefined;
    cleanups.push(() => clearInterval(alarmTimer));
    emit({
      kind: 'step',
      message: `alarms: ${alarms.alarms.length} of the stack's alarms evaluated locally every ${intervalMs / 1000} s${alarms.skipped.length > 0 ? `; not evaluated: ${alarms.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}` : ''}`,
    });

    // ---- traffic ----
    const generator =
      traffic === undefined
        ? undefined
        : new TrafficGenerator(simulator, config.campaign.clientIds, traffic, (batch: DeliveredBatch) => {
            const last = batch.reports[0]?.attempts.at(-1);
            emit({
              kind: 'batch',
              batch,
              answer: last === undefined ? undefined : ingestAnswer(last.status, last.body),
            });
          });
    generator?.start();

    let stopping: Promise<void> | undefined;
    const run: LocalRun = {
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
      endpointKey,
      campaignUser,
      tableName,
      topicArns,
      simulator,
      webhooks,
      driver,
      alarms,
      traffic: generator,
      counters,
      published,
      alerts: { transitions, emails, slack: slack.posts },
      startedAt,
      async post(body, postOptions = {}) {
        const key = postOptions.key === undefined ? endpointKey : postOptions.key;
        const response = await fetch(adapter.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(key === null ? {} : { [config.api.authHeaderName]: key }),
          },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        const text = await response.text();
        return { status: response.status, body: parseJson(text) };
      },
      evaluateAlarms,
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
          const page = await dynamoClient.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }));
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
          await evaluation.catch(() => undefined);
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
    return run;
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

interface SubscriptionTargets {
  lambda(key: LocalFunctionKey, delivery: SnsDelivery, subscriptionArn: string): Promise<void>;
  email(delivery: SnsDelivery, topicName: string, filterPolicy: object | undefined): void;
  functionKeyOf(logicalId: string): LocalFunctionKey | undefined;
  note(message: string): void;
}

/** The stack's SNS subscriptions, made locally: Lambda ones invoke the handler, email ones are rendered. */
async function subscribeStackSubscriptions(
  model: StackModel,
  resources: LocalResources,
  services: AwsServices,
  targets: SubscriptionTargets,
): Promise<void> {
  const topicNames = new Map(
    [...model.eventTopics, ...model.alertingTopics].map((topic) => [
      resources.resolveString({ Ref: topic.logicalId }, topic.name),
      topic.name,
    ]),
  );
  for (const subscription of model.subscriptions) {
    const props = subscription.properties;
    const topicArn = resources.resolveString(props.TopicArn, `subscription ${subscription.logicalId}`);
    const filterPolicy = props.FilterPolicy as object | undefined;
    const subscriptionArn = `${topicArn}:${subscription.logicalId}`;
    if (props.Protocol === 'lambda') {
      const [logicalId] = ((props.Endpoint as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'] ?? []) as string[];
      const key = logicalId === undefined ? undefined : targets.functionKeyOf(logicalId);
      if (key === undefined) {
        targets.note(`subscription ${subscription.logicalId}: its Lambda function is not run locally`);
        continue;
      }
      await services.subscribe(
        topicArn,
        'lambda',
        (delivery) => targets.lambda(key, delivery, subscriptionArn),
        filterPolicy,
      );
    } else if (props.Protocol === 'email') {
      const topicName = topicNames.get(topicArn) ?? topicArn;
      await services.subscribe(
        topicArn,
        'email',
        (delivery) => targets.email(delivery, topicName, filterPolicy),
        filterPolicy,
      );
    } else {
      targets.note(`subscription ${subscription.logicalId} (${String(props.Protocol)}) is not made locally`);
    }
  }
}

function renderEmail(
  delivery: SnsDelivery,
  topic: string,
  filterPolicy: object | undefined,
  mode: AwsServices['mode'],
): RenderedEmail {
  const severity = delivery.attributes.severity?.stringValue;
  let subject = delivery.subject ?? '';
  let body = delivery.message;
  if (mode === 'localstack' && body.trimStart().startsWith('{')) {
    // An HTTP subscription got the default (Chatbot) message: render the email the same code would send.
    const email = formatAlertEmail(
      alertFromSnsMessage(
        { message: body, subject, attributes: { ...(severity ? { severity } : {}) } },
        { defaultSeverity: 'warning' },
      ),
    );
    subject = email.subject;
    body = email.body;
  }
  return {
    topic,
    ...(filterPolicy ? { filterPolicy } : {}),
    ...(severity ? { severity } : {}),
    subject,
    body,
  };
}

function ingestAnswer(status: number, body: string | undefined): IngestAnswer {
  const parsed = parseJson(body ?? '');
  if (typeof parsed !== 'object' || parsed === null) return { status };
  return { status, ...(parsed as Omit<IngestAnswer, 'status'>) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function newCounters(): RunCounters {
  return {
    requests: 0,
    requestsRejected: 0,
    eventsReceived: 0,
    eventsAccepted: 0,
    eventsQuarantined: 0,
    storedAccepted: 0,
    storedQuarantined: 0,
    redeliveredRecords: 0,
    fanOutInvocations: 0,
    publishFailures: 0,
    parked: 0,
    published: {},
    bounces: { hard: 0, soft: 0, unknown: 0 },
    publishedDistinct: 0,
    publishedTwice: 0,
    crmHardBounces: 0,
    alarmNotifications: 0,
    emails: 0,
    slackPosts: 0,
    lambdaFailures: 0,
  };
}

import { type Duration, Resource, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CampaignEventType } from '../functions/shared/campaign-event-types.js';
import { PARKED_EVENTS_QUEUE_NAME } from '../functions/shared/contracts/parked-events-log.js';
import { type Config, type ConfigInput, parseConfig } from './config.js';
import { Alerting } from './constructs/alerting.js';
import { Archive } from './constructs/archive.js';
import { EndpointKey } from './constructs/endpoint-key.js';
import { EventTable } from './constructs/event-table.js';
import { EventTopics } from './constructs/event-topics.js';
import { FanOut } from './constructs/fan-out.js';
import { IngestApi, MAX_INGEST_TIMEOUT } from './constructs/ingest-api.js';
import { administeredKey, grantOperatorsDataKeyUse } from './constructs/key-access.js';
import { Monitoring, type WatchedFunction, type WatchedQueue } from './constructs/monitoring.js';
import type { FunctionSizing, ProjectFunction } from './constructs/project-function.js';
import { WebhookRegistration } from './constructs/webhook-registration.js';

export interface CampaignEventsProps {
  /**
   * The product's configuration, in the shape of cdk.json's `campaignEvents` (README, "Configuration
   * reference"), validated at synth: a bad value fails with its path and what is allowed.
   */
  readonly config: ConfigInput;
  /**
   * Your customer-managed key for the table, stream, topics, queues and secrets. It must be a key of
   * this stack (`kms.Key`, not imported): its policy is extended for the services that use it.
   * @default a new key, rotated yearly
   */
  readonly existingEncryptionKey?: kms.Key;
  /**
   * Your standard SNS topic for the formatted alerts (e.g. the platform's on-call topic), instead of a
   * new one: the alarm formatter publishes to it (granted, with the topic's key), the configured email,
   * Slack and Chatbot channels subscribe to it, and the alerting-health alarms publish to it directly.
   * A topic defined in your app gets the policy statements that let CloudWatch publish (topic and key);
   * an imported one (`Topic.fromTopicArn`) must allow that already, and synth warns. FIFO topics are refused.
   * @default a new topic `<stack name>-alerts`, encrypted with the alerting key
   */
  readonly existingAlertsTopic?: sns.ITopic;
  /** Permissions boundary on every IAM role this construct creates. @default none */
  readonly permissionsBoundary?: iam.IManagedPolicy;
  /** @default memory 512 MB, timeout 28 s (API Gateway ends requests at 29 s) */
  readonly ingestFunctionSizing?: FunctionSizing;
  /** @default see docs/SIZING.md */
  readonly fanOutFunctionSizing?: FunctionSizing;
}

/**
 * The whole product as one construct (an AWS Solutions Constructs-style L3): the ingest API, the event
 * table, the fan-out to one SNS topic per event type, the Campaign webhook lifecycle, alerting and
 * monitoring. One per stack (topic, alarm and API names start with the stack name).
 */
export class CampaignEvents extends Construct {
  /** The validated configuration, defaults applied. */
  readonly config: Config;
  /** The stack's customer-managed key (rotated yearly): table, stream, topics, queues, secrets. */
  readonly dataKey: kms.Key;
  readonly table: dynamodb.TableV2;
  readonly endpointKeySecret: secretsmanager.Secret;
  readonly restApi: apigateway.RestApi;
  /** The events POST URL registered with Campaign. */
  readonly endpointUrl: string;
  readonly ingestFunction: ProjectFunction;
  readonly fanOutFunction: ProjectFunction;
  readonly fanOutDeadLetterQueue: sqs.Queue;
  /** Events the fan-out parked: one message per event it can never publish as it is (content and reason). */
  readonly parkedEventsQueue: sqs.Queue;
  /** Events the fan-out held while SNS failed near the stream's retention; it publishes them from there. */
  readonly heldEventsQueue: sqs.Queue;
  readonly eventTopics: ReadonlyMap<CampaignEventType, sns.Topic>;
  /** Every alert, formatted, with a `severity` attribute: subscribe your own channels here. */
  readonly alertsTopic: sns.ITopic;
  /** Alerts topic, email/Slack/Chatbot subscribers, alarm formatter. */
  readonly alerting: Alerting;
  /** Operational and business alarms, and the dashboard. */
  readonly monitoring: Monitoring;
  /** The event archive (S3, Glue, Athena reports); absent unless archive.enabled. */
  readonly archive: Archive | undefined;
  /** The Campaign webhooks' deploy-time lifecycle (custom resource per client); absent when registerWebhooks is off. */
  readonly webhookRegistration: WebhookRegistration | undefined;

  constructor(scope: Construct, id: string, props: CampaignEventsProps) {
    super(scope, id);
    validateProps(scope, props);
    this.config = parseConfig(props.config, 'config');
    if (props.permissionsBoundary) iam.PermissionsBoundary.of(this).apply(props.permissionsBoundary);
    this.dataKey = this.createDataKey(props.existingEncryptionKey);

    const eventTable = new EventTable(this, 'EventTable', {
      encryptionKey: this.dataKey,
      retainData: this.config.retainData,
    });
    this.table = eventTable.table;
    const endpointKey = new EndpointKey(this, 'EndpointKey', {
      encryptionKey: this.dataKey,
      headerName: this.config.api.authHeaderName,
    });
    this.endpointKeySecret = endpointKey.secret;

    const ingestApi = this.createIngestApi(eventTable, endpointKey, props.ingestFunctionSizing);
    this.restApi = ingestApi.restApi;
    this.endpointUrl = ingestApi.endpointUrl;
    this.ingestFunction = ingestApi.ingestFunction;

    const eventTopics = this.createEventTopics();
    this.eventTopics = eventTopics.topics;
    const fanOut = this.createFanOut(eventTable, eventTopics, props.fanOutFunctionSizing);
    this.fanOutFunction = fanOut.fanOutFunction;
    this.fanOutDeadLetterQueue = fanOut.deadLetterQueue;
    this.parkedEventsQueue = fanOut.parkedEventsQueue;
    this.heldEventsQueue = fanOut.heldEventsQueue;

    // Verification and the first real events follow the registration at once: the ingest (function,
    // permissions, grants) and the fan-out with this deploy's topics (its TOPIC_ARNS) must be in place first.
    this.webhookRegistration = this.config.campaign.registerWebhooks
      ? this.createWebhookRegistration([ingestApi, eventTopics, fanOut])
      : undefined;
    this.alerting = this.createAlerting(props.existingAlertsTopic);
    this.archive = this.config.archive.enabled ? this.createArchive() : undefined;
    this.alertsTopic = this.alerting.alertsTopic;
    this.monitoring = this.createMonitoring(ingestApi);
  }

  private createDataKey(existingKey: kms.Key | undefined): kms.Key {
    const key =
      existingKey ??
      administeredKey(
        this,
        'DataKey',
        `${Stack.of(this).stackName}: encrypts Campaign events at rest (table, topics, queues, secrets)`,
        { serviceGrants: ['dynamodb'] },
      );
    grantOperatorsDataKeyUse(key, this.config.dataKeyOperators);
    return key;
  }

  private createIngestApi(
    eventTable: EventTable,
    endpointKey: EndpointKey,
    functionSizing: FunctionSizing | undefined,
  ): IngestApi {
    const { config } = this;
    return new IngestApi(this, 'IngestApi', {
      api: config.api,
      eventTypes: config.eventTypes,
      retentionDays: config.retentionDays,
      logRetentionDays: config.logRetentionDays,
      metricsNamespace: config.metricsNamespace,
      eventTable,
      endpointKey,
      functionSizing,
      payload: config.payload,
      verifyMailingId: config.campaign.verifyMailingId,
    });
  }

  private createEventTopics(): EventTopics {
    return new EventTopics(this, 'EventTopics', {
      eventTypes: this.config.eventTypes,
      encryptionKey: this.dataKey,
      topicNamePrefix: Stack.of(this).stackName,
      subscribers: {
        protocols: this.config.eventTopics.subscriptionProtocols,
        principals: this.config.eventTopics.subscribers,
      },
    });
  }

  private createFanOut(
    eventTable: EventTable,
    eventTopics: EventTopics,
    functionSizing: FunctionSizing | undefined,
  ): FanOut {
    return new FanOut(this, 'FanOut', {
      eventTable,
      eventTopics,
      encryptionKey: this.dataKey,
      logRetentionDays: this.config.logRetentionDays,
      metricsNamespace: this.config.metricsNamespace,
      retainData: this.config.retainData,
      functionSizing,
    });
  }

  private createWebhookRegistration(waitFor: readonly Construct[]): WebhookRegistration {
    const { config } = this;
    return new WebhookRegistration(this, 'WebhookRegistration', {
      clientIds: config.campaign.clientIds,
      eventTypes: config.eventTypes,
      endpointUrl: this.endpointUrl,
      authHeaderName: config.api.authHeaderName,
      endpointKeySecret: this.endpointKeySecret,
      credentialsSecretName: config.campaign.credentialsSecretName,
      apiStage: this.restApi.deploymentStage,
      waitFor,
      apiBaseUrl: config.campaign.apiBaseUrl,
      verifyMailingId: config.campaign.verifyMailingId,
      endpointKeyRotation: config.campaign.endpointKeyRotation,
      metricsNamespace: config.metricsNamespace,
      logRetentionDays: config.logRetentionDays,
    });
  }

  private createAlerting(existingAlertsTopic: sns.ITopic | undefined): Alerting {
    const { config } = this;
    return new Alerting(this, 'Alerting', {
      alertsTopic: existingAlertsTopic,
      parkedEventsLogGroup: this.fanOutFunction.logGroup,
      metricsNamespace: config.metricsNamespace,
      emails: config.alerts.emails,
      emailMinSeverity: config.alerts.emailMinSeverity,
      slackWebhookSecretName: config.alerts.slackWebhookSecretName,
      chatbotSlack: config.alerts.chatbotSlack,
      logRetentionDays: config.logRetentionDays,
      retainQueues: config.retainData,
    });
  }

  private createArchive(): Archive {
    return new Archive(this, 'Archive', {
      config: this.config.archive,
      eventTopics: this.eventTopics,
      encryptionKey: this.dataKey,
      router: this.alerting,
      retainData: this.config.retainData,
      logRetentionDays: this.config.logRetentionDays,
    });
  }

  private createMonitoring(ingestApi: IngestApi): Monitoring {
    const { config } = this;
    return new Monitoring(this, 'Monitoring', {
      router: this.alerting,
      metricsNamespace: config.metricsNamespace,
      eventTypes: config.eventTypes,
      thresholds: config.alerts.thresholds,
      dispatchSilence: config.alerts.dispatchSilence,
      apiStage: this.restApi.deploymentStage,
      apiThrottledRequests: ingestApi.throttledRequests,
      fanOutFunction: this.fanOutFunction,
      watchedFunctions: this.watchedFunctions(),
      deadLetterQueues: this.watchedDeadLetterQueues(),
      eventTopics: this.eventTopics,
      additionalAlarms: [...this.alerting.alarms, ...(this.archive?.alarms ?? [])],
    });
  }

  /** Every project function except the alarm formatter (Alerting alarms it); new functions go here. */
  private watchedFunctions(): WatchedFunction[] {
    const slackNotifier = this.alerting.slackNotifier;
    return [
      { name: 'ingest', function: this.ingestFunction, errorSeverity: 'critical' },
      { name: 'fan-out', function: this.fanOutFunction },
      ...(slackNotifier ? [{ name: 'slack-notifier', function: slackNotifier }] : []),
      ...(this.webhookRegistration
        ? [{ name: 'webhook-reconciler', function: this.webhookRegistration.onEventFunction }]
        : []),
    ];
  }

  private watchedDeadLetterQueues(): WatchedQueue[] {
    const fanOut: WatchedQueue[] = [
      {
        name: 'fan-out',
        queue: this.fanOutDeadLetterQueue,
        meaning:
          'Stream batches passed the maximum record age (22 h) unpublished: the fan-out could neither publish nor hold them. Subscribers lack them.',
        firstAction:
          'Read the fan-out errors and logs to find why it failed as a whole, fix it, then replay: ' +
          '`npm run redrive -- --stack <stack name>` (dry run), then with --yes (docs/REPLAY.md).',
      },
      {
        name: PARKED_EVENTS_QUEUE_NAME,
        queue: this.parkedEventsQueue,
        meaning:
          'The fan-out parked events it can never publish as they are (SNS called them invalid, no topic for their type, an unreadable item); every other event flowed. Subscribers lack these.',
        firstAction:
          'The alert names up to 10 parked events (key, code, reason); list them all: `npm run redrive -- --stack <stack name> --parked` ' +
          '(a dry run), or the fan-out log "Record parked". Fix the cause, then run it again with --yes (docs/REPLAY.md).',
      },
    ];
    if (!this.archive) return fanOut;
    return [
      ...fanOut,
      {
        name: 'archive',
        queue: this.archive.deadLetterQueue,
        severity: 'warning',
        meaning: 'SNS could not hand events to the archive delivery stream: the reports lack them.',
        firstAction:
          'Check the delivery stream (throttling, its state), then send the parked messages to it again (README, "Reports": re-send).',
      },
    ];
  }
}

/** Props that cannot work together or exceed a service limit fail at synth, naming the prop and the fix. */
function validateProps(scope: Construct, props: CampaignEventsProps): void {
  const problems = [
    ...sizingProblems('ingestFunctionSizing', props.ingestFunctionSizing, MAX_INGEST_TIMEOUT),
    ...sizingProblems('fanOutFunctionSizing', props.fanOutFunctionSizing),
    ...encryptionKeyProblems(scope, props.existingEncryptionKey),
    ...(props.existingAlertsTopic?.fifo
      ? [
          'existingAlertsTopic is a FIFO topic; CloudWatch alarm actions cannot publish to FIFO topics. ' +
            'Pass a standard topic, or omit it to let the construct create one.',
        ]
      : []),
  ];
  if (problems.length > 0) throw new Error(`CampaignEvents: ${problems.join('\nCampaignEvents: ')}`);
}

function sizingProblems(prop: string, sizing: FunctionSizing | undefined, maxTimeout?: Duration): string[] {
  const problems: string[] = [];
  const timeout = sizing?.timeout;
  if (maxTimeout && timeout !== undefined && timeout.toMilliseconds() > maxTimeout.toMilliseconds()) {
    problems.push(
      `${prop}.timeout is ${timeout.toHumanString()}; it must be at most ${maxTimeout.toHumanString()}, ` +
        'because API Gateway ends the request at 29 seconds.',
    );
  }
  if (sizing?.reservedConcurrentExecutions === 0) {
    problems.push(
      `${prop}.reservedConcurrentExecutions is 0, which stops the function; ` +
        'set at least 1, or omit it for no reservation.',
    );
  }
  return problems;
}

/** The key's policy is extended for the roles created here: it must be a key of this stack. */
function encryptionKeyProblems(scope: Construct, key: kms.IKey | undefined): string[] {
  if (key === undefined) return [];
  if (!Resource.isOwnedResource(key)) {
    return [
      `existingEncryptionKey ${key.node.path} is imported; its key policy must be extended for the roles ` +
        'this construct creates. Pass a kms.Key defined in this stack, or omit it to let the construct create one.',
    ];
  }
  if (Stack.of(key) !== Stack.of(scope)) {
    return [
      `existingEncryptionKey is defined in stack ${Stack.of(key).stackName}, not in ${Stack.of(scope).stackName}; ` +
        'its policy names roles of this stack, which would make the two stacks depend on each other. ' +
        'Define the key in the stack that holds CampaignEvents, or omit it.',
    ];
  }
  return [];
}

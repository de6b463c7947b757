import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { CampaignEventsStack } from '../../infra/campaign-events-stack.js';
import type { Config } from '../../infra/config.js';
import { EVENTS_PATH } from '../../infra/constructs/ingest-api.js';
import { cdkJsonFeatureFlags } from '../../infra/feature-flags.js';

/**
 * What the local run takes from the stack itself, so that it cannot drift from what `cdk deploy` creates:
 * the stack is built in memory from the same configuration (no bundling, nothing written) and read as the
 * CloudFormation template it would deploy: each function's environment and timeout, the fan-out's event
 * source mapping (filter criteria, batch size, retries), topic names, subscriptions and their filter
 * policies, every alarm, and the webhook custom resources' properties.
 */

/** The functions the local run hosts in-process, and where their deployed handler module is. */
export const LOCAL_FUNCTIONS = [
  'ingest',
  'fanOut',
  'alarmFormatter',
  'slackNotifier',
  'webhookReconciler',
] as const;
export type LocalFunctionKey = (typeof LOCAL_FUNCTIONS)[number];

export interface FunctionModel {
  readonly key: LocalFunctionKey;
  readonly logicalId: string;
  /** Environment variables as CloudFormation would set them (intrinsics unresolved). */
  readonly environment: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds: number;
  /** The queue that keeps an asynchronous event after Lambda's retries (DeadLetterConfig), if any. */
  readonly deadLetterQueueLogicalId?: string;
}

export interface EventSourceMappingModel {
  readonly filterPatterns: readonly string[];
  readonly batchSize: number;
  readonly maximumRetryAttempts: number;
  readonly bisectBatchOnError: boolean;
  readonly reportBatchItemFailures: boolean;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
}

export interface ResourceModel {
  readonly logicalId: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface StackModel {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly functions: ReadonlyMap<LocalFunctionKey, FunctionModel>;
  readonly tableLogicalId: string;
  readonly endpointKeySecretLogicalId: string;
  readonly restApiLogicalId: string;
  readonly restApiName: string;
  readonly stageLogicalId: string;
  readonly stageName: string;
  /** The ingest resource path, e.g. `/events`. */
  readonly ingestPath: string;
  readonly fanOutDeadLetterQueueLogicalId: string;
  /** Every SQS queue of the stack (dead-letter queues), by logical id. */
  readonly queueLogicalIds: readonly string[];
  /** The ingest's large-event bucket (S3 is not emulated by this run: a name is all the ingest needs). */
  readonly largeEventBucketLogicalIds: readonly string[];
  readonly eventTopics: ReadonlyArray<{ type: CampaignEventType; logicalId: string; name: string }>;
  /** The alerting topics: alarms, alerts, alerting health. */
  readonly alertingTopics: ReadonlyArray<{
    role: 'alarms' | 'alerts' | 'health';
    logicalId: string;
    name: string;
  }>;
  readonly fanOutMapping: EventSourceMappingModel;
  readonly subscriptions: readonly ResourceModel[];
  readonly alarms: readonly ResourceModel[];
  readonly webhookResources: readonly ResourceModel[];
  /** The archive's Firehose stream and Glue table (archive.enabled). */
  readonly deliveryStreams: readonly ResourceModel[];
  readonly glueTables: readonly ResourceModel[];
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export function buildStackModel(config: Config, opts: { region: string; accountId: string }): StackModel {
  const app = new App({ context: { ...cdkJsonFeatureFlags(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new CampaignEventsStack(app, config.stackName, {
    config,
    env: { account: opts.accountId, region: opts.region },
  });
  const resources = templateResources(stack);
  const idOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const ofType = (type: string): ResourceModel[] =>
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([logicalId, resource]) => ({ logicalId, properties: resource.Properties ?? {} }));

  const functionConstructs: Record<LocalFunctionKey, { node: { defaultChild?: unknown } } | undefined> = {
    ingest: stack.events.ingestFunction,
    fanOut: stack.events.fanOutFunction,
    alarmFormatter: stack.events.alerting.alarmFormatter,
    slackNotifier: stack.events.alerting.slackNotifier,
    webhookReconciler: stack.events.webhookRegistration?.onEventFunction,
  };
  const functions = new Map<LocalFunctionKey, FunctionModel>();
  for (const key of LOCAL_FUNCTIONS) {
    const construct = functionConstructs[key];
    if (construct === undefined) continue;
    const logicalId = idOf(construct);
    const properties = resources[logicalId]?.Properties ?? {};
    const variables = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    const deadLetterTarget = (
      properties.DeadLetterConfig as { TargetArn?: { 'Fn::GetAtt'?: string[] } } | undefined
    )?.TargetArn?.['Fn::GetAtt']?.[0];
    functions.set(key, {
      key,
      logicalId,
      environment: variables ?? {},
      timeoutSeconds: Number(properties.Timeout ?? 3),
      ...(deadLetterTarget === undefined ? {} : { deadLetterQueueLogicalId: deadLetterTarget }),
    });
  }

  const fanOutId = functions.get('fanOut')?.logicalId;
  const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
    (candidate) => (candidate.properties.FunctionName as { Ref?: string } | undefined)?.Ref === fanOutId,
  );
  if (mapping === undefined)
    throw new Error('The stack has no event source mapping for the fan-out function');
  const mappingProps = mapping.properties;
  const filters = (mappingProps.FilterCriteria as { Filters?: Array<{ Pattern: string }> } | undefined)
    ?.Filters;

  const stage = stack.events.restApi.deploymentStage;
  return {
    stackName: stack.stackName,
    region: opts.region,
    accountId: opts.accountId,
    functions,
    tableLogicalId: idOf(stack.events.table),
    endpointKeySecretLogicalId: idOf(stack.events.endpointKeySecret),
    restApiLogicalId: idOf(stack.events.restApi),
    restApiName: String(resources[idOf(stack.events.restApi)]?.Properties?.Name ?? ''),
    stageLogicalId: idOf(stage),
    stageName: String(resources[idOf(stage)]?.Properties?.StageName ?? 'prod'),
    ingestPath: `/${EVENTS_PATH}`,
    fanOutDeadLetterQueueLogicalId: idOf(stack.events.fanOutDeadLetterQueue),
    queueLogicalIds: ofType('AWS::SQS::Queue').map((queue) => queue.logicalId),
    largeEventBucketLogicalIds: ofType('AWS::S3::Bucket')
      .map((bucket) => bucket.logicalId)
      .filter((logicalId) => logicalId.includes('LargeEvents')),
    eventTopics: [...stack.events.eventTopics].map(([type, topic]) => ({
      type,
      logicalId: idOf(topic),
      name: String(resources[idOf(topic)]?.Properties?.TopicName),
    })),
    alertingTopics: (
      [
        ['alarms', stack.events.alerting.alarmTopic],
        ['alerts', stack.events.alerting.alertsTopic],
        ['health', stack.events.alerting.healthTopic],
      ] as const
    ).map(([role, topic]) => ({
      role,
      logicalId: idOf(topic),
      name: String(resources[idOf(topic)]?.Properties?.TopicName),
    })),
    fanOutMapping: {
      filterPatterns: (filters ?? []).map((filter) => filter.Pattern),
      batchSize: Number(mappingProps.BatchSize ?? 100),
      maximumRetryAttempts: Number(mappingProps.MaximumRetryAttempts ?? -1),
      bisectBatchOnError: mappingProps.BisectBatchOnFunctionError === true,
      reportBatchItemFailures: ((mappingProps.FunctionResponseTypes as string[] | undefined) ?? []).includes(
        'ReportBatchItemFailures',
      ),
      startingPosition: mappingProps.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
    },
    subscriptions: ofType('AWS::SNS::Subscription'),
    alarms: ofType('AWS::CloudWatch::Alarm'),
    webhookResources: ofType('Custom::CampaignWebhooks'),
    deliveryStreams: ofType('AWS::KinesisFirehose::DeliveryStream'),
    glueTables: ofType('AWS::Glue::Table'),
  };
}

/**
 * The stack's resources as CloudFormation JSON. `_toCloudFormation` is the CDK's own step of synthesis
 * (what `cdk synth` writes per stack) without asset staging, which would take seconds and is not needed.
 */
function templateResources(stack: Stack): Record<string, TemplateResource> {
  const template = stack.resolve(
    (stack as unknown as { _toCloudFormation(): unknown })._toCloudFormation(),
  ) as {
    Resources?: Record<string, TemplateResource>;
  };
  return template.Resources ?? {};
}

import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { WEBHOOK_RESOURCE_TYPE } from '../../functions/shared/contracts/webhook-resource.js';
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
  /** The log group the function writes to (LoggingConfig), if the stack declares one. */
  readonly logGroupLogicalId?: string;
}

export interface EventSourceMappingModel {
  readonly logicalId: string;
  /** The function the mapping invokes. */
  readonly functionKey: LocalFunctionKey;
  /** Where the records come from: a table's stream, or a queue. */
  readonly source: { readonly kind: 'table-stream' | 'queue'; readonly logicalId: string };
  readonly filterPatterns: readonly string[];
  readonly batchSize: number;
  readonly maximumRetryAttempts: number;
  readonly bisectBatchOnError: boolean;
  readonly reportBatchItemFailures: boolean;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** The queue Lambda sends a batch's on-failure record to, by logical id. */
  readonly onFailureQueueLogicalId?: string;
  /** Records older than this go to the on-failure queue (-1: no limit); the stream driver applies it. */
  readonly maximumRecordAgeSeconds: number;
  /** Not reproduced locally; kept so a test or the report can say what differs. */
  readonly maximumBatchingWindowSeconds: number;
  readonly parallelizationFactor: number;
}

export interface ResourceModel {
  readonly logicalId: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A DynamoDB table of the stack, with what DynamoDB Local needs to create it as the stack declares it. */
export interface TableModel {
  readonly logicalId: string;
  readonly keySchema: ReadonlyArray<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;
  readonly attributeDefinitions: ReadonlyArray<{ AttributeName: string; AttributeType: 'S' | 'N' | 'B' }>;
  readonly streamViewType?: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';
  readonly timeToLiveAttribute?: string;
}

export interface TopicModel {
  readonly logicalId: string;
  readonly name: string;
}

export interface StackModel {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly functions: ReadonlyMap<LocalFunctionKey, FunctionModel>;
  /** Every DynamoDB table of the stack. */
  readonly tables: readonly TableModel[];
  /** Every SNS topic of the stack. */
  readonly topics: readonly TopicModel[];
  /** Every SQS queue of the stack, by logical id. */
  readonly queueLogicalIds: readonly string[];
  /** Every SQS queue of the stack with its properties (VisibilityTimeout, MessageRetentionPeriod, ...). */
  readonly queues: readonly ResourceModel[];
  /** Every S3 bucket of the stack, by logical id. */
  readonly bucketLogicalIds: readonly string[];
  /** Every event source mapping of a function the local run hosts. */
  readonly eventSourceMappings: readonly EventSourceMappingModel[];
  /** The events table (the ingest writes it, its stream feeds the fan-out). */
  readonly tableLogicalId: string;
  readonly endpointKeySecretLogicalId: string;
  readonly restApiLogicalId: string;
  readonly restApiName: string;
  /** The REST API's binaryMediaTypes: bodies of these content types reach the ingest base64-encoded. */
  readonly binaryMediaTypes: readonly string[];
  readonly stageLogicalId: string;
  readonly stageName: string;
  /** The ingest resource path, e.g. `/events`. */
  readonly ingestPath: string;
  readonly fanOutDeadLetterQueueLogicalId: string;
  readonly eventTopics: ReadonlyArray<{ type: CampaignEventType; logicalId: string; name: string }>;
  /** The alerting topics: alarms, alerts, alerting health. */
  readonly alertingTopics: ReadonlyArray<{
    role: 'alarms' | 'alerts' | 'health';
    logicalId: string;
    name: string;
  }>;
  /** The fan-out's mapping on the events table's stream. */
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

type Resources = Record<string, TemplateResource>;
type IdOf = (construct: { node: { defaultChild?: unknown } }) => string;

export function buildStackModel(config: Config, opts: { region: string; accountId: string }): StackModel {
  const app = new App({ context: { ...cdkJsonFeatureFlags(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new CampaignEventsStack(app, config.stackName, {
    config,
    env: { account: opts.accountId, region: opts.region },
  });
  const resources = templateResources(stack);
  const idOf: IdOf = (construct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const functions = functionModels(stack, resources, idOf);
  const eventSourceMappings = ofType(resources, 'AWS::Lambda::EventSourceMapping').flatMap((mapping) =>
    mappingModel(mapping, functions),
  );
  const tableLogicalId = idOf(stack.events.table);
  const fanOutMapping = eventSourceMappings.find(
    (mapping) => mapping.functionKey === 'fanOut' && mapping.source.logicalId === tableLogicalId,
  );
  if (fanOutMapping === undefined) {
    throw new Error("The stack has no event source mapping from the events table's stream to the fan-out");
  }
  const topicModel = (topic: { node: { defaultChild?: unknown } }) => ({
    logicalId: idOf(topic),
    name: String(resources[idOf(topic)]?.Properties?.TopicName),
  });
  const stage = stack.events.restApi.deploymentStage;
  return {
    stackName: stack.stackName,
    region: opts.region,
    accountId: opts.accountId,
    functions,
    tables: ofType(resources, 'AWS::DynamoDB::GlobalTable').map(tableModel),
    topics: ofType(resources, 'AWS::SNS::Topic').map(({ logicalId, properties }) => ({
      logicalId,
      name: String(properties.TopicName ?? `${stack.stackName}-${logicalId}`),
    })),
    queueLogicalIds: ofType(resources, 'AWS::SQS::Queue').map((queue) => queue.logicalId),
    queues: ofType(resources, 'AWS::SQS::Queue'),
    bucketLogicalIds: ofType(resources, 'AWS::S3::Bucket').map((bucket) => bucket.logicalId),
    eventSourceMappings,
    tableLogicalId,
    endpointKeySecretLogicalId: idOf(stack.events.endpointKeySecret),
    restApiLogicalId: idOf(stack.events.restApi),
    restApiName: String(resources[idOf(stack.events.restApi)]?.Properties?.Name ?? ''),
    binaryMediaTypes: binaryMediaTypes(resources[idOf(stack.events.restApi)]),
    stageLogicalId: idOf(stage),
    stageName: String(resources[idOf(stage)]?.Properties?.StageName ?? 'prod'),
    ingestPath: `/${EVENTS_PATH}`,
    fanOutDeadLetterQueueLogicalId: idOf(stack.events.fanOutDeadLetterQueue),
    eventTopics: [...stack.events.eventTopics].map(([type, topic]) => ({ type, ...topicModel(topic) })),
    alertingTopics: (
      [
        ['alarms', stack.events.alerting.alarmTopic],
        ['alerts', stack.events.alerting.alertsTopic],
        ['health', stack.events.alerting.healthTopic],
      ] as const
    ).map(([role, topic]) => ({ role, ...topicModel(topic) })),
    fanOutMapping,
    subscriptions: ofType(resources, 'AWS::SNS::Subscription'),
    alarms: ofType(resources, 'AWS::CloudWatch::Alarm'),
    webhookResources: ofType(resources, WEBHOOK_RESOURCE_TYPE),
    deliveryStreams: ofType(resources, 'AWS::KinesisFirehose::DeliveryStream'),
    glueTables: ofType(resources, 'AWS::Glue::Table'),
  };
}

/** CloudFormation documents a media type's `/` written as `~1`; the CDK writes it plain: both are read. */
function binaryMediaTypes(restApi: TemplateResource | undefined): string[] {
  const types = (restApi?.Properties?.BinaryMediaTypes as string[] | undefined) ?? [];
  return types.map((type) => type.replaceAll('~1', '/'));
}

function ofType(resources: Resources, type: string): ResourceModel[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([logicalId, resource]) => ({ logicalId, properties: resource.Properties ?? {} }));
}

function functionModels(
  stack: CampaignEventsStack,
  resources: Resources,
  idOf: IdOf,
): Map<LocalFunctionKey, FunctionModel> {
  const constructs: Record<LocalFunctionKey, { node: { defaultChild?: unknown } } | undefined> = {
    ingest: stack.events.ingestFunction,
    fanOut: stack.events.fanOutFunction,
    alarmFormatter: stack.events.alerting.alarmFormatter,
    slackNotifier: stack.events.alerting.slackNotifier,
    webhookReconciler: stack.events.webhookRegistration?.onEventFunction,
  };
  const functions = new Map<LocalFunctionKey, FunctionModel>();
  for (const key of LOCAL_FUNCTIONS) {
    const construct = constructs[key];
    if (construct === undefined) continue;
    const logicalId = idOf(construct);
    const properties = resources[logicalId]?.Properties ?? {};
    const variables = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    const deadLetterTarget = getAttTarget(
      (properties.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn,
    );
    const logGroup = (properties.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
    functions.set(key, {
      key,
      logicalId,
      environment: variables ?? {},
      timeoutSeconds: Number(properties.Timeout ?? 3),
      ...(deadLetterTarget === undefined ? {} : { deadLetterQueueLogicalId: deadLetterTarget }),
      ...(logGroup === undefined ? {} : { logGroupLogicalId: logGroup }),
    });
  }
  return functions;
}

/** The logical id of `{"Fn::GetAtt": [id, ...]}`, if `value` is one. */
function getAttTarget(value: unknown): string | undefined {
  return (value as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
}

function tableModel({ logicalId, properties }: ResourceModel): TableModel {
  const stream = properties.StreamSpecification as { StreamViewType?: string } | undefined;
  const ttl = properties.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  return {
    logicalId,
    keySchema: properties.KeySchema as TableModel['keySchema'],
    attributeDefinitions: properties.AttributeDefinitions as TableModel['attributeDefinitions'],
    ...(stream?.StreamViewType
      ? { streamViewType: stream.StreamViewType as NonNullable<TableModel['streamViewType']> }
      : {}),
    ...(ttl?.Enabled && ttl.AttributeName ? { timeToLiveAttribute: ttl.AttributeName } : {}),
  };
}

/** The mapping, when it invokes a function the local run hosts (none otherwise). */
function mappingModel(
  { logicalId, properties }: ResourceModel,
  functions: ReadonlyMap<LocalFunctionKey, FunctionModel>,
): EventSourceMappingModel[] {
  const functionId = (properties.FunctionName as { Ref?: string } | undefined)?.Ref;
  const fn = [...functions.values()].find((candidate) => candidate.logicalId === functionId);
  const sourceArn = properties.EventSourceArn as { 'Fn::GetAtt'?: string[] } | undefined;
  const [sourceId, attribute] = sourceArn?.['Fn::GetAtt'] ?? [];
  if (fn === undefined || sourceId === undefined) return [];
  const filters = (properties.FilterCriteria as { Filters?: Array<{ Pattern: string }> } | undefined)
    ?.Filters;
  const onFailure = getAttTarget(
    (properties.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
      ?.Destination,
  );
  const responseTypes = (properties.FunctionResponseTypes as string[] | undefined) ?? [];
  return [
    {
      logicalId,
      functionKey: fn.key,
      source: { kind: attribute === 'StreamArn' ? 'table-stream' : 'queue', logicalId: sourceId },
      filterPatterns: (filters ?? []).map((filter) => filter.Pattern),
      batchSize: Number(properties.BatchSize ?? 100),
      maximumRetryAttempts: Number(properties.MaximumRetryAttempts ?? -1),
      bisectBatchOnError: properties.BisectBatchOnFunctionError === true,
      reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
      startingPosition: properties.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
      ...(onFailure === undefined ? {} : { onFailureQueueLogicalId: onFailure }),
      maximumBatchingWindowSeconds: Number(properties.MaximumBatchingWindowInSeconds ?? 0),
      parallelizationFactor: Number(properties.ParallelizationFactor ?? 1),
      maximumRecordAgeSeconds: Number(properties.MaximumRecordAgeInSeconds ?? -1),
    },
  ];
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

import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  generateEndpointKey,
  serializeEndpointKeys,
} from '../../functions/webhook-reconciler/endpoint-key.js';
import type { Config } from '../../infra/config.js';
import { LocalResources } from './intrinsics.js';
import { LOCAL_CREDENTIALS, type LocalServices } from './services.js';
import type { LocalFunctionKey, StackModel } from './stack-model.js';
import { createTable } from './tables.js';

/**
 * The stack's resources, created locally under names derived from the stack's: every table (DynamoDB
 * Local, as the template declares it), topic (SNS stand-in), queue (SQS stand-in) and bucket (s3rver), the
 * secrets (a generated endpoint key, the Campaign API user, the Slack webhook URL) and the function names.
 * Each is registered with its logical id, so the stack's `Ref`s and `Fn::GetAtt`s resolve to it. A new
 * resource type of the stack is one more `provisionX` here.
 */

export interface ProvisionedResources {
  readonly resources: LocalResources;
  /** The events table. */
  readonly tableName: string;
  readonly streamArn: string;
  /** Local table names and stream ARNs, by logical id. */
  readonly tables: ReadonlyMap<string, { readonly name: string; readonly streamArn?: string }>;
  /** Items already in the events table (a kept DynamoDB Local database). */
  readonly keptItems: number | undefined;
  /** Event type -> topic ARN. */
  readonly topicArns: Readonly<Record<string, string>>;
  readonly endpointKey: string;
  readonly endpointKeySecretArn: string;
  readonly endpointKeySecretName: string;
  readonly campaignUser: { readonly username: string; readonly password: string };
  /** Local function names, by function. */
  readonly functionNames: ReadonlyMap<LocalFunctionKey, string>;
  /** The log group each function writes to (Lambda's `/aws/lambda/<name>`), by function name. */
  readonly logGroups: ReadonlyMap<string, string>;
  /** Local queues, by logical id. */
  readonly queues: ReadonlyMap<string, { readonly name: string; readonly url: string }>;
  /** Local bucket names, by logical id. */
  readonly buckets: ReadonlyMap<string, string>;
}

export interface ProvisionOptions {
  readonly model: StackModel;
  readonly config: Config;
  readonly services: LocalServices;
  readonly dynamoClient: DynamoDBClient;
  /** Where the Slack sender posts (the local receiver), if it runs. */
  readonly slackWebhookUrl?: string;
  /** Count the items already in the table. */
  readonly countKeptItems: boolean;
}

export const CAMPAIGN_API_USER = 'campaign-events-local';

export async function provisionResources(opts: ProvisionOptions): Promise<ProvisionedResources> {
  const { model } = opts;
  const resources = new LocalResources({
    region: model.region,
    accountId: model.accountId,
    stackName: model.stackName,
  });
  const tables = await provisionTables(opts, resources);
  const events = tables.get(model.tableLogicalId);
  if (events?.streamArn === undefined) throw new Error('The events table has no stream');
  const topicArns = await provisionTopics(opts, resources);
  const queues = provisionQueues(opts, resources);
  const buckets = await provisionBuckets(opts, resources);
  const secrets = await provisionSecrets(opts, resources);
  resources.define(model.restApiLogicalId, 'local', { RootResourceId: 'local-root' });
  resources.define(model.stageLogicalId, model.stageName);
  const functionNames = new Map<LocalFunctionKey, string>();
  const logGroups = new Map<string, string>();
  for (const [key, fn] of model.functions) {
    const name = `${model.stackName}-${key}`;
    functionNames.set(key, name);
    resources.define(fn.logicalId, name, { Arn: arn(model, 'lambda', `function:${name}`) });
    if (fn.logGroupLogicalId === undefined) continue;
    const logGroup = `/aws/lambda/${name}`;
    logGroups.set(name, logGroup);
    resources.define(fn.logGroupLogicalId, logGroup, { Arn: arn(model, 'logs', `log-group:${logGroup}:*`) });
  }
  return {
    resources,
    tableName: events.name,
    streamArn: events.streamArn,
    tables,
    keptItems: opts.countKeptItems ? await countItems(opts.dynamoClient, events.name) : undefined,
    topicArns,
    ...secrets,
    functionNames,
    logGroups,
    queues,
    buckets,
  };
}

const arn = (model: StackModel, service: string, resource: string) =>
  `arn:aws:${service}:${model.region}:${model.accountId}:${resource}`;

async function provisionTables(
  { model, dynamoClient }: ProvisionOptions,
  resources: LocalResources,
): Promise<Map<string, { name: string; streamArn?: string }>> {
  const tables = new Map<string, { name: string; streamArn?: string }>();
  for (const table of model.tables) {
    const suffix = table.logicalId === model.tableLogicalId ? 'events' : table.logicalId;
    const name = `${model.stackName}-${suffix}`;
    const { streamArn } = await createTable(dynamoClient, name, table);
    tables.set(table.logicalId, { name, ...(streamArn === undefined ? {} : { streamArn }) });
    resources.define(table.logicalId, name, {
      Arn: arn(model, 'dynamodb', `table/${name}`),
      ...(streamArn === undefined ? {} : { StreamArn: streamArn }),
    });
  }
  return tables;
}

async function provisionTopics(
  { model, services }: ProvisionOptions,
  resources: LocalResources,
): Promise<Record<string, string>> {
  const arns = new Map<string, string>();
  for (const topic of model.topics) {
    const topicArn = await services.createTopic(topic.name);
    arns.set(topic.logicalId, topicArn);
    resources.define(topic.logicalId, topicArn, { TopicName: topic.name, TopicArn: topicArn });
  }
  return Object.fromEntries(
    model.eventTopics.map((topic) => [topic.type, arns.get(topic.logicalId) as string]),
  );
}

function provisionQueues(
  { model, services }: ProvisionOptions,
  resources: LocalResources,
): Map<string, { name: string; url: string }> {
  const queues = new Map<string, { name: string; url: string }>();
  for (const { logicalId, properties } of model.queues) {
    const name = `${model.stackName}-${logicalId}`;
    const url = services.sqs.createQueue(name, queueAttributes(properties));
    queues.set(logicalId, { name, url });
    resources.define(logicalId, url, { QueueName: name, Arn: arn(model, 'sqs', name), QueueUrl: url });
  }
  return queues;
}

/** The template's queue settings SQS (and the stand-in) act on. */
function queueAttributes(properties: Readonly<Record<string, unknown>>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds']) {
    if (typeof properties[name] === 'number') attributes[name] = String(properties[name]);
  }
  return attributes;
}

async function provisionBuckets(
  { model, services }: ProvisionOptions,
  resources: LocalResources,
): Promise<Map<string, string>> {
  const buckets = new Map<string, string>();
  if (model.bucketLogicalIds.length === 0) return buckets;
  const client = new S3Client({
    endpoint: services.endpoints.s3,
    region: model.region,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    for (const logicalId of model.bucketLogicalIds) {
      // Bucket names are lower case, at most 63 characters.
      const name = `${model.stackName}-${logicalId}`.toLowerCase().slice(0, 63);
      await client.send(new CreateBucketCommand({ Bucket: name })).catch((error: unknown) => {
        // s3rver answers BucketAlreadyExists for its own buckets (one local owner): a restarted stack's.
        const { name: code } = error as Error;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
      });
      buckets.set(logicalId, name);
      resources.define(logicalId, name, {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${model.region}.amazonaws.com`,
      });
    }
  } finally {
    client.destroy();
  }
  return buckets;
}

async function provisionSecrets(
  { model, config, services, slackWebhookUrl }: ProvisionOptions,
  resources: LocalResources,
) {
  const endpointKey = generateEndpointKey();
  const endpointKeySecretName = `${model.stackName}/endpoint-key`;
  const endpointKeySecretArn = await services.putSecret(
    endpointKeySecretName,
    serializeEndpointKeys({ current: endpointKey, previous: '' }),
  );
  resources.define(model.endpointKeySecretLogicalId, endpointKeySecretArn);
  const campaignUser = { username: CAMPAIGN_API_USER, password: randomBytes(18).toString('base64url') };
  await services.putSecret(config.campaign.credentialsSecretName, campaignUser);
  if (config.alerts.slackWebhookSecretName && slackWebhookUrl !== undefined) {
    await services.putSecret(config.alerts.slackWebhookSecretName, { url: slackWebhookUrl });
  }
  return { endpointKey, endpointKeySecretArn, endpointKeySecretName, campaignUser };
}

async function countItems(client: DynamoDBClient, tableName: string): Promise<number> {
  const { Count } = await client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
  return Count ?? 0;
}

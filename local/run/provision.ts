import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  generateEndpointKey,
  serializeEndpointKeys,
} from '../../functions/webhook-reconciler/endpoint-key.js';
import type { Config } from '../../infra/config.js';
import { createEventTable } from '../event-table.js';
import type { AwsServices } from './aws-services.js';
import { LocalResources } from './intrinsics.js';
import type { LocalFunctionKey, StackModel } from './stack-model.js';

/**
 * The stack's resources, created locally under the names the stack gives them: the events table, the
 * event and alerting topics, the secrets (a generated endpoint key, the Campaign API user, the Slack
 * webhook URL), and the names of the functions and dead-letter queues. Each is registered with its
 * logical id, so the stack's `Ref`s and `Fn::GetAtt`s resolve to it.
 */

export interface ProvisionedResources {
  readonly resources: LocalResources;
  readonly tableName: string;
  readonly streamArn: string;
  /** Items already in the table (a kept DynamoDB Local database, or LocalStack). */
  readonly keptItems: number | undefined;
  /** Event type -> topic ARN. */
  readonly topicArns: Readonly<Record<string, string>>;
  readonly endpointKey: string;
  readonly campaignUser: { readonly username: string; readonly password: string };
  /** Local function names, by function. */
  readonly functionNames: ReadonlyMap<LocalFunctionKey, string>;
  /** Local queue names, by logical id (the stack's queues are all dead-letter queues). */
  readonly queueNames: ReadonlyMap<string, string>;
}

export interface ProvisionOptions {
  readonly model: StackModel;
  readonly config: Config;
  readonly services: AwsServices;
  readonly dynamoClient: DynamoDBClient;
  readonly region: string;
  readonly accountId: string;
  /** Where the Slack sender posts (the local receiver). */
  readonly slackWebhookUrl: string;
  /** Count the items already in the table. */
  readonly countKeptItems: boolean;
}

export const CAMPAIGN_API_USER = 'campaign-events-local';

export async function provisionResources(opts: ProvisionOptions): Promise<ProvisionedResources> {
  const { model, config, services, region, accountId } = opts;
  const resources = new LocalResources({ region, accountId, stackName: model.stackName });

  const tableName = `${model.stackName}-events`;
  const { streamArn } = await createEventTable(opts.dynamoClient, tableName);
  resources.define(model.tableLogicalId, tableName, {
    Arn: `arn:aws:dynamodb:${region}:${accountId}:table/${tableName}`,
    StreamArn: streamArn,
  });
  let keptItems: number | undefined;
  if (opts.countKeptItems) {
    const { Count } = await opts.dynamoClient.send(
      new ScanCommand({ TableName: tableName, Select: 'COUNT' }),
    );
    keptItems = Count ?? 0;
  }

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
  const campaignUser = { username: CAMPAIGN_API_USER, password: randomBytes(18).toString('base64url') };
  await services.putSecret(config.campaign.credentialsSecretName, campaignUser);
  if (config.alerts.slackWebhookSecretName) {
    await services.putSecret(config.alerts.slackWebhookSecretName, { url: opts.slackWebhookUrl });
  }

  resources.define(model.restApiLogicalId, 'local', { RootResourceId: 'local-root' });
  resources.define(model.stageLogicalId, model.stageName);
  const queueNames = new Map<string, string>();
  for (const logicalId of model.queueLogicalIds) {
    const name = `${model.stackName}-${logicalId}`;
    queueNames.set(logicalId, name);
    resources.define(logicalId, `http://sqs.local/${accountId}/${name}`, {
      QueueName: name,
      Arn: `arn:aws:sqs:${region}:${accountId}:${name}`,
    });
  }
  for (const logicalId of model.largeEventBucketLogicalIds) {
    resources.define(logicalId, `${model.stackName}-${logicalId}`.toLowerCase().slice(0, 63));
  }
  const functionNames = new Map<LocalFunctionKey, string>();
  for (const [key, fn] of model.functions) {
    const name = `${model.stackName}-${key}`;
    functionNames.set(key, name);
    resources.define(fn.logicalId, name, { Arn: `arn:aws:lambda:${region}:${accountId}:function:${name}` });
  }

  return {
    resources,
    tableName,
    streamArn,
    keptItems,
    topicArns,
    endpointKey,
    campaignUser,
    functionNames,
    queueNames,
  };
}

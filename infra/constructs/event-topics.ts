import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { ENV } from '../../functions/shared/contracts/environment.js';
import { grantKeyUse, KEY_USE_ACTIONS } from './key-access.js';
import { setEnvironment } from './project-function.js';

/** Protocols SNS can deliver with (the `sns:Protocol` values of a Subscribe request). */
export const SNS_PROTOCOLS = [
  'sqs',
  'lambda',
  'firehose',
  'https',
  'http',
  'email',
  'email-json',
  'sms',
  'application',
] as const;
export type SnsProtocol = (typeof SNS_PROTOCOLS)[number];
/** Protocols whose endpoint is an AWS resource ARN (checked against the allowed accounts). */
const ARN_ENDPOINT_PROTOCOLS: readonly SnsProtocol[] = ['sqs', 'lambda', 'firehose'];

export interface EventTopicsSubscribers {
  /** Protocols a subscription may use; any other is denied (`sns:Protocol`). */
  readonly protocols: readonly SnsProtocol[];
  /**
   * Principals that may subscribe besides the deploying account's own (which IAM governs): account ids
   * (every principal of that account) or IAM principal ARNs (wildcards allowed). SQS, Lambda and Firehose
   * endpoints must belong to the deploying account or an account listed (by id or in an ARN).
   */
  readonly principals: readonly string[];
}

export interface EventTopicsProps {
  /** One topic is created per type. */
  readonly eventTypes: readonly CampaignEventType[];
  /** Customer-managed key that encrypts every topic. */
  readonly encryptionKey: kms.IKey;
  /** Prefix of the topic names, e.g. the stack name. */
  readonly topicNamePrefix: string;
  /** Who may subscribe, with which protocols (config.ts holds the defaults). */
  readonly subscribers: EventTopicsSubscribers;
}

/** One KMS-encrypted SNS topic per Campaign event type, with its ARN as a stack output. */
export class EventTopics extends Construct {
  readonly topics: ReadonlyMap<CampaignEventType, sns.Topic>;

  constructor(scope: Construct, id: string, props: EventTopicsProps) {
    super(scope, id);
    const topics = new Map<CampaignEventType, sns.Topic>();
    for (const eventType of props.eventTypes) {
      const topic = new sns.Topic(this, `Topic-${eventType}`, {
        topicName: `${props.topicNamePrefix}-${eventType}`,
        displayName: `Campaign ${eventType} events`,
        masterKey: props.encryptionKey,
        enforceSSL: true,
      });
      restrictSubscriptions(topic, props.subscribers);
      topics.set(eventType, topic);
      new CfnOutput(Stack.of(this), `TopicArn${pascalCase(eventType)}`, {
        description: `SNS topic receiving Campaign "${eventType}" events`,
        value: topic.topicArn,
      });
    }
    this.topics = topics;
  }

  /** Lets a function publish to every topic (and use the key), plus TOPIC_ARNS (type -> ARN, JSON). */
  bindPublisher(fn: lambda.Function): void {
    const arns = new Map([...this.topics].map(([eventType, topic]) => [eventType, topic.topicArn] as const));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        resources: [...this.topics.values()].map((topic) => topic.topicArn),
      }),
    );
    const [firstTopic] = this.topics.values();
    if (firstTopic?.masterKey)
      grantKeyUse(firstTopic.masterKey, fn, 'sns', KEY_USE_ACTIONS.encryptAndDecrypt);
    setEnvironment(fn, ENV.topicArns, arns);
  }
}

/**
 * Denies every Subscribe that is not by an allowed principal, with an allowed protocol, to an endpoint in
 * an allowed account (for ARN endpoints). Denies, so an identity policy granting sns:Subscribe on `*`
 * cannot get around them; principals of other accounts listed also get the Allow they need.
 */
function restrictSubscriptions(topic: sns.Topic, subscribers: EventTopicsSubscribers): void {
  const stack = Stack.of(topic);
  const { protocols, principals: listed } = subscribers;
  const listedArns = listed.filter((principal) => principal.startsWith('arn:'));
  const listedAccounts = listed.filter((principal) => !principal.startsWith('arn:'));
  const endpointAccounts = [
    stack.account,
    ...new Set([...listedAccounts, ...listedArns.map((arn) => arn.split(':')[4] ?? '')]),
  ];
  const deny = (sid: string, conditions: Record<string, Record<string, unknown>>) =>
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Subscribe'],
        resources: [topic.topicArn],
        conditions,
      }),
    );
  deny('DenySubscribeWithUnlistedProtocol', { StringNotEquals: { 'sns:Protocol': [...protocols] } });
  deny('DenySubscribeByUnlistedPrincipal', {
    StringNotEquals: { 'aws:PrincipalAccount': [stack.account, ...listedAccounts] },
    ...(listedArns.length > 0 && { ArnNotLike: { 'aws:PrincipalArn': listedArns } }),
  });
  const arnProtocols = ARN_ENDPOINT_PROTOCOLS.filter((protocol) => protocols.includes(protocol));
  if (arnProtocols.length > 0) {
    deny('DenySubscribeEndpointOutsideListedAccounts', {
      StringEquals: { 'sns:Protocol': arnProtocols },
      StringNotLike: { 'sns:Endpoint': endpointAccounts.map((account) => `arn:*:*:*:${account}:*`) },
    });
  }
  // Principals of other accounts also need an Allow here (their own IAM policy must allow it too).
  const allow = (sid: string, conditions: Record<string, Record<string, unknown>>) =>
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Subscribe'],
        resources: [topic.topicArn],
        conditions,
      }),
    );
  if (listedAccounts.length > 0)
    allow('AllowListedAccountsToSubscribe', { StringEquals: { 'aws:PrincipalAccount': listedAccounts } });
  if (listedArns.length > 0)
    allow('AllowListedPrincipalsToSubscribe', { ArnLike: { 'aws:PrincipalArn': listedArns } });
}

function pascalCase(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

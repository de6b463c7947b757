import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { ENV } from '../../functions/shared/contracts/environment.js';
import { setEnvironment } from './project-function.js';

export interface EventTopicsProps {
  /** One topic is created per type. */
  readonly eventTypes: readonly CampaignEventType[];
  /** Customer-managed key that encrypts every topic. */
  readonly encryptionKey: kms.IKey;
  /** Prefix of the topic names, e.g. the stack name. */
  readonly topicNamePrefix: string;
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
    firstTopic?.masterKey?.grant(fn, 'kms:Decrypt', 'kms:GenerateDataKey*');
    setEnvironment(fn, ENV.topicArns, arns);
  }
}

function pascalCase(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

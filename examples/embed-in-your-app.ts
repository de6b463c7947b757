import { Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CampaignEvents } from '../infra/campaign-events.js';

export class CrmStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const events = new CampaignEvents(this, 'CampaignEvents', {
      config: { campaign: { clientIds: [100001] }, eventTypes: ['bounce', 'unsubscribe'] },
    });
    const bounces = new sqs.Queue(this, 'Bounces', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    events.eventTopics.get('bounce')?.addSubscription(new sns.SqsSubscription(bounces));
  }
}

import { CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CampaignEvents, type CampaignEventsProps } from './campaign-events.js';
import { DEFAULT_TAGS } from './config.js';

/** The construct's props; a permissions boundary is StackProps' own (it covers every role of the stack). */
export interface CampaignEventsStackProps
  extends StackProps,
    Omit<CampaignEventsProps, 'permissionsBoundary'> {}

/**
 * The product deployed as is (`cdk deploy` with cdk.json's configuration): the CampaignEvents construct,
 * termination protection and tags from the configuration, and the outputs the operator tools read.
 */
export class CampaignEventsStack extends Stack {
  /** Everything the product created; its public fields are the ones downstream code needs. */
  readonly events: CampaignEvents;

  constructor(scope: Construct, id: string, props: CampaignEventsStackProps) {
    super(scope, id, props);
    // 'Default' keeps the construct out of logical ids: stacks deployed before the construct existed
    // update in place instead of replacing every resource.
    this.events = new CampaignEvents(this, 'Default', {
      config: props.config,
      existingEncryptionKey: props.existingEncryptionKey,
      existingAlertsTopic: props.existingAlertsTopic,
      ingestFunctionSizing: props.ingestFunctionSizing,
      fanOutFunctionSizing: props.fanOutFunctionSizing,
    });
    const { config } = this.events;
    this.terminationProtection = props.terminationProtection ?? config.terminationProtection;
    for (const [key, value] of Object.entries({ ...DEFAULT_TAGS, ...config.tags }))
      Tags.of(this).add(key, value);
    this.addOutputs(this.events);
  }

  private addOutputs(events: CampaignEvents): void {
    new CfnOutput(this, 'EndpointUrl', {
      description: 'URL the Campaign webhooks post event batches to',
      value: events.endpointUrl,
    });
    new CfnOutput(this, 'EndpointKeySecretArn', {
      description:
        'Secret holding the endpoint key ({"current", "previous"}) Campaign sends in its keyAuth header',
      value: events.endpointKeySecret.secretArn,
    });
    new CfnOutput(this, 'EventTableName', { value: events.table.tableName });
    new CfnOutput(this, 'AlertsTopicArn', {
      description: 'Every alert (formatted, with a severity attribute); subscribe more channels here',
      value: events.alerting.alertsTopic.topicArn,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'CloudWatch operations dashboard',
      value: events.monitoring.dashboardUrl,
    });
    for (const registration of events.webhookRegistration?.registrations ?? []) {
      new CfnOutput(this, `WebhookIds${registration.clientId}`, {
        description: `Campaign webhooks of client ${registration.clientId} owned by this stack (type=webhook id)`,
        value: registration.webhookIds,
      });
      new CfnOutput(this, `WebhookVerification${registration.clientId}`, {
        description: `Deploy-time verification of the webhooks of Campaign client ${registration.clientId}`,
        value: registration.verification,
      });
    }
    new CfnOutput(this, 'FanOutDeadLetterQueueUrl', {
      description: "Stream batches past the fan-out mapping's maximum record age (the last resort)",
      value: events.fanOutDeadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'ParkedEventsQueueUrl', {
      description: 'Events the fan-out can never publish as they are, one message each with its reason',
      value: events.parkedEventsQueue.queueUrl,
    });
  }
}

import { readFileSync } from 'node:fs';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { CrmStack } from '../../examples/embed-in-your-app.js';
import { CampaignEvents, type CampaignEventsProps } from '../../infra/campaign-events.js';
import { testApp } from '../support/app.js';

const env = { account: '123456789012', region: 'eu-central-1' };
const config = { campaign: { clientIds: [100001] } };

function bare(props: Partial<CampaignEventsProps> = {}) {
  const stack = new Stack(testApp(), 'Bare', { env });
  const events = new CampaignEvents(stack, 'Events', { config, ...props });
  return { stack, events, template: Template.fromStack(stack) };
}

describe('CampaignEvents embedded in an existing app', () => {
  it("is the README's example, which compiles, in under 20 lines", () => {
    const example = readFileSync(new URL('../../examples/embed-in-your-app.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(
      example.replace("'../infra/campaign-events.js'", "'campaign-events/infra/campaign-events.js'"),
    );
    expect(example.trimEnd().split('\n').length).toBeLessThan(20);
  });

  it("subscribes the team's queue to the bounce topic, and receives only the types it asked for", () => {
    const template = Template.fromStack(new CrmStack(testApp(), 'Crm', { env }));
    template.resourceCountIs('AWS::SNS::Topic', 2 + 3); // bounce, unsubscribe + alarm, alerts, health
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: Match.stringLikeRegexp('^CampaignEventsEventTopicsTopicbounce') },
    });
  });
});

describe('CampaignEvents props', () => {
  it('exposes what downstream code needs: topics by type, table, alerts topic, endpoint URL', () => {
    const { events } = bare();
    expect([...events.eventTopics.keys()]).toContain('unsubscribe');
    expect(events.table.tableName).toBeDefined();
    expect(events.alertsTopic.topicArn).toBeDefined();
    expect(events.endpointUrl).toMatch(/\/events$/);
  });

  it('validates its config at synth, naming the prop path and what is allowed', () => {
    expect(() => bare({ config: { campaign: { clientIds: [] } } })).toThrow(
      'config.campaign.clientIds: got []; list at least one Campaign client id',
    );
  });

  it('uses an existing key for the data it stores instead of creating one', () => {
    const stack = new Stack(testApp(), 'WithKey', { env });
    const key = new kms.Key(stack, 'PlatformKey', { enableKeyRotation: true });
    new CampaignEvents(stack, 'Events', { config, existingEncryptionKey: key });
    const template = Template.fromStack(stack);
    const keyId = stack.getLogicalId(key.node.defaultChild as kms.CfnKey);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: Match.objectLike({ SSEEnabled: true }),
      Replicas: [
        Match.objectLike({ SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } }),
      ],
    });
    const topics = Object.values(
      template.findResources('AWS::SNS::Topic', {
        Properties: { TopicName: Match.stringLikeRegexp('-bounce$') },
      }),
    );
    expect(topics[0]?.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).not.toContain(
      expect.stringMatching(/DataKey/),
    );
  });

  it('puts a permissions boundary on every role it creates', () => {
    const stack = new Stack(testApp(), 'Bounded', { env });
    const boundary = iam.ManagedPolicy.fromManagedPolicyName(stack, 'Boundary', 'platform-boundary');
    new CampaignEvents(stack, 'Events', { config, permissionsBoundary: boundary });
    const roles = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThan(4);
    for (const [logicalId, role] of roles) {
      expect(JSON.stringify(role.Properties.PermissionsBoundary), logicalId).toContain(
        'policy/platform-boundary',
      );
    }
  });

  it('sizes the ingest and fan-out functions as asked', () => {
    const { template, events, stack } = bare({
      ingestFunctionSizing: {
        memorySize: 1024,
        timeout: Duration.seconds(20),
        reservedConcurrentExecutions: 50,
      },
      fanOutFunctionSizing: { memorySize: 1024 },
    });
    const functionOf = (fn: { node: { defaultChild: unknown } }) =>
      template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)].Properties;
    expect(functionOf(events.ingestFunction)).toMatchObject({
      MemorySize: 1024,
      Timeout: 20,
      ReservedConcurrentExecutions: 50,
    });
    expect(functionOf(events.fanOutFunction)).toMatchObject({ MemorySize: 1024 });
  });

  it('refuses an ingest timeout API Gateway would cut short, naming the prop', () => {
    expect(() => bare({ ingestFunctionSizing: { timeout: Duration.seconds(30) } })).toThrow(
      /ingestFunctionSizing\.timeout is 30 seconds; it must be at most 28 seconds/,
    );
  });
});

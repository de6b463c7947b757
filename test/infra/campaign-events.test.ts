import { readFileSync } from 'node:fs';
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
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

  it('documents every prop of CampaignEventsProps in the README props table', () => {
    const source = readFileSync(new URL('../../infra/campaign-events.ts', import.meta.url), 'utf8');
    const body = source.split('export interface CampaignEventsProps {')[1]?.split('\n}')[0] ?? '';
    const props = [...body.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((match) => match[1]);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.split('| prop | default | override |')[1]?.split('\n\n')[0] ?? '';
    const documented = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]);
    expect(props.length).toBeGreaterThan(5);
    expect(documented).toEqual(props);
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

  it("publishes alerts to the platform's own topic instead of creating one, and lets CloudWatch publish to it", () => {
    const stack = new Stack(testApp(), 'WithAlerts', { env });
    const onCall = new sns.Topic(stack, 'OnCall', { enforceSSL: true });
    const events = new CampaignEvents(stack, 'Events', { config, existingAlertsTopic: onCall });
    const template = Template.fromStack(stack);
    const onCallRef = { Ref: stack.getLogicalId(onCall.node.defaultChild as sns.CfnTopic) };
    expect(events.alertsTopic).toBe(onCall);
    expect(
      template.findResources('AWS::SNS::Topic', { Properties: { TopicName: 'WithAlerts-alerts' } }),
    ).toEqual({});
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ALERTS_TOPIC_ARN: onCallRef }) },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [onCallRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarmsToPublish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('alarm-formatter-errors'),
      AlarmActions: Match.arrayWith([onCallRef]),
    });
  });

  it('warns at synth that an imported alerts topic must already let CloudWatch publish', () => {
    const stack = new Stack(testApp(), 'Imported', { env });
    const onCall = sns.Topic.fromTopicArn(stack, 'OnCall', 'arn:aws:sns:eu-central-1:123456789012:on-call');
    new CampaignEvents(stack, 'Events', { config, existingAlertsTopic: onCall });
    Annotations.fromStack(stack).hasWarning(
      '/Imported/Events/Alerting',
      Match.stringLikeRegexp('must let cloudwatch.amazonaws.com publish'),
    );
  });

  it('refuses conflicting props at synth, naming each and the fix', () => {
    const stack = new Stack(testApp(), 'Conflicts', { env });
    const fifo = new sns.Topic(stack, 'Fifo', { fifo: true, topicName: 'alerts' });
    const other = new Stack(stack.node.root as never, 'KeyStack', { env });
    const foreignKey = new kms.Key(other, 'Key');
    expect(
      () =>
        new CampaignEvents(stack, 'Events', {
          config,
          existingAlertsTopic: fifo,
          existingEncryptionKey: foreignKey,
          fanOutFunctionSizing: { reservedConcurrentExecutions: 0 },
        }),
    ).toThrow(
      [
        'CampaignEvents: fanOutFunctionSizing.reservedConcurrentExecutions is 0, which stops the function; set at least 1, or omit it for no reservation.',
        'CampaignEvents: existingEncryptionKey is defined in stack KeyStack, not in Conflicts; its policy names roles of this stack, which would make the two stacks depend on each other. Define the key in the stack that holds CampaignEvents, or omit it.',
        'CampaignEvents: existingAlertsTopic is a FIFO topic; CloudWatch alarm actions cannot publish to FIFO topics. Pass a standard topic, or omit it to let the construct create one.',
      ].join('\n'),
    );
  });

  it('refuses an imported encryption key, whose policy it could not extend', () => {
    const stack = new Stack(testApp(), 'ImportedKey', { env });
    const key = kms.Key.fromKeyArn(
      stack,
      'Key',
      'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    expect(
      () => new CampaignEvents(stack, 'Events', { config, existingEncryptionKey: key as kms.Key }),
    ).toThrow(/existingEncryptionKey ImportedKey\/Key is imported; .* Pass a kms.Key defined in this stack/);
  });
});

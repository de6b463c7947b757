import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { CampaignEventsStack } from '../../infra/campaign-events-stack.js';
import { configFromContext, parseConfig } from '../../infra/config.js';
import { Alerting, type AlertingProps } from '../../infra/constructs/alerting.js';
import { testApp } from '../support/app.js';
import { nagFindings } from '../support/nag.js';

const env = { account: '123456789012', region: 'eu-central-1' };
const EVERYTHING_ON: AlertingProps = {
  metricsNamespace: 'CampaignEvents',
  emails: ['oncall@example.com', 'lead@example.com'],
  slackWebhookSecretName: 'campaign-events/slack-webhook',
  chatbotSlack: { workspaceId: 'T0123456789', channelId: 'C0123456789' },
};

function build(props: Partial<AlertingProps> = {}, app = testApp()) {
  const stack = new Stack(app, 'AlertingTest', { env });
  const alerting = new Alerting(stack, 'Alerting', { ...EVERYTHING_ON, ...props });
  return { stack, alerting, template: Template.fromStack(stack) };
}

const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({
  Ref: stack.getLogicalId(construct.node.defaultChild as never),
});
const arnOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({
  'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as never), 'Arn'],
});

describe('alerting topics and key', () => {
  const { stack, alerting, template } = build();

  it('encrypts the alarm, alerts and health topics with a rotated customer-managed key', () => {
    template.resourceCountIs('AWS::SNS::Topic', 3);
    for (const [topic, name] of [
      [alerting.alarmTopic, 'AlertingTest-alarms'],
      [alerting.alertsTopic, 'AlertingTest-alerts'],
      [alerting.healthTopic, 'AlertingTest-alerting-health'],
    ] as const) {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: name,
        KmsMasterKeyId: arnOf(stack, alerting.encryptionKey),
      });
      expect(topic.masterKey).toBe(alerting.encryptionKey);
    }
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('lets CloudWatch (alarm notifications) and SNS (dead-letter queues) use the key, for this account only', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowAlarmAndNotificationServices',
            Effect: 'Allow',
            Principal: { Service: ['cloudwatch.amazonaws.com', 'sns.amazonaws.com'] },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          },
        ]),
      },
    });
    // No other statement names a service principal: the services get the key only through the one above.
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    const statements = key?.Properties.KeyPolicy.Statement as Array<{ Principal?: { Service?: unknown } }>;
    expect(statements.filter((statement) => statement.Principal?.Service !== undefined)).toHaveLength(1);
  });

  it('lets CloudWatch alarms of this account publish to the topics, over TLS only', () => {
    for (const topic of [alerting.alarmTopic, alerting.alertsTopic, alerting.healthTopic]) {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [ref(stack, topic)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Sid: 'AllowCloudWatchAlarmsToPublish',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: {
                StringEquals: { 'aws:SourceAccount': '123456789012' },
                ArnLike: {
                  'aws:SourceArn': 'arn:aws:cloudwatch:eu-central-1:123456789012:alarm:*',
                },
              },
            }),
          ]),
        },
      });
    }
  });

  it('uses a key passed in (e.g. the stack CMK) and adds its statement to that key', () => {
    const app = testApp();
    const own = new Stack(app, 'OwnKey', { env });
    const key = new kms.Key(own, 'DataKey', { enableKeyRotation: true });
    const alerting = new Alerting(own, 'Alerting', {
      metricsNamespace: 'CampaignEvents',
      encryptionKey: key,
    });
    expect(alerting.encryptionKey).toBe(key);
    const template = Template.fromStack(own);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowAlarmAndNotificationServices' })]),
      },
    });
  });

  it('refuses an imported key, whose policy it cannot extend', () => {
    const app = testApp();
    const imported = new Stack(app, 'Imported', { env });
    const key = kms.Key.fromKeyArn(imported, 'Key', 'arn:aws:kms:eu-central-1:123456789012:key/abc');
    expect(() => new Alerting(imported, 'Alerting', { metricsNamespace: 'X', encryptionKey: key })).toThrow(
      /encryptionKey must be a KMS key defined in this app/,
    );
  });
});

describe('email subscriptions', () => {
  const { stack, alerting, template } = build();

  it('subscribe each address to the alerts topic, filtered to warning and above by default', () => {
    for (const email of ['oncall@example.com', 'lead@example.com']) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: ref(stack, alerting.alertsTopic),
        FilterPolicy: { severity: ['warning', 'critical'] },
        RedrivePolicy: { deadLetterTargetArn: arnOf(stack, alerting.emailDeadLetterQueue as never) },
      });
    }
  });

  it('also subscribe each address, unfiltered, to the alerting-health topic', () => {
    const health = template.findResources('AWS::SNS::Subscription', {
      Properties: { Protocol: 'email', TopicArn: ref(stack, alerting.healthTopic) },
    });
    expect(Object.values(health).map((s) => [s.Properties.Endpoint, s.Properties.FilterPolicy])).toEqual([
      ['oncall@example.com', undefined],
      ['lead@example.com', undefined],
    ]);
  });

  it('follow emailMinSeverity', () => {
    build({ emailMinSeverity: 'critical' }).template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      FilterPolicy: { severity: ['critical'] },
    });
    build({ emailMinSeverity: 'info' }).template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      FilterPolicy: { severity: ['info', 'warning', 'critical'] },
    });
  });

  it('are absent, with their dead-letter queue, when no address is configured', () => {
    const { alerting: none, template: bare } = build({ emails: [] });
    expect(
      Object.keys(bare.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } })),
    ).toEqual([]);
    expect(none.emailDeadLetterQueue).toBeUndefined();
  });

  it('reject an address listed twice or not an address', () => {
    expect(() => build({ emails: ['a@example.com', 'A@example.com'] })).toThrow(/listed twice/);
    expect(() => build({ emails: ['oncall'] })).toThrow(/"oncall" is not an email address/);
  });
});

describe('alarm formatter', () => {
  const { stack, alerting, template } = build();

  it('is the only subscriber of the alarm topic, with a dead-letter queue for undeliverable notifications', () => {
    const onAlarmTopic = template.findResources('AWS::SNS::Subscription', {
      Properties: { TopicArn: ref(stack, alerting.alarmTopic) },
    });
    expect(Object.values(onAlarmTopic).map((s) => s.Properties)).toEqual([
      {
        Protocol: 'lambda',
        Endpoint: arnOf(stack, alerting.alarmFormatter),
        TopicArn: ref(stack, alerting.alarmTopic),
        RedrivePolicy: { deadLetterTargetArn: arnOf(stack, alerting.formatterDeadLetterQueue) },
      },
    ]);
  });

  it('publishes to the alerts topic, named in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Formats CloudWatch alarm notifications'),
      Environment: { Variables: Match.objectLike({ ALERTS_TOPIC_ARN: ref(stack, alerting.alertsTopic) }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(stack, alerting.alarmFormatter.role as never)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'sns:Publish', Effect: 'Allow', Resource: ref(stack, alerting.alertsTopic) },
          {
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: { StringEquals: { 'kms:ViaService': 'sns.eu-central-1.amazonaws.com' } },
            Effect: 'Allow',
            Resource: arnOf(stack, alerting.encryptionKey),
          },
        ]),
      },
    });
  });

  it('names no log group and may search none when it is given no fan-out log', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Formats CloudWatch alarm notifications'),
      Environment: { Variables: Match.objectLike({ PARKED_EVENTS_LOG_GROUP: 'none' }) },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('logs:FilterLogEvents');
  });

  it("searches the fan-out's log group, named in its environment, and no other", () => {
    const withFanOutLog = (app = testApp()) => {
      const stack = new Stack(app, 'AlertingWithFanOutLog', { env });
      const fanOutLog = new logs.LogGroup(stack, 'FanOutLogs');
      const alerting = new Alerting(stack, 'Alerting', { ...EVERYTHING_ON, parkedEventsLogGroup: fanOutLog });
      return { stack, fanOutLog, alerting };
    };
    const { stack, fanOutLog, alerting } = withFanOutLog();
    const withLog = Template.fromStack(stack);
    withLog.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Formats CloudWatch alarm notifications'),
      Environment: { Variables: Match.objectLike({ PARKED_EVENTS_LOG_GROUP: ref(stack, fanOutLog) }) },
    });
    withLog.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(stack, alerting.alarmFormatter.role as never)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'logs:FilterLogEvents', Effect: 'Allow', Resource: arnOf(stack, fanOutLog) },
        ]),
      },
    });
    expect(JSON.stringify(withLog.toJSON()).match(/logs:FilterLogEvents/g)).toHaveLength(1);
    expect(nagFindings((app) => withFanOutLog(app).stack)).toEqual([]);
  });

  it('parks invocations that fail twice more in its dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(stack, alerting.alarmFormatter),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf(stack, alerting.formatterDeadLetterQueue) } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: arnOf(stack, alerting.encryptionKey),
    });
  });
});

describe('Slack sender (incoming webhook)', () => {
  const { stack, alerting, template } = build();
  const sender = alerting.slackNotifier;

  it('subscribes to every alert on the alerts topic, with its own dead-letter queue', () => {
    expect(sender).toBeDefined();
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: ref(stack, alerting.alertsTopic),
      Endpoint: arnOf(stack, sender as never),
      RedrivePolicy: { deadLetterTargetArn: arnOf(stack, alerting.slackDeadLetterQueue as never) },
      FilterPolicy: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(stack, sender as never),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf(stack, alerting.slackDeadLetterQueue as never) } },
    });
  });

  it('reads only the named webhook secret, whose name (not value) is in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ SLACK_WEBHOOK_SECRET_NAME: 'campaign-events/slack-webhook' }),
      },
      Timeout: 60,
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(stack, sender?.role as never)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Effect: 'Allow',
            Resource:
              'arn:aws:secretsmanager:eu-central-1:123456789012:secret:campaign-events/slack-webhook-??????',
          },
        ]),
      },
    });
  });

  it('alarms (through the formatter) when alerts wait in its dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'AlertingTest-warning-slack-notifier-dlq',
      AlarmActions: [ref(stack, alerting.alarmTopic)],
    });
  });

  it('is absent when no webhook secret is configured', () => {
    const { alerting: none, template: bare } = build({ slackWebhookSecretName: undefined });
    expect(none.slackNotifier).toBeUndefined();
    bare.resourceCountIs('AWS::Lambda::Function', 1);
  });
});

describe('AWS Chatbot channel', () => {
  const { stack, alerting, template } = build();

  it('receives the alerts topic in the configured Slack workspace and channel, read-only', () => {
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'AlertingTest-alerts',
      SlackWorkspaceId: 'T0123456789',
      SlackChannelId: 'C0123456789',
      SnsTopicArns: [ref(stack, alerting.alertsTopic)],
      GuardrailPolicies: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] },
      ],
      LoggingLevel: 'ERROR',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'chatbot.amazonaws.com' } })],
      },
      Policies: [
        {
          PolicyName: 'ReadAlarms',
          PolicyDocument: {
            Statement: [
              {
                Action: ['cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*'],
                Effect: 'Allow',
                Resource: '*',
              },
            ],
          },
        },
      ],
    });
  });

  it('is absent unless configured, and rejects ids that are not Slack ids', () => {
    build({ chatbotSlack: undefined }).template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    expect(() => build({ chatbotSlack: { workspaceId: 'my workspace', channelId: 'C1' } })).toThrow(
      /not a Slack workspace id/,
    );
    expect(() => build({ chatbotSlack: { workspaceId: 'T1', channelId: '#alerts' } })).toThrow(
      /not a Slack channel id/,
    );
  });
});

describe('alerting-health alarms', () => {
  const { stack, alerting, template } = build();

  it('watch the formatter path and notify the alerts and health topics directly, bypassing the formatter', () => {
    const names = alerting.healthAlarms.map((alarm) => (alarm.node.defaultChild as CfnAlarm).alarmName);
    expect(names).toEqual([
      'AlertingTest-critical-alarm-formatter-errors',
      'AlertingTest-warning-alarm-formatter-throttles',
      'AlertingTest-critical-alarm-formatter-dlq',
      'AlertingTest-critical-alarm-topic-delivery-failures',
      'AlertingTest-warning-alerts-topic-delivery-failures',
    ]);
    const direct = [ref(stack, alerting.alertsTopic), ref(stack, alerting.healthTopic)];
    for (const name of names) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        AlarmActions: direct,
        OKActions: direct,
        AlarmDescription: Match.stringLikeRegexp('\nMeaning: .+\nFirst action: .+'),
      });
    }
  });

  it('include a formatter dead-letter alarm on any visible message', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'AlertingTest-critical-alarm-formatter-dlq',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged finding with email, Slack webhook and Chatbot all on', () => {
    expect(nagFindings((app) => build({}, app).stack)).toEqual([]);
  });
});

describe('the stack with email, the Slack sender and Chatbot configured', () => {
  const config = parseConfig({
    campaign: { clientIds: [424242] },
    alerts: {
      emails: ['alerts@example.org'],
      emailMinSeverity: 'critical',
      slackWebhookSecretName: 'ops/slack-alerts',
      chatbotSlack: { workspaceId: 'T0FIXTURE1', channelId: 'C0FIXTURE1' },
    },
  });
  const app = testApp();
  const stack = new CampaignEventsStack(app, 'Configured', { config, env });
  const template = Template.fromStack(stack);

  it('passes each alerts setting from the configuration to its resource', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'alerts@example.org',
      TopicArn: ref(stack, stack.events.alerting.alertsTopic),
      FilterPolicy: { severity: ['critical'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SLACK_WEBHOOK_SECRET_NAME: 'ops/slack-alerts' }) },
    });
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0FIXTURE1',
      SlackChannelId: 'C0FIXTURE1',
    });
    template.hasOutput('AlertsTopicArn', { Value: ref(stack, stack.events.alerting.alertsTopic) });
  });
});

describe('the committed cdk.json', () => {
  it('is a valid configuration that synthesizes (its values are examples a deployer replaces)', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
    const config = configFromContext(cdkJson.context.campaignEvents);
    const app = testApp();
    expect(() =>
      Template.fromStack(new CampaignEventsStack(app, 'FromCdkJson', { config, env })),
    ).not.toThrow();
  });
});

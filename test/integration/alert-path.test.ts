import { createServer, type Server } from 'node:http';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../functions/shared/contracts/environment.js';
import { Alerting } from '../../infra/constructs/alerting.js';
import { closeServer, LOOPBACK_HOST, listen } from '../../local/free-port.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import {
  type SecretsManagerStandIn,
  startSecretsManagerStandIn,
} from '../../local/secrets-manager-stand-in.js';
import { type PublishedMessage, type SnsStandIn, startSnsStandIn } from '../../local/sns-stand-in.js';
import { testApp } from '../support/app.js';
import { cloudWatchAlarmMessage, snsEvent } from '../unit/alerts/fixtures.js';

/**
 * The whole alert path on this machine, with the deployed handlers unchanged: CloudWatch's alarm JSON is
 * published to the alarm topic (SNS stand-in), the alarm-formatter handler publishes the alert to the
 * alerts topic, an email subscription with the filter policy Alerting synthesizes receives what an email
 * would, and the Slack sender handler reads its webhook URL from Secrets Manager (stand-in, through
 * Powertools getSecret) and posts to a local receiver.
 */
describe('alert path: alarm -> formatter -> alerts topic -> email and Slack', () => {
  let sns: SnsStandIn;
  let secrets: SecretsManagerStandIn;
  let slack: Server;
  const slackPosts: Array<{ path: string; body: { text: string } }> = [];
  const emails: Array<{ subject?: string; body: string }> = [];
  let alarmTopicArn: string;
  let publishAlarm: (alarm: Record<string, unknown>) => Promise<void>;

  beforeAll(async () => {
    const emailFilterPolicy = synthesizedEmailFilterPolicy('warning');
    sns = await startSnsStandIn();
    secrets = await startSecretsManagerStandIn();
    slack = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        slackPosts.push({
          path: request.url ?? '',
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        response.end('ok');
      });
    });
    const slackPort = await listen(slack, 0, LOOPBACK_HOST);

    alarmTopicArn = await sns.createTopic('CampaignEvents-alarms');
    const alertsTopicArn = await sns.createTopic('CampaignEvents-alerts');
    secrets.putSecret('campaign-events/slack-webhook', {
      url: `http://${LOOPBACK_HOST}:${slackPort}/services/T1/B1/secret`,
    });
    // The handlers read their environment at import, the SDK its endpoints at a client's first request:
    // fresh modules, and the environment kept until the end of the file.
    vi.stubEnv('AWS_ENDPOINT_URL_SNS', sns.endpoint);
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secrets.endpoint);
    vi.stubEnv(ENV.alertsTopicArn.name, alertsTopicArn);
    vi.stubEnv(ENV.slackWebhookSecretName.name, 'campaign-events/slack-webhook');
    vi.resetModules();
    const formatter = await import('../../functions/alarm-formatter/handler.js');
    const slackSender = await import('../../functions/slack-notifier/handler.js');

    sns.subscribe(alarmTopicArn, (message) =>
      formatter.handler(lambdaEvent(message), createLambdaContext({ functionName: 'alarm-formatter' })),
    );
    sns.subscribe(alertsTopicArn, (message) =>
      slackSender.handler(lambdaEvent(message), createLambdaContext({ functionName: 'slack-notifier' })),
    );
    sns.subscribe(
      alertsTopicArn,
      (message) => void emails.push({ subject: message.subject, body: protocolMessage(message, 'email') }),
      emailFilterPolicy,
    );

    const client = new SNSClient({ endpoint: sns.endpoint });
    publishAlarm = async (alarm) => {
      // CloudWatch publishes the alarm JSON with no message attributes.
      await client.send(new PublishCommand({ TopicArn: alarmTopicArn, Message: JSON.stringify(alarm) }));
      await sns.deliveriesSettled(); // the formatter ran and published
      await sns.deliveriesSettled(); // the alerts-topic subscribers ran
    };
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all([sns?.stop(), secrets?.stop(), slack ? closeServer(slack) : undefined]);
  });

  beforeEach(() => {
    emails.length = 0;
    slackPosts.length = 0;
  });

  it('delivers a critical alarm to email (subject and plain text) and to Slack', async () => {
    await publishAlarm(cloudWatchAlarmMessage());
    expect(sns.deliveryErrors).toEqual([]);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toBe('[CRITICAL] ALARM: Ingest API 5XX rate above 1%');
    expect(emails[0]?.body).toContain('What it means: The endpoint is failing Campaign webhook deliveries');
    expect(emails[0]?.body).toContain('First action: Open the ingest function logs.');
    expect(slackPosts).toHaveLength(1);
    expect(slackPosts[0]?.path).toBe('/services/T1/B1/secret');
    expect(slackPosts[0]?.body.text).toBe(':rotating_light: [CRITICAL] ALARM: Ingest API 5XX rate above 1%');
  });

  it('keeps an info alarm out of email filtered at "warning", but posts it to Slack', async () => {
    await publishAlarm(
      cloudWatchAlarmMessage({ AlarmName: 'CampaignEvents-info-webhooks-reconciled', NewStateValue: 'OK' }),
    );
    expect(sns.deliveryErrors).toEqual([]);
    expect(emails).toEqual([]);
    expect(slackPosts).toHaveLength(1);
    expect(slackPosts[0]?.body.text).toBe(':white_check_mark: [INFO] RESOLVED: Ingest API 5XX rate above 1%');
  });

  it('reads the webhook secret once and serves later alerts from the cache', async () => {
    await publishAlarm(cloudWatchAlarmMessage());
    await publishAlarm(cloudWatchAlarmMessage({ NewStateValue: 'OK' }));
    expect(sns.deliveryErrors).toEqual([]);
    expect(slackPosts).toHaveLength(2);
    // One read in this file, whichever alert came first: every other one was served from the cache.
    expect(secrets.reads).toBe(1);
  });
});

/** The filter policy of the email subscription Alerting puts on the alerts topic. */
function synthesizedEmailFilterPolicy(minSeverity: 'info' | 'warning' | 'critical'): object {
  const stack = new Stack(testApp(), 'FilterPolicyProbe');
  const alerting = new Alerting(stack, 'Alerting', {
    metricsNamespace: 'CampaignEvents',
    emails: ['oncall@example.com'],
    emailMinSeverity: minSeverity,
  });
  const alertsTopicId = stack.getLogicalId(alerting.alertsTopic.node.defaultChild as never);
  const subscriptions = Template.fromStack(stack).findResources('AWS::SNS::Subscription', {
    Properties: { Protocol: 'email', TopicArn: { Ref: alertsTopicId } },
  });
  const [subscription] = Object.values(subscriptions);
  if (!subscription?.Properties.FilterPolicy) throw new Error('no filtered email subscription synthesized');
  return subscription.Properties.FilterPolicy;
}

/** The message a subscriber of `protocol` gets: with MessageStructure json, its own key or `default`. */
function protocolMessage(message: PublishedMessage, protocol: 'email' | 'lambda'): string {
  if (message.messageStructure !== 'json') return message.message;
  const perProtocol = JSON.parse(message.message) as Record<string, string>;
  return perProtocol[protocol] ?? (perProtocol.default as string);
}

/** The event Lambda receives from an SNS subscription for this message. */
function lambdaEvent(message: PublishedMessage): SNSEvent {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) {
    if (value.stringValue !== undefined) attributes[name] = value.stringValue;
  }
  return snsEvent([
    { message: protocolMessage(message, 'lambda'), subject: message.subject ?? null, attributes },
  ]);
}

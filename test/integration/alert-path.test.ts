import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type LocalServices,
  type Pipeline,
  startTestPipeline,
  startTestServices,
} from '../support/pipeline.js';
import { cloudWatchAlarmMessage } from '../unit/alerts/fixtures.js';

/**
 * The whole alert path on this machine, as the stack wires it (the one assembler), with the deployed
 * handlers unchanged: CloudWatch's alarm JSON is published to the stack's alarm topic (SNS stand-in), the
 * stack's Lambda subscription runs the alarm-formatter handler, which publishes the alert to the alerts
 * topic; the stack's email subscription (with the filter policy Alerting synthesizes for "warning")
 * receives what an email would, and its Slack sender subscription reads the webhook URL from Secrets
 * Manager (stand-in, through Powertools getSecret) and posts to the local Slack receiver.
 */
describe('alert path: alarm -> formatter -> alerts topic -> email and Slack', () => {
  let services: LocalServices;
  let pipeline: Pipeline;
  let client: SNSClient;
  let publishAlarm: (alarm: Record<string, unknown>) => Promise<void>;
  const emails = () => pipeline.emails.map((email) => ({ subject: email.subject, body: email.body }));
  const slackPosts = () => pipeline.slack.posts;

  beforeAll(async () => {
    services = await startTestServices();
    pipeline = await startTestPipeline(services, {
      config: { alerts: { emails: ['oncall@example.com'], emailMinSeverity: 'warning' } },
    });
    const alarms = pipeline.model.alertingTopics.find((topic) => topic.role === 'alarms');
    const alarmTopicArn = pipeline.provisioned.resources.resolveString({ Ref: alarms?.logicalId }, 'alarms');
    client = new SNSClient({ endpoint: services.endpoints.sns });
    publishAlarm = async (alarm) => {
      // CloudWatch publishes the alarm JSON with no message attributes.
      await client.send(new PublishCommand({ TopicArn: alarmTopicArn, Message: JSON.stringify(alarm) }));
      await services.deliveriesSettled(); // the formatter ran and published, and its subscribers ran
    };
  });

  afterAll(async () => {
    client?.destroy();
    await pipeline?.stop();
    await services?.stop();
  });

  beforeEach(() => {
    (pipeline.emails as unknown[]).length = 0;
    pipeline.slack.posts.length = 0;
  });

  it('delivers a critical alarm to email (subject and plain text) and to Slack', async () => {
    await publishAlarm(cloudWatchAlarmMessage());
    expect(services.sns.deliveryErrors).toEqual([]);
    expect(pipeline.counters.lambdaFailures).toBe(0);
    expect(emails()).toHaveLength(1);
    expect(emails()[0]?.subject).toBe('[CRITICAL] ALARM: Ingest API 5XX rate above 1%');
    expect(emails()[0]?.body).toContain('What it means: The endpoint is failing Campaign webhook deliveries');
    expect(emails()[0]?.body).toContain('First action: Open the ingest function logs.');
    expect(slackPosts()).toHaveLength(1);
    expect(slackPosts()[0]?.body.text).toBe(
      ':rotating_light: [CRITICAL] ALARM: Ingest API 5XX rate above 1%',
    );
  });

  it('keeps an info alarm out of email filtered at "warning", but posts it to Slack', async () => {
    await publishAlarm(
      cloudWatchAlarmMessage({ AlarmName: 'CampaignEvents-info-webhooks-reconciled', NewStateValue: 'OK' }),
    );
    expect(services.sns.deliveryErrors).toEqual([]);
    expect(pipeline.counters.lambdaFailures).toBe(0);
    expect(emails()).toEqual([]);
    expect(slackPosts()).toHaveLength(1);
    expect(slackPosts()[0]?.body.text).toBe(
      ':white_check_mark: [INFO] RESOLVED: Ingest API 5XX rate above 1%',
    );
  });

  it('reads the webhook secret once and serves later alerts from the cache', async () => {
    await publishAlarm(cloudWatchAlarmMessage());
    await publishAlarm(cloudWatchAlarmMessage({ NewStateValue: 'OK' }));
    expect(services.sns.deliveryErrors).toEqual([]);
    expect(pipeline.counters.lambdaFailures).toBe(0);
    expect(slackPosts()).toHaveLength(2);
    // One read in this file (nothing else here reads a secret), whichever alert came first: every other
    // one was served from the cache.
    expect(services.secrets.reads).toBe(1);
  });
});

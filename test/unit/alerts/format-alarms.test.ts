import type { PublishCommandInput } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAlarmFormatterHandler } from '../../../functions/alarm-formatter/alarm-formatter-handler.js';
import type { Publish } from '../../../functions/alarm-formatter/format-alarms.js';
import { createObservability } from '../../../functions/shared/observability.js';
import { createLambdaContext } from '../../../local/lambda-context.js';
import { ALARM_NAME, cloudWatchAlarmMessage, snsEvent } from './fixtures.js';

const ALERTS_TOPIC = 'arn:aws:sns:eu-central-1:123456789012:CampaignEvents-alerts';

/** The deployed handler shape (middy, Powertools), with SNS replaced by `publish`. */
async function formatAlarms(event: SNSEvent, deps: { alertsTopicArn: string; publish: Publish }) {
  const published: PublishCommandInput[] = [];
  const handler = createAlarmFormatterHandler({
    ...createObservability(),
    alertsTopicArn: deps.alertsTopicArn,
    publish: async (input) => {
      await deps.publish(input);
      published.push(input);
    },
  });
  await handler(event, createLambdaContext({ functionName: 'alarm-formatter' }));
  return published;
}

function recorder() {
  const published: PublishCommandInput[] = [];
  return { published, publish: async (input: PublishCommandInput) => void published.push(input) };
}

describe('the alarm formatter', () => {
  it('publishes one formatted alert per alarm notification, with its severity attribute', async () => {
    const { published, publish } = recorder();
    const event = snsEvent([
      { message: JSON.stringify(cloudWatchAlarmMessage()) },
      {
        message: JSON.stringify(
          cloudWatchAlarmMessage({
            AlarmName: 'CampaignEvents-warning-events-quarantined',
            NewStateValue: 'OK',
          }),
        ),
      },
    ]);
    await formatAlarms(event, { alertsTopicArn: ALERTS_TOPIC, publish });
    expect(published.map((input) => JSON.parse(input.Message ?? '{}').email)).toEqual([
      expect.stringContaining(ALARM_NAME),
      expect.stringContaining('CampaignEvents-warning-events-quarantined'),
    ]);
    expect(published[1]?.Subject).toMatch(/^\[WARNING\] RESOLVED: /);
    expect(published.map((input) => input.MessageAttributes?.severity?.StringValue)).toEqual([
      'critical',
      'warning',
    ]);
    expect(published.every((input) => input.TopicArn === ALERTS_TOPIC)).toBe(true);
    expect(published[0]?.Subject).toBe('[CRITICAL] ALARM: Ingest API 5XX rate above 1%');
  });

  it('forwards a message it does not recognise as a critical notice instead of dropping it', async () => {
    const { published, publish } = recorder();
    await formatAlarms(snsEvent([{ message: 'not an alarm', subject: 'Hand-made' }]), {
      alertsTopicArn: ALERTS_TOPIC,
      publish,
    });
    expect(published).toHaveLength(1);
    expect(published[0]?.MessageAttributes?.severity?.StringValue).toBe('critical');
    expect(JSON.parse(published[0]?.Message ?? '').email).toContain('not an alarm');
  });

  it('fails the invocation when SNS refuses the publish, so Lambda retries and then parks it', async () => {
    const refuse = async () => {
      throw new Error('KMSAccessDenied');
    };
    await expect(
      formatAlarms(snsEvent([{ message: JSON.stringify(cloudWatchAlarmMessage()) }]), {
        alertsTopicArn: ALERTS_TOPIC,
        publish: refuse,
      }),
    ).rejects.toThrow('KMSAccessDenied');
  });
});

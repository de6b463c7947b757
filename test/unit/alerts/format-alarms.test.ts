import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { formatAlarms } from '../../../functions/alarm-formatter/format-alarms.js';
import { ALARM_NAME, cloudWatchAlarmMessage, snsEvent } from './fixtures.js';

const ALERTS_TOPIC = 'arn:aws:sns:eu-central-1:123456789012:CampaignEvents-alerts';

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
    const alerts = await formatAlarms(event, { alertsTopicArn: ALERTS_TOPIC, publish });
    expect(alerts.map((alert) => [alert.alarmName, alert.severity, alert.state])).toEqual([
      [ALARM_NAME, 'critical', 'ALARM'],
      ['CampaignEvents-warning-events-quarantined', 'warning', 'OK'],
    ]);
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

import { describe, expect, it } from 'vitest';
import {
  alertFromAlarm,
  parseCloudWatchAlarmMessage,
  toIsoTime,
} from '../../../functions/shared/alerts/alert.js';
import { ALARM_NAME, cloudWatchAlarmMessage } from './fixtures.js';

function alertOf(overrides: Record<string, unknown> = {}) {
  const message = parseCloudWatchAlarmMessage(cloudWatchAlarmMessage(overrides));
  if (!message) throw new Error('fixture is not an alarm message');
  return alertFromAlarm(message, new Date('2026-05-04T10:06:00Z'));
}

describe('an alert made from a CloudWatch alarm notification', () => {
  it('takes severity from the alarm name and the explanation from the description', () => {
    expect(alertOf()).toEqual({
      severity: 'critical',
      state: 'ALARM',
      title: 'Ingest API 5XX rate above 1%',
      meaning: 'The endpoint is failing Campaign webhook deliveries with server errors.',
      firstAction: 'Open the ingest function logs.',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [2.5 (04/05/26 10:00:00)] was greater than the threshold (1.0).',
      source: 'cloudwatch-alarm',
      alarmName: ALARM_NAME,
      alarmArn: `arn:aws:cloudwatch:eu-central-1:123456789012:alarm:${ALARM_NAME}`,
      occurredAt: '2026-05-04T10:05:00.123Z',
      region: 'eu-central-1',
      accountId: '123456789012',
      consoleUrl: `https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#alarmsV2:alarm/${ALARM_NAME}`,
      threadId: ALARM_NAME,
    });
  });

  it('reports a return to normal as state OK', () => {
    expect(alertOf({ NewStateValue: 'OK', OldStateValue: 'ALARM' }).state).toBe('OK');
  });

  it('treats an alarm whose name carries no severity as critical and names it by its alarm name', () => {
    const alert = alertOf({ AlarmName: 'someone-elses-alarm', AlarmDescription: null });
    expect(alert.severity).toBe('critical');
    expect(alert.title).toBe('someone-elses-alarm');
    expect(alert.meaning).toBeUndefined();
  });

  it('encodes the alarm name in the console link', () => {
    const alert = alertOf({
      AlarmName: 'CampaignEvents-warning-a b',
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:1:alarm:x',
    });
    expect(alert.consoleUrl).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/CampaignEvents-warning-a%20b',
    );
  });

  it('falls back to the arrival time when the state-change time is missing or unreadable', () => {
    expect(alertOf({ StateChangeTime: undefined }).occurredAt).toBe('2026-05-04T10:06:00.000Z');
    expect(alertOf({ StateChangeTime: 'yesterday-ish' }).occurredAt).toBe('2026-05-04T10:06:00.000Z');
  });
});

describe('recognising an alarm notification', () => {
  it('needs an alarm name and a known new state', () => {
    expect(parseCloudWatchAlarmMessage({ AlarmName: 'x', NewStateValue: 'ALARM' })).toBeDefined();
    expect(parseCloudWatchAlarmMessage({ AlarmName: 'x', NewStateValue: 'ON_FIRE' })).toBeUndefined();
    expect(parseCloudWatchAlarmMessage({ NewStateValue: 'ALARM' })).toBeUndefined();
    expect(parseCloudWatchAlarmMessage('ALARM')).toBeUndefined();
  });
});

describe('CloudWatch timestamps', () => {
  it('become ISO-8601 UTC', () => {
    expect(toIsoTime('2026-05-04T10:05:00.123+0000')).toBe('2026-05-04T10:05:00.123Z');
    expect(toIsoTime('2026-05-04T12:05:00.000+0200')).toBe('2026-05-04T10:05:00.000Z');
    expect(toIsoTime(undefined)).toBeUndefined();
  });
});

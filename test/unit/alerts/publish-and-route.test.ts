import { describe, expect, it } from 'vitest';
import { formatAlertEmail } from '../../../functions/alarm-formatter/email.js';
import { alertPublishInput } from '../../../functions/alarm-formatter/publish.js';
import type { Alert } from '../../../functions/shared/alerts/alert.js';
import {
  alertFromSnsMessage,
  UNRECOGNISED_MESSAGE_TITLE,
} from '../../../functions/shared/alerts/incoming.js';
import { type AlertSeverity, severitiesAtLeast } from '../../../functions/shared/alerts/severity.js';
import { compileFilterPolicy, type FilterableAttribute } from '../../../local/sns-filter-policy.js';
import { cloudWatchAlarmMessage } from './fixtures.js';

const TOPIC = 'arn:aws:sns:eu-central-1:123456789012:CampaignEvents-alerts';
const alert = (severity: AlertSeverity): Alert => ({
  severity,
  state: 'ALARM',
  title: `A ${severity} condition`,
  meaning: 'Something needs a look.',
  firstAction: 'Look.',
  source: 'cloudwatch-alarm',
  alarmName: `CampaignEvents-${severity}-thing`,
  occurredAt: '2026-05-04T10:05:00.000Z',
  threadId: `CampaignEvents-${severity}-thing`,
});

function attributesOf(input: ReturnType<typeof alertPublishInput>): Record<string, FilterableAttribute> {
  return Object.fromEntries(
    Object.entries(input.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      { dataType: value.DataType ?? 'String', stringValue: value.StringValue },
    ]),
  );
}

describe('a published alert', () => {
  it('gives email subscribers the plain-text body and subject, every other protocol the Chatbot JSON', () => {
    const input = alertPublishInput(alert('critical'), TOPIC);
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.MessageStructure).toBe('json');
    expect(input.Subject).toBe(formatAlertEmail(alert('critical')).subject);
    const perProtocol = JSON.parse(input.Message ?? '');
    expect(Object.keys(perProtocol).sort()).toEqual(['default', 'email']);
    expect(perProtocol.email).toBe(formatAlertEmail(alert('critical')).body);
    expect(JSON.parse(perProtocol.default)).toMatchObject({ version: '1.0', source: 'custom' });
  });

  it('carries severity, state and source as String attributes', () => {
    expect(alertPublishInput(alert('warning'), TOPIC).MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'warning' },
      state: { DataType: 'String', StringValue: 'ALARM' },
      source: { DataType: 'String', StringValue: 'cloudwatch-alarm' },
    });
  });

  it('reaches an email subscription filtered at "warning" when warning or critical, not when info', () => {
    // The filter policy Alerting puts on every email subscription of the alerts topic.
    const emailFilter = compileFilterPolicy({ severity: severitiesAtLeast('warning') });
    const delivered = (['info', 'warning', 'critical'] as const).filter((severity) =>
      emailFilter(attributesOf(alertPublishInput(alert(severity), TOPIC))),
    );
    expect(delivered).toEqual(['warning', 'critical']);
  });

  it('is read back by a subscriber (the Slack sender) from the default message and its attributes', () => {
    const input = alertPublishInput(alert('warning'), TOPIC);
    const received = JSON.parse(input.Message ?? '').default as string;
    expect(
      alertFromSnsMessage(
        { message: received, attributes: { severity: 'warning' } },
        { defaultSeverity: 'info' },
      ),
    ).toEqual(alert('warning'));
  });
});

describe('whatever arrives on an alerts topic', () => {
  it('is an alarm alert when it is CloudWatch alarm JSON (the alerting-health alarms arrive raw)', () => {
    const result = alertFromSnsMessage(
      { message: JSON.stringify(cloudWatchAlarmMessage()) },
      { defaultSeverity: 'warning' },
    );
    expect(result).toMatchObject({ severity: 'critical', state: 'ALARM', source: 'cloudwatch-alarm' });
  });

  it('is a notice carrying the text when it is anything else, never dropped', () => {
    const now = new Date('2026-05-04T11:00:00Z');
    expect(
      alertFromSnsMessage(
        { message: 'disk nearly full', subject: 'Manual test', attributes: { severity: 'info' } },
        { defaultSeverity: 'warning', now },
      ),
    ).toEqual({
      severity: 'info',
      state: 'NOTICE',
      title: 'Manual test',
      meaning: 'disk nearly full',
      source: 'sns-message',
      occurredAt: '2026-05-04T11:00:00.000Z',
      threadId: 'Manual test',
    });
    const bare = alertFromSnsMessage(
      { message: 'x'.repeat(5000), attributes: { severity: 'bogus' } },
      { defaultSeverity: 'warning', now },
    );
    expect(bare.title).toBe(UNRECOGNISED_MESSAGE_TITLE);
    expect(bare.severity).toBe('warning');
    expect(bare.meaning?.length).toBe(1500);
  });
});

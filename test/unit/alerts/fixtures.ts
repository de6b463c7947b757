import type { SNSEvent } from 'aws-lambda';
import { formatAlarmDescription } from '../../../functions/shared/alerts/alarm-identity.js';

export const ALARM_NAME = 'CampaignEvents-critical-ingest-5xx-rate';

/** The JSON CloudWatch publishes to SNS when an alarm changes state (shape as documented and observed). */
export function cloudWatchAlarmMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    AlarmName: ALARM_NAME,
    AlarmDescription: formatAlarmDescription({
      title: 'Ingest API 5XX rate above 1%',
      meaning: 'The endpoint is failing Campaign webhook deliveries with server errors.',
      firstAction: 'Open the ingest function logs.',
    }),
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2026-05-04T09:00:00.000+0000',
    NewStateValue: 'ALARM',
    NewStateReason:
      'Threshold Crossed: 1 out of the last 1 datapoints [2.5 (04/05/26 10:00:00)] was greater than the threshold (1.0).',
    StateChangeTime: '2026-05-04T10:05:00.123+0000',
    Region: 'EU (Frankfurt)',
    AlarmArn: `arn:aws:cloudwatch:eu-central-1:123456789012:alarm:${ALARM_NAME}`,
    OldStateValue: 'OK',
    OKActions: ['arn:aws:sns:eu-central-1:123456789012:CampaignEvents-alarms'],
    AlarmActions: ['arn:aws:sns:eu-central-1:123456789012:CampaignEvents-alarms'],
    InsufficientDataActions: [],
    Trigger: { Period: 300, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold', Threshold: 1 },
    ...overrides,
  };
}

/** An SNS event as Lambda receives it from a topic subscription. */
export function snsEvent(
  messages: Array<{ message: string; subject?: string | null; attributes?: Record<string, string> }>,
): SNSEvent {
  return {
    Records: messages.map((entry, index) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: `arn:aws:sns:eu-central-1:123456789012:topic:sub-${index}`,
      Sns: {
        Type: 'Notification',
        MessageId: `message-${index}`,
        TopicArn: 'arn:aws:sns:eu-central-1:123456789012:topic',
        Subject: entry.subject ?? null,
        Message: entry.message,
        Timestamp: '2026-05-04T10:05:01.000Z',
        SignatureVersion: '1',
        Signature: 'signature',
        SigningCertUrl: 'https://sns.eu-central-1.amazonaws.com/cert.pem',
        UnsubscribeUrl: 'https://sns.eu-central-1.amazonaws.com/unsubscribe',
        MessageAttributes: Object.fromEntries(
          Object.entries(entry.attributes ?? {}).map(([name, value]) => [
            name,
            { Type: 'String', Value: value },
          ]),
        ),
      },
    })),
  } as unknown as SNSEvent;
}

import type { Logger } from '@aws-lambda-powertools/logger';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import type { Alert } from '../shared/alerts/alert.js';
import { alertFromSnsMessage } from '../shared/alerts/incoming.js';
import { alertPublishInput } from './publish.js';

export type Publish = (input: PublishCommandInput) => Promise<unknown>;

export interface FormatAlarmsDeps {
  readonly alertsTopicArn: string;
  readonly publish: Publish;
  readonly logger: Logger;
}

/**
 * Turns each alarm notification from the alarm topic into a formatted alert on the alerts topic.
 * Anything that is not a recognisable alarm is still forwarded (as a critical notice), never dropped.
 * A failed publish throws, so Lambda retries the invocation and finally parks it in the dead-letter queue.
 */
export async function formatAlarms(event: SNSEvent, deps: FormatAlarmsDeps): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (const record of event.Records) {
    const alert = alertFromSnsMessage(
      {
        message: record.Sns.Message,
        subject: record.Sns.Subject,
        timestamp: record.Sns.Timestamp,
      },
      { defaultSeverity: 'critical' },
    );
    await deps.publish(alertPublishInput(alert, deps.alertsTopicArn));
    deps.logger.info('Published alert', {
      severity: alert.severity,
      state: alert.state,
      alarmName: alert.alarmName,
      source: alert.source,
    });
    alerts.push(alert);
  }
  return alerts;
}

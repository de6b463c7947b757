import type { Logger } from '@aws-lambda-powertools/logger';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { type Alert, parseCloudWatchAlarmMessage } from '../shared/alerts/alert.js';
import { alertFromSnsMessage } from '../shared/alerts/incoming.js';
import {
  alarmWindow,
  type FilterLogEvents,
  findParkedEvents,
  isParkedEventsAlarm,
  parkedEventLines,
  unreadableParkedEventsLine,
} from './parked-events.js';
import { alertPublishInput } from './publish.js';

export type Publish = (input: PublishCommandInput) => Promise<unknown>;

export interface FormatAlarmsDeps {
  readonly alertsTopicArn: string;
  readonly publish: Publish;
  readonly logger: Logger;
  /** The fan-out's log, whose `Record parked` lines name the parked events in the parked-events alarm. */
  readonly parkedEventsLog?: { readonly logGroupName: string; readonly filter: FilterLogEvents };
  readonly now?: () => Date;
}

/**
 * Turns each alarm notification from the alarm topic into a formatted alert on the alerts topic.
 * Anything that is not a recognisable alarm is still forwarded (as a critical notice), never dropped.
 * A failed publish throws, so Lambda retries the invocation and finally parks it in the dead-letter queue.
 */
export async function formatAlarms(event: SNSEvent, deps: FormatAlarmsDeps): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (const record of event.Records) {
    const incoming = alertFromSnsMessage(
      {
        message: record.Sns.Message,
        subject: record.Sns.Subject,
        timestamp: record.Sns.Timestamp,
      },
      { defaultSeverity: 'critical' },
    );
    const alert = await withParkedEvents(incoming, record.Sns.Message, deps);
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

/**
 * The parked-events alarm's alert names the parked events (from the fan-out's log). A failed lookup never
 * holds the alert back: it goes out saying the keys could not be read and how to list them.
 */
async function withParkedEvents(alert: Alert, message: string, deps: FormatAlarmsDeps): Promise<Alert> {
  const log = deps.parkedEventsLog;
  if (log === undefined) return alert;
  const alarm = parseCloudWatchAlarmMessage(parseJson(message));
  if (alarm === undefined || !isParkedEventsAlarm(alarm)) return alert;
  try {
    const window = alarmWindow(alarm, deps.now?.() ?? new Date());
    const found = await findParkedEvents(log.filter, log.logGroupName, window);
    deps.logger.info('Parked events looked up', { named: found.events.length, more: found.more });
    return { ...alert, details: parkedEventLines(found).join('\n') };
  } catch (error) {
    deps.logger.warn('Parked events not looked up; the alert says how to list them', { error });
    return { ...alert, details: unreadableParkedEventsLine(error) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

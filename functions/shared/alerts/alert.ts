import * as v from 'valibot';
import { parseAlarmDescription, parseAlarmName } from './alarm-identity.js';
import type { AlertSeverity } from './severity.js';

/**
 * One alert, independent of the channel it goes to: a CloudWatch alarm state change, or a notice the
 * project publishes itself. Email, Chatbot and Slack renderings are made from this.
 */
export interface Alert {
  readonly severity: AlertSeverity;
  /** ALARM / OK / INSUFFICIENT_DATA for alarm state changes; NOTICE for anything else. */
  readonly state: AlertState;
  /** One line naming the condition. */
  readonly title: string;
  readonly meaning?: string;
  readonly firstAction?: string;
  /** Why the state changed (CloudWatch's NewStateReason) or other detail. */
  readonly reason?: string;
  /** Facts the formatter looked up for this alarm, one per line (e.g. the parked events' keys and reasons). */
  readonly details?: string;
  /** Who raised it: `cloudwatch-alarm`, or the name of the publishing component. */
  readonly source: string;
  readonly alarmName?: string;
  readonly alarmArn?: string;
  /** ISO-8601 time of the state change or notice. */
  readonly occurredAt: string;
  /** AWS region code, e.g. eu-central-1. */
  readonly region?: string;
  readonly accountId?: string;
  readonly consoleUrl?: string;
  /** Groups updates about the same thing (Chatbot threads): the alarm name for alarms. */
  readonly threadId: string;
}

export const ALERT_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA', 'NOTICE'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const CLOUDWATCH_ALARM_SOURCE = 'cloudwatch-alarm';

/** Severity given to an alarm whose name does not carry one: unknown alarms reach everybody. */
export const UNCLASSIFIED_ALARM_SEVERITY: AlertSeverity = 'critical';

/** The JSON CloudWatch publishes to SNS on an alarm state change (the fields this project reads). */
const CloudWatchAlarmMessageSchema = v.looseObject({
  AlarmName: v.pipe(v.string(), v.minLength(1)),
  AlarmDescription: v.nullish(v.string()),
  AWSAccountId: v.optional(v.string()),
  NewStateValue: v.picklist(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  NewStateReason: v.optional(v.string()),
  OldStateValue: v.optional(v.string()),
  StateChangeTime: v.optional(v.string()),
  AlarmArn: v.optional(v.string()),
});

export type CloudWatchAlarmMessage = v.InferOutput<typeof CloudWatchAlarmMessageSchema>;

/** Parses the body of a CloudWatch alarm notification; undefined when it is not one. */
export function parseCloudWatchAlarmMessage(value: unknown): CloudWatchAlarmMessage | undefined {
  const result = v.safeParse(CloudWatchAlarmMessageSchema, value);
  return result.success ? result.output : undefined;
}

export function alertFromAlarm(message: CloudWatchAlarmMessage, receivedAt: Date = new Date()): Alert {
  const identity = parseAlarmName(message.AlarmName);
  const explanation = parseAlarmDescription(message.AlarmDescription);
  const region = message.AlarmArn ? arnRegion(message.AlarmArn) : undefined;
  return {
    severity: identity?.severity ?? UNCLASSIFIED_ALARM_SEVERITY,
    state: message.NewStateValue,
    title: explanation.title ?? message.AlarmName,
    ...(explanation.meaning ? { meaning: explanation.meaning } : {}),
    ...(explanation.firstAction ? { firstAction: explanation.firstAction } : {}),
    ...(message.NewStateReason ? { reason: message.NewStateReason } : {}),
    source: CLOUDWATCH_ALARM_SOURCE,
    alarmName: message.AlarmName,
    ...(message.AlarmArn ? { alarmArn: message.AlarmArn } : {}),
    occurredAt: toIsoTime(message.StateChangeTime) ?? receivedAt.toISOString(),
    ...(region ? { region, consoleUrl: alarmConsoleUrl(region, message.AlarmName) } : {}),
    ...(message.AWSAccountId ? { accountId: message.AWSAccountId } : {}),
    threadId: message.AlarmName,
  };
}

export function alarmConsoleUrl(region: string, alarmName: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

/** The region of an ARN (arn:partition:service:region:account:...). */
function arnRegion(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) ? region : undefined;
}

/** CloudWatch writes `2024-05-01T10:00:00.000+0000`; turns it (or any parseable time) into ISO-8601 UTC. */
export function toIsoTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const normalized = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const time = Date.parse(normalized);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** Human label of a state, as used in subjects and titles. */
export function stateLabel(state: AlertState): string {
  switch (state) {
    case 'ALARM':
      return 'ALARM';
    case 'OK':
      return 'RESOLVED';
    case 'INSUFFICIENT_DATA':
      return 'INSUFFICIENT DATA';
    case 'NOTICE':
      return 'NOTICE';
  }
}

/** Shortens text to `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

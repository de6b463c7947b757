import { type Alert, alertFromAlarm, parseCloudWatchAlarmMessage, truncate } from './alert.js';
import { alertFromChatbotNotification } from './chatbot.js';
import { type AlertSeverity, isAlertSeverity } from './severity.js';

/** An SNS message as a subscriber receives it (the fields alert handling reads). */
export interface IncomingSnsMessage {
  readonly message: string;
  readonly subject?: string | null;
  /** String message attributes by name. */
  readonly attributes?: Readonly<Record<string, string | undefined>>;
  readonly timestamp?: string;
}

export const UNRECOGNISED_MESSAGE_TITLE = 'Unrecognised message on the alerts path';
const MAX_RAW_TEXT = 1500;

/**
 * Makes an alert of whatever arrives on an alerts topic: a CloudWatch alarm notification, a Chatbot
 * custom notification (what the formatter publishes), or any other text. Never throws and never drops
 * anything: an unknown message becomes a notice carrying its (shortened) text.
 */
export function alertFromSnsMessage(
  incoming: IncomingSnsMessage,
  options: { defaultSeverity: AlertSeverity; now?: Date },
): Alert {
  const receivedAt = parseTime(incoming.timestamp) ?? options.now ?? new Date();
  const attributeSeverity = incoming.attributes?.severity;
  const severity = isAlertSeverity(attributeSeverity) ? attributeSeverity : options.defaultSeverity;
  const json = parseJson(incoming.message);
  const alarm = parseCloudWatchAlarmMessage(json);
  if (alarm) return alertFromAlarm(alarm, receivedAt);
  const custom = alertFromChatbotNotification(json, { severity, receivedAt });
  if (custom) return custom;
  const title = incoming.subject?.trim() || UNRECOGNISED_MESSAGE_TITLE;
  return {
    severity,
    state: 'NOTICE',
    title,
    meaning: truncate(incoming.message, MAX_RAW_TEXT),
    source: 'sns-message',
    occurredAt: receivedAt.toISOString(),
    threadId: title,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseTime(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

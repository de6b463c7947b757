import * as v from 'valibot';
import { ALERT_STATES, type Alert, stateLabel, truncate } from './alert.js';
import { ALERT_SEVERITIES, type AlertSeverity } from './severity.js';

/**
 * AWS Chatbot (Amazon Q Developer in chat applications) shows only AWS-native notifications and messages
 * in its custom-notification format: `{"version": "1.0", "source": "custom", "content": {...},
 * "metadata": {...}}`. Every alert this project publishes itself uses it. The full alert also travels in
 * `metadata.additionalContext` (string values only), so other subscribers (the Slack sender) can read
 * it back without parsing markdown.
 */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: string[];
    readonly keywords?: string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources?: string[];
    readonly additionalContext: Record<string, string>;
  };
}

/** Conservative limits (Chatbot documents markdown titles and descriptions; keep them short). */
export const CHATBOT_LIMITS = { title: 250, description: 4000, nextStep: 500, summary: 250 } as const;

const SEVERITY_EMOJI: Record<AlertSeverity, string> = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':information_source:',
};

export function toChatbotNotification(alert: Alert): ChatbotNotification {
  const emoji = alert.state === 'OK' ? ':white_check_mark:' : SEVERITY_EMOJI[alert.severity];
  const headline = `${alert.severity.toUpperCase()} | ${stateLabel(alert.state)}: ${alert.title}`;
  const description: string[] = [];
  if (alert.meaning) description.push(`*What it means:* ${alert.meaning}`);
  if (alert.reason) description.push(`*Why:* ${alert.reason}`);
  if (alert.details) description.push(alert.details);
  description.push(`*When:* ${alert.occurredAt}`);
  if (alert.alarmName) description.push(`*Alarm:* ${alert.alarmName}`);
  const nextSteps: string[] = [];
  if (alert.firstAction && alert.state !== 'OK') nextSteps.push(alert.firstAction);
  if (alert.consoleUrl) nextSteps.push(`Open the alarm in the CloudWatch console: ${alert.consoleUrl}`);
  return {
    version: '1.0',
    source: 'custom',
    id: `${alert.threadId}:${alert.state}:${alert.occurredAt}`,
    content: {
      textType: 'client-markdown',
      title: truncate(`${emoji} ${headline}`, CHATBOT_LIMITS.title),
      description: truncate(description.join('\n'), CHATBOT_LIMITS.description),
      ...(nextSteps.length > 0
        ? { nextSteps: nextSteps.map((step) => truncate(step, CHATBOT_LIMITS.nextStep)) }
        : {}),
      keywords: [alert.severity, alert.state, alert.source],
    },
    metadata: {
      threadId: alert.threadId,
      summary: truncate(headline, CHATBOT_LIMITS.summary),
      eventType: alert.alarmName ? 'AlarmStateChange' : 'Notice',
      ...(alert.alarmArn ? { relatedResources: [alert.alarmArn] } : {}),
      additionalContext: alertContext(alert),
    },
  };
}

function alertContext(alert: Alert): Record<string, string> {
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(alert)) {
    if (typeof value === 'string') context[key] = value;
  }
  return context;
}

const ChatbotAlertSchema = v.object({
  version: v.literal('1.0'),
  source: v.literal('custom'),
  content: v.looseObject({ title: v.optional(v.string()), description: v.optional(v.string()) }),
  metadata: v.looseObject({
    threadId: v.optional(v.string()),
    additionalContext: v.optional(v.record(v.string(), v.string())),
  }),
});

const AlertContextSchema = v.looseObject({
  severity: v.picklist(ALERT_SEVERITIES),
  state: v.picklist(ALERT_STATES),
  title: v.string(),
  source: v.string(),
  occurredAt: v.string(),
  threadId: v.string(),
  meaning: v.optional(v.string()),
  firstAction: v.optional(v.string()),
  reason: v.optional(v.string()),
  details: v.optional(v.string()),
  alarmName: v.optional(v.string()),
  alarmArn: v.optional(v.string()),
  region: v.optional(v.string()),
  accountId: v.optional(v.string()),
  consoleUrl: v.optional(v.string()),
});

export function isChatbotNotification(value: unknown): boolean {
  return v.is(ChatbotAlertSchema, value);
}

/**
 * Reads an alert back from a custom notification made by {@link toChatbotNotification}. A custom
 * notification from elsewhere (no alert context) becomes a notice built from its title and description.
 */
export function alertFromChatbotNotification(
  value: unknown,
  fallback: { severity: AlertSeverity; receivedAt: Date },
): Alert | undefined {
  const parsed = v.safeParse(ChatbotAlertSchema, value);
  if (!parsed.success) return undefined;
  const notification = parsed.output;
  const context = v.safeParse(AlertContextSchema, notification.metadata.additionalContext ?? {});
  if (context.success) {
    const { severity, state, title, source, occurredAt, threadId, ...optional } = context.output;
    const alert: Alert = { severity, state, title, source, occurredAt, threadId };
    const known = [
      'meaning',
      'firstAction',
      'reason',
      'details',
      'alarmName',
      'alarmArn',
      'region',
      'accountId',
      'consoleUrl',
    ] as const;
    const extra: Partial<Record<(typeof known)[number], string>> = {};
    for (const key of known) {
      const text = optional[key];
      if (typeof text === 'string') extra[key] = text;
    }
    return { ...alert, ...extra };
  }
  const title = notification.content.title?.trim() || 'Notification';
  return {
    severity: fallback.severity,
    state: 'NOTICE',
    title,
    ...(notification.content.description ? { meaning: notification.content.description } : {}),
    source: 'custom-notification',
    occurredAt: fallback.receivedAt.toISOString(),
    threadId: notification.metadata.threadId ?? title,
  };
}

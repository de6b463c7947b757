import { type Alert, stateLabel, truncate } from '../shared/alerts/alert.js';
import type { AlertSeverity } from '../shared/alerts/severity.js';

/** The JSON body posted to a Slack incoming webhook: Block Kit blocks plus a plain-text fallback. */
export interface SlackMessage {
  /** Shown in notifications and by clients that cannot render blocks. */
  readonly text: string;
  readonly blocks: SlackBlock[];
}

export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: MarkdownText; fields?: MarkdownText[] }
  | { type: 'context'; elements: MarkdownText[] }
  | { type: 'actions'; elements: SlackButton[] }
  | { type: 'divider' };

interface PlainText {
  type: 'plain_text';
  text: string;
  emoji: boolean;
}
interface MarkdownText {
  type: 'mrkdwn';
  text: string;
}
interface SlackButton {
  type: 'button';
  text: PlainText;
  url: string;
  style?: 'primary' | 'danger';
}

/** Block Kit limits (characters). */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  contextText: 2000,
  buttonText: 75,
  url: 3000,
  fallbackText: 3000,
} as const;

const SEVERITY_EMOJI: Record<AlertSeverity, string> = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':information_source:',
};

export function toSlackMessage(alert: Alert): SlackMessage {
  const emoji = alert.state === 'OK' ? ':white_check_mark:' : SEVERITY_EMOJI[alert.severity];
  const label = `${alert.severity.toUpperCase()} ${stateLabel(alert.state)}`;
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`${emoji} ${label}: ${alert.title}`, SLACK_LIMITS.headerText),
        emoji: true,
      },
    },
  ];
  const summary: string[] = [];
  if (alert.meaning) summary.push(`*What it means:* ${escapeMrkdwn(alert.meaning)}`);
  if (alert.reason) summary.push(`*Why:* ${escapeMrkdwn(alert.reason)}`);
  if (alert.details) summary.push(escapeMrkdwn(alert.details));
  if (summary.length > 0) {
    blocks.push({ type: 'section', text: mrkdwn(summary.join('\n'), SLACK_LIMITS.sectionText) });
  }
  if (alert.firstAction && alert.state !== 'OK') {
    blocks.push({
      type: 'section',
      text: mrkdwn(`*First action:* ${escapeMrkdwn(alert.firstAction)}`, SLACK_LIMITS.sectionText),
    });
  }
  const context = [
    alert.alarmName ? `Alarm \`${escapeMrkdwn(alert.alarmName)}\`` : undefined,
    alert.region,
    alert.accountId ? `account ${alert.accountId}` : undefined,
    alert.occurredAt,
    `source ${escapeMrkdwn(alert.source)}`,
  ].filter((part): part is string => Boolean(part));
  blocks.push({ type: 'context', elements: [mrkdwn(context.join(' · '), SLACK_LIMITS.contextText)] });
  if (alert.consoleUrl && alert.consoleUrl.length <= SLACK_LIMITS.url) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in CloudWatch', emoji: false },
          url: alert.consoleUrl,
          ...(alert.state === 'ALARM' && alert.severity === 'critical' ? { style: 'danger' as const } : {}),
        },
      ],
    });
  }
  return {
    text: truncate(
      `${emoji} [${alert.severity.toUpperCase()}] ${stateLabel(alert.state)}: ${alert.title}`,
      SLACK_LIMITS.fallbackText,
    ),
    blocks,
  };
}

/** Slack mrkdwn treats &, < and > as control characters; everything else is shown as written. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mrkdwn(text: string, max: number): MarkdownText {
  return { type: 'mrkdwn', text: truncate(text, max) };
}

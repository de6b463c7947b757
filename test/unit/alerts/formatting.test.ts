import { describe, expect, it } from 'vitest';
import { formatAlertEmail, MAX_EMAIL_SUBJECT_LENGTH } from '../../../functions/alarm-formatter/email.js';
import type { Alert } from '../../../functions/shared/alerts/alert.js';
import {
  alertFromChatbotNotification,
  isChatbotNotification,
  toChatbotNotification,
} from '../../../functions/shared/alerts/chatbot.js';
import { SLACK_LIMITS, toSlackMessage } from '../../../functions/slack-notifier/slack-message.js';

const ALARM: Alert = {
  severity: 'critical',
  state: 'ALARM',
  title: 'Ingest API 5XX rate above 1%',
  meaning: 'Webhook deliveries fail with server errors.',
  firstAction: 'Open the ingest function logs.',
  reason: 'Threshold Crossed: 2.5 > 1.0',
  source: 'cloudwatch-alarm',
  alarmName: 'CampaignEvents-critical-ingest-5xx-rate',
  alarmArn: 'arn:aws:cloudwatch:eu-central-1:123456789012:alarm:CampaignEvents-critical-ingest-5xx-rate',
  occurredAt: '2026-05-04T10:05:00.123Z',
  region: 'eu-central-1',
  accountId: '123456789012',
  consoleUrl:
    'https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#alarmsV2:alarm/CampaignEvents-critical-ingest-5xx-rate',
  threadId: 'CampaignEvents-critical-ingest-5xx-rate',
};
const RESOLVED: Alert = { ...ALARM, state: 'OK', reason: 'Threshold Crossed: 0.0 < 1.0' };

describe('email', () => {
  it('has a subject naming severity, state and condition', () => {
    expect(formatAlertEmail(ALARM).subject).toBe('[CRITICAL] ALARM: Ingest API 5XX rate above 1%');
    expect(formatAlertEmail(RESOLVED).subject).toBe('[CRITICAL] RESOLVED: Ingest API 5XX rate above 1%');
  });

  it('keeps the subject within what SNS accepts: printable ASCII, one line, at most 100 characters', () => {
    const subject = formatAlertEmail({
      ...ALARM,
      title: `Zustellung verzögert — ${'x'.repeat(200)}\nzweite Zeile`,
    }).subject;
    expect(subject.length).toBe(MAX_EMAIL_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.startsWith('[CRITICAL] ALARM: Zustellung verzogert ? x')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('has a plain-text body with the meaning, the first action, why, when and where to look', () => {
    const { body } = formatAlertEmail(ALARM);
    expect(body).toBe(
      [
        'ALARM (critical): Ingest API 5XX rate above 1%',
        '',
        'What it means: Webhook deliveries fail with server errors.',
        'First action: Open the ingest function logs.',
        '',
        'Why: Threshold Crossed: 2.5 > 1.0',
        'When: 2026-05-04T10:05:00.123Z',
        'Alarm: CampaignEvents-critical-ingest-5xx-rate',
        'Where: eu-central-1, account 123456789012',
        'Source: cloudwatch-alarm',
        '',
        `Open in the CloudWatch console: ${ALARM.consoleUrl}`,
        '',
      ].join('\n'),
    );
  });

  it('says when an alarm is back to normal', () => {
    expect(formatAlertEmail(RESOLVED).body).toContain('This alarm is back to normal.');
  });

  it('leaves out what a notice does not have', () => {
    const { body } = formatAlertEmail({
      severity: 'info',
      state: 'NOTICE',
      title: 'Webhooks reconciled',
      source: 'webhook-reconciler',
      occurredAt: '2026-05-04T10:00:00.000Z',
      threadId: 'reconcile',
    });
    expect(body).toBe(
      'NOTICE (info): Webhooks reconciled\n\nWhen: 2026-05-04T10:00:00.000Z\nSource: webhook-reconciler\n',
    );
  });
});

describe('Chatbot custom notification', () => {
  it('uses the custom-notification schema Chatbot requires', () => {
    const notification = toChatbotNotification(ALARM);
    expect(notification).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: ':rotating_light: CRITICAL | ALARM: Ingest API 5XX rate above 1%',
        nextSteps: [
          'Open the ingest function logs.',
          `Open the alarm in the CloudWatch console: ${ALARM.consoleUrl}`,
        ],
        keywords: ['critical', 'ALARM', 'cloudwatch-alarm'],
      },
      metadata: {
        threadId: 'CampaignEvents-critical-ingest-5xx-rate',
        summary: 'CRITICAL | ALARM: Ingest API 5XX rate above 1%',
        eventType: 'AlarmStateChange',
        relatedResources: [ALARM.alarmArn],
      },
    });
    expect(notification.content.description).toBe(
      [
        '*What it means:* Webhook deliveries fail with server errors.',
        '*Why:* Threshold Crossed: 2.5 > 1.0',
        '*When:* 2026-05-04T10:05:00.123Z',
        '*Alarm:* CampaignEvents-critical-ingest-5xx-rate',
      ].join('\n'),
    );
    expect(isChatbotNotification(JSON.parse(JSON.stringify(notification)))).toBe(true);
  });

  it('threads the resolution under the alarm, without the first action', () => {
    const notification = toChatbotNotification(RESOLVED);
    expect(notification.content.title).toBe(
      ':white_check_mark: CRITICAL | RESOLVED: Ingest API 5XX rate above 1%',
    );
    expect(notification.content.nextSteps).toEqual([
      `Open the alarm in the CloudWatch console: ${ALARM.consoleUrl}`,
    ]);
    expect(notification.metadata.threadId).toBe(toChatbotNotification(ALARM).metadata.threadId);
  });

  it('carries the whole alert, which reads back unchanged', () => {
    const wire = JSON.parse(JSON.stringify(toChatbotNotification(ALARM)));
    const fallback = { severity: 'info' as const, receivedAt: new Date(0) };
    expect(alertFromChatbotNotification(wire, fallback)).toEqual(ALARM);
  });

  it('reads a custom notification from elsewhere as a notice of the given severity', () => {
    const foreign = {
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: 'Deploy finished', description: 'v42 is live' },
      metadata: { threadId: 'deploys' },
    };
    expect(
      alertFromChatbotNotification(foreign, { severity: 'info', receivedAt: new Date('2026-01-01Z') }),
    ).toEqual({
      severity: 'info',
      state: 'NOTICE',
      title: 'Deploy finished',
      meaning: 'v42 is live',
      source: 'custom-notification',
      occurredAt: '2026-01-01T00:00:00.000Z',
      threadId: 'deploys',
    });
    expect(
      alertFromChatbotNotification({ version: '2.0' }, { severity: 'info', receivedAt: new Date() }),
    ).toBe(undefined);
  });
});

describe('Slack Block Kit message', () => {
  it('shows a header, what it means, the first action, context and a console button', () => {
    expect(toSlackMessage(ALARM)).toEqual({
      text: ':rotating_light: [CRITICAL] ALARM: Ingest API 5XX rate above 1%',
      blocks: [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: ':rotating_light: CRITICAL ALARM: Ingest API 5XX rate above 1%',
            emoji: true,
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '*What it means:* Webhook deliveries fail with server errors.\n*Why:* Threshold Crossed: 2.5 &gt; 1.0',
          },
        },
        { type: 'section', text: { type: 'mrkdwn', text: '*First action:* Open the ingest function logs.' } },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: 'Alarm `CampaignEvents-critical-ingest-5xx-rate` · eu-central-1 · account 123456789012 · 2026-05-04T10:05:00.123Z · source cloudwatch-alarm',
            },
          ],
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open in CloudWatch', emoji: false },
              url: ALARM.consoleUrl,
              style: 'danger',
            },
          ],
        },
      ],
    });
  });

  it('marks a resolution and drops the first action', () => {
    const message = toSlackMessage(RESOLVED);
    expect(message.text).toBe(':white_check_mark: [CRITICAL] RESOLVED: Ingest API 5XX rate above 1%');
    expect(JSON.stringify(message.blocks)).not.toContain('First action');
    expect(JSON.stringify(message.blocks)).not.toContain('danger');
  });

  it('escapes Slack control characters and respects Block Kit length limits', () => {
    const message = toSlackMessage({
      ...ALARM,
      title: 'T'.repeat(400),
      meaning: '<!channel> & friends',
      firstAction: 'a'.repeat(5000),
    });
    const [header, summary, action] = message.blocks;
    expect(header?.type === 'header' && header.text.text.length).toBe(SLACK_LIMITS.headerText);
    expect(summary?.type === 'section' && summary.text.text).toContain('&lt;!channel&gt; &amp; friends');
    expect(action?.type === 'section' && action.text.text.length).toBe(SLACK_LIMITS.sectionText);
  });
});

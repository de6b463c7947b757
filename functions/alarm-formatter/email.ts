import { type Alert, stateLabel } from '../shared/alerts/alert.js';

/** SNS email subjects: ASCII, one line, at most 100 characters. */
export const MAX_EMAIL_SUBJECT_LENGTH = 100;

export interface AlertEmail {
  readonly subject: string;
  readonly body: string;
}

/** The subject and plain-text body an email subscriber of the alerts topic receives. */
export function formatAlertEmail(alert: Alert): AlertEmail {
  return { subject: emailSubject(alert), body: emailBody(alert) };
}

export function emailSubject(alert: Alert): string {
  const text = `[${alert.severity.toUpperCase()}] ${stateLabel(alert.state)}: ${alert.title}`;
  return toSubjectSafe(text);
}

function emailBody(alert: Alert): string {
  const lines: string[] = [`${stateLabel(alert.state)} (${alert.severity}): ${alert.title}`, ''];
  if (alert.state === 'OK') lines.push('This alarm is back to normal.', '');
  if (alert.meaning) lines.push(`What it means: ${alert.meaning}`);
  if (alert.firstAction) lines.push(`First action: ${alert.firstAction}`);
  if (alert.meaning || alert.firstAction) lines.push('');
  if (alert.reason) lines.push(`Why: ${alert.reason}`);
  if (alert.details) lines.push(...alert.details.split('\n'));
  lines.push(`When: ${alert.occurredAt}`);
  if (alert.alarmName) lines.push(`Alarm: ${alert.alarmName}`);
  const where = [alert.region, alert.accountId ? `account ${alert.accountId}` : undefined].filter(Boolean);
  if (where.length > 0) lines.push(`Where: ${where.join(', ')}`);
  lines.push(`Source: ${alert.source}`);
  if (alert.consoleUrl) lines.push('', `Open in the CloudWatch console: ${alert.consoleUrl}`);
  return `${lines.join('\n')}\n`;
}

/**
 * SNS rejects subjects that are not printable ASCII, contain line breaks or exceed 100 characters:
 * replace what it would reject rather than lose the alert.
 */
function toSubjectSafe(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  if (ascii.length <= MAX_EMAIL_SUBJECT_LENGTH) return ascii;
  return `${ascii.slice(0, MAX_EMAIL_SUBJECT_LENGTH - 3)}...`;
}

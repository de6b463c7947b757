import type { Logger } from '@aws-lambda-powertools/logger';
import type { SNSEvent, SNSMessageAttributes } from 'aws-lambda';
import { alertFromSnsMessage } from '../shared/alerts/incoming.js';
import { postToSlack, type SlackPostOptions } from './slack-client.js';
import { toSlackMessage } from './slack-message.js';
import { parseWebhookSecret } from './webhook-secret.js';

/** Returns the raw value of the webhook secret (production: Powertools `getSecret`, cached). */
export type WebhookSecretProvider = () => Promise<string | Uint8Array | undefined>;

export interface PostAlertsDeps {
  readonly webhookSecret: WebhookSecretProvider;
  /** Retry settings, with the deadline of this invocation. */
  readonly post?: SlackPostOptions;
  readonly logger: Logger;
}

export interface PostAlertsResult {
  readonly alarmNames: readonly string[];
  readonly posted: number;
  readonly failures: readonly unknown[];
}

/**
 * Posts each alert of the alerts-topic event to Slack as Block Kit. Every record is attempted even if an
 * earlier one failed; each failure (secret, payload, Slack) is logged and returned, never the webhook URL.
 */
export async function postAlerts(event: SNSEvent, deps: PostAlertsDeps): Promise<PostAlertsResult> {
  const failures: unknown[] = [];
  const alarmNames: string[] = [];
  let posted = 0;
  for (const record of event.Records) {
    const alert = alertFromSnsMessage(
      {
        message: record.Sns.Message,
        subject: record.Sns.Subject,
        attributes: stringAttributes(record.Sns.MessageAttributes),
        timestamp: record.Sns.Timestamp,
      },
      { defaultSeverity: 'warning' },
    );
    const summary = { severity: alert.severity, state: alert.state, alarmName: alert.alarmName };
    alarmNames.push(alert.alarmName ?? '-');
    try {
      const webhookUrl = parseWebhookSecret(await deps.webhookSecret());
      const result = await postToSlack(webhookUrl, toSlackMessage(alert), deps.post);
      deps.logger.info('Posted alert to Slack', { ...summary, attempts: result.attempts });
      posted++;
    } catch (error) {
      deps.logger.error('Could not post alert to Slack', { ...summary, error: describe(error) });
      failures.push(error);
    }
  }
  return { alarmNames, posted, failures };
}

/** Throws the failures of a delivery: one as it is, several together. */
export function throwFailures(failures: readonly unknown[]): void {
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new AggregateError(failures, `${failures.length} alerts could not be posted to Slack`);
  }
}

function stringAttributes(attributes: SNSMessageAttributes | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(attributes ?? {})) {
    if (attribute.Type === 'String') result[name] = attribute.Value;
  }
  return result;
}

/** Name and message only: both are written by this code and never contain the webhook URL. */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const details = (error as Error & { details?: unknown }).details;
    return { name: error.name, message: error.message, ...(details ? { details } : {}) };
  }
  return { name: 'unknown' };
}

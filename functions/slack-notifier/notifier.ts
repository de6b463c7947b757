import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SNSEvent, SNSMessageAttributes } from 'aws-lambda';
import { alertFromSnsMessage } from '../shared/alerts/incoming.js';
import { toSlackMessage } from '../shared/alerts/slack-message.js';
import { postToSlack, type SlackPostOptions } from './slack-client.js';
import { parseWebhookSecret } from './webhook-secret.js';

/** Returns the raw value of the webhook secret (production: Powertools `getSecret`, cached). */
export type WebhookSecretProvider = () => Promise<string | Uint8Array | undefined>;

export type NotifierLogger = Pick<Logger, 'info' | 'error'>;

export interface SlackNotifierDeps {
  readonly webhookSecret: WebhookSecretProvider;
  /** Retry settings; `deadline` is set from the invocation's remaining time when a Lambda context is given. */
  readonly post?: SlackPostOptions;
  readonly logger?: NotifierLogger;
  /** Time kept back from the invocation's end for logging and returning. @default 3000 */
  readonly deadlineMarginMs?: number;
}

/** The part of Lambda's context the notifier reads. */
export type InvocationTime = Pick<Context, 'getRemainingTimeInMillis'>;

const DEFAULT_DEADLINE_MARGIN_MS = 3000;

/**
 * The alerts-topic subscriber that posts each alert to Slack as Block Kit. Any failure (secret, payload,
 * Slack) is thrown after logging, so Lambda's asynchronous retries run and then the dead-letter queue keeps
 * the alert. Every record is attempted even if an earlier one failed. Retries stop before the invocation's
 * remaining time (minus a margin) runs out, so a slow Slack fails cleanly rather than by a timeout.
 */
export function createSlackNotifier(
  deps: SlackNotifierDeps,
): (event: SNSEvent, context?: InvocationTime) => Promise<void> {
  return async (event, context) => {
    const now = deps.post?.now ?? Date.now;
    const post: SlackPostOptions | undefined =
      context === undefined
        ? deps.post
        : {
            ...deps.post,
            deadline:
              now() +
              context.getRemainingTimeInMillis() -
              (deps.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS),
          };
    const failures: unknown[] = [];
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
      try {
        const webhookUrl = parseWebhookSecret(await deps.webhookSecret());
        const result = await postToSlack(webhookUrl, toSlackMessage(alert), post);
        deps.logger?.info('Posted alert to Slack', { ...summary, attempts: result.attempts });
      } catch (error) {
        deps.logger?.error('Could not post alert to Slack', { ...summary, error: describe(error) });
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new AggregateError(failures, `${failures.length} alerts could not be posted to Slack`);
    }
  };
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

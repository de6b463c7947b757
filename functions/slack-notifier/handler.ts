import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { requiredEnv } from '../shared/env.js';
import { createSlackNotifier } from './notifier.js';

const logger = new Logger();
const secretName = requiredEnv('SLACK_WEBHOOK_SECRET_NAME');
/** Seconds the webhook URL is cached between Secrets Manager reads. */
const SECRET_CACHE_SECONDS = 300;

/** Alerts-topic subscriber: posts every alert to the Slack incoming webhook held in Secrets Manager. */
export const handler = createSlackNotifier({
  webhookSecret: () => getSecret(secretName, { maxAge: SECRET_CACHE_SECONDS }),
  logger,
});

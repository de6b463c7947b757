import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { readEnvironment } from '../shared/contracts/env.js';
import { SLACK_NOTIFIER_ENV } from '../shared/contracts/environment.js';
import { createSlackNotifier } from './notifier.js';

const logger = new Logger();
const { slackWebhookSecretName: secretName } = readEnvironment(SLACK_NOTIFIER_ENV);
/** Seconds the webhook URL is cached between Secrets Manager reads. */
const SECRET_CACHE_SECONDS = 300;

/** Alerts-topic subscriber: posts every alert to the Slack incoming webhook held in Secrets Manager. */
export const handler = createSlackNotifier({
  webhookSecret: () => getSecret(secretName, { maxAge: SECRET_CACHE_SECONDS }),
  logger,
});

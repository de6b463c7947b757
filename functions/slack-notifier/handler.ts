import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readEnvironment } from '../shared/contracts/env.js';
import { SLACK_NOTIFIER_ENV } from '../shared/contracts/environment.js';
import { createObservability, traced } from '../shared/observability.js';
import { createSlackNotifierHandler } from './slack-notifier-handler.js';

/** Seconds the webhook URL is cached between Secrets Manager reads. */
const SECRET_CACHE_SECONDS = 300;

const { slackWebhookSecretName } = readEnvironment(SLACK_NOTIFIER_ENV);
const { logger, metrics, tracer } = createObservability();
const secrets = new SecretsProvider({ awsSdkV3Client: traced(tracer, new SecretsManagerClient({})) });

/** Alerts-topic subscriber: posts every alert to the Slack incoming webhook held in Secrets Manager. */
export const handler = createSlackNotifierHandler({
  webhookSecret: () => secrets.get(slackWebhookSecretName, { maxAge: SECRET_CACHE_SECONDS }),
  logger,
  metrics,
  tracer,
});

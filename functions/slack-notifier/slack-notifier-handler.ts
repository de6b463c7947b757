import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { failInvocation } from '../shared/error-policy.js';
import { METRICS } from '../shared/metrics-catalog.js';
import { captureLambdaHandler } from '../shared/tracing/middleware.js';
import type { Tracer } from '../shared/tracing/tracer.js';
import { postAlerts, throwFailures, type WebhookSecretProvider } from './notifier.js';
import type { SlackPostOptions } from './slack-client.js';

export interface SlackNotifierDeps {
  readonly webhookSecret: WebhookSecretProvider;
  /** Retry settings; `deadline` is set from the invocation's remaining time. */
  readonly post?: SlackPostOptions;
  /** Time kept back from the invocation's end for logging and returning. @default 3000 */
  readonly deadlineMarginMs?: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

const DEFAULT_DEADLINE_MARGIN_MS = 3000;

/**
 * The alerts-topic subscriber that posts each alert to Slack. Any failure is thrown after logging, so
 * Lambda's asynchronous retries run and then the dead-letter queue keeps the alert. Retries stop before
 * the invocation's remaining time (minus a margin) runs out, so a slow Slack fails cleanly, not by timeout.
 */
export function createSlackNotifierHandler(deps: SlackNotifierDeps) {
  const { logger, metrics, tracer } = deps;
  return middy<SNSEvent, void>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(
      failInvocation(logger, 'Alerts not posted to Slack; Lambda retries them, then parks them in the DLQ'),
    )
    .handler(async (event, context) => {
      const now = deps.post?.now ?? Date.now;
      const margin = deps.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
      const post = { ...deps.post, deadline: now() + context.getRemainingTimeInMillis() - margin };
      const result = await postAlerts(event, { webhookSecret: deps.webhookSecret, post, logger });
      tracer.putAnnotation('alarmName', result.alarmNames.join(','));
      metrics.addMetric(METRICS.alertsPosted, MetricUnit.Count, result.posted);
      metrics.addMetric(METRICS.alertPostFailures, MetricUnit.Count, result.failures.length);
      throwFailures(result.failures);
    });
}

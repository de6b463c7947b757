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
import { type FormatAlarmsDeps, formatAlarms, type Publish } from './format-alarms.js';

export interface AlarmFormatterDeps {
  readonly alertsTopicArn: string;
  readonly publish: Publish;
  readonly parkedEventsLog?: FormatAlarmsDeps['parkedEventsLog'];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/** Alarm topic subscriber: CloudWatch alarm JSON in, formatted alert (with a severity attribute) out. */
export function createAlarmFormatterHandler(deps: AlarmFormatterDeps) {
  const { logger, metrics, tracer } = deps;
  return middy<SNSEvent, void>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(
      failInvocation(logger, 'Alarm notification not formatted; Lambda retries it, then parks it in the DLQ'),
    )
    .handler(async (event) => {
      const alerts = await formatAlarms(event, deps);
      metrics.addMetric(METRICS.alertsFormatted, MetricUnit.Count, alerts.length);
      tracer.putAnnotation('alarmName', alerts.map((alert) => alert.alarmName ?? '-').join(','));
      tracer.putAnnotation('severity', alerts.map((alert) => alert.severity).join(','));
    });
}

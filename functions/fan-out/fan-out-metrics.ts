import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_DIMENSIONS, METRICS } from '../shared/metrics-catalog.js';
import { publishMetrics } from '../shared/metrics-publishing.js';
import type { FanOutResult } from './fan-out.js';

/**
 * PublishFailures in total (every failed record, an unreadable one without a type included; zero too, so
 * the alarm sees every invocation), then EventsPublished and PublishFailures per EventType.
 */
export function publishFanOutMetrics(metrics: Metrics, result: FanOutResult): void {
  publishMetrics(metrics, {}, [
    { name: METRICS.publishFailures, unit: MetricUnit.Count, values: [result.failures.length] },
  ]);
  const types = new Set([...result.publishedByType.keys(), ...result.failedByType.keys()]);
  for (const eventType of types) {
    publishMetrics(metrics, { [METRIC_DIMENSIONS.eventType]: eventType }, [
      {
        name: METRICS.eventsPublished,
        unit: MetricUnit.Count,
        values: [result.publishedByType.get(eventType) ?? 0],
      },
      {
        name: METRICS.publishFailures,
        unit: MetricUnit.Count,
        values: [result.failedByType.get(eventType) ?? 0],
      },
    ]);
  }
}

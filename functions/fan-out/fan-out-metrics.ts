import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_DIMENSIONS, METRICS } from '../shared/metrics-catalog.js';
import { publishMetrics } from '../shared/metrics-publishing.js';
import type { FanOutResult } from './fan-out.js';

/** EventsPublished and PublishFailures per EventType (an unreadable record has no type and no metric). */
export function publishFanOutMetrics(metrics: Metrics, result: FanOutResult): void {
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

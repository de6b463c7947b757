import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { METRIC_DIMENSIONS, METRICS } from '../shared/metrics-catalog.js';
import { publishMetrics } from '../shared/metrics-publishing.js';

/** What one invocation did, whichever source (the stream, the held-events queue) it read. */
export interface FanOutCounts {
  readonly publishedByType: ReadonlyMap<CampaignEventType, number>;
  readonly failedByType?: ReadonlyMap<CampaignEventType, number>;
  /** Records not published (reported, parked or held), an unreadable one without a type included. */
  readonly notPublished: number;
  readonly parked: number;
  readonly held: number;
  readonly republished: number;
}

/**
 * The totals (PublishFailures, EventsParked, EventsHeld, EventsRepublished; zero too, so the alarms see
 * every invocation), then EventsPublished and PublishFailures per EventType.
 */
export function publishFanOutMetrics(metrics: Metrics, counts: FanOutCounts): void {
  publishMetrics(metrics, {}, [
    { name: METRICS.publishFailures, unit: MetricUnit.Count, values: [counts.notPublished] },
    { name: METRICS.eventsParked, unit: MetricUnit.Count, values: [counts.parked] },
    { name: METRICS.eventsHeld, unit: MetricUnit.Count, values: [counts.held] },
    { name: METRICS.eventsRepublished, unit: MetricUnit.Count, values: [counts.republished] },
  ]);
  const failedByType = counts.failedByType ?? new Map<CampaignEventType, number>();
  const types = new Set([...counts.publishedByType.keys(), ...failedByType.keys()]);
  for (const eventType of types) {
    publishMetrics(metrics, { [METRIC_DIMENSIONS.eventType]: eventType }, [
      {
        name: METRICS.eventsPublished,
        unit: MetricUnit.Count,
        values: [counts.publishedByType.get(eventType) ?? 0],
      },
      {
        name: METRICS.publishFailures,
        unit: MetricUnit.Count,
        values: [failedByType.get(eventType) ?? 0],
      },
    ]);
  }
}

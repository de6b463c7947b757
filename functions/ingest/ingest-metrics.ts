import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_DIMENSIONS, METRICS, type RejectionReason } from '../shared/metrics-catalog.js';
import { storeMetrics } from '../shared/metrics-publishing.js';
import type { IngestSummary } from './ingest-batch.js';

/**
 * The ingest metrics of metrics-catalog.ts for a stored batch: totals under the `service` dimension
 * alone (counts with zeros included, so rates and alarms see every batch; every delay), then per-type
 * counts and delays under `EventType`. The last document is published by the handler's logMetrics.
 */
export function publishIngestMetrics(metrics: Metrics, summary: IngestSummary): void {
  const count = (name: string, value: number) => ({ name, unit: MetricUnit.Count, values: [value] });
  storeMetrics(metrics, {}, [
    count(METRICS.eventsReceived, summary.received),
    count(METRICS.eventsAccepted, summary.accepted),
    count(METRICS.eventsQuarantined, summary.quarantined),
    count(METRICS.hardBounces, summary.bounces.hard),
    count(METRICS.softBounces, summary.bounces.soft),
    count(METRICS.spamComplaints, summary.byType.get('spamcomplaint')?.accepted ?? 0),
    count(METRICS.verificationEvents, summary.verification),
    count(METRICS.eventsKeptInS3, summary.keptInS3),
    {
      name: METRICS.eventDelay,
      unit: MetricUnit.Seconds,
      values: [...summary.byType.values()].flatMap((tally) => tally.delaysSeconds),
    },
  ]);
  for (const [eventType, tally] of summary.byType) {
    storeMetrics(metrics, { [METRIC_DIMENSIONS.eventType]: eventType }, [
      count(METRICS.eventsReceived, tally.received),
      count(METRICS.eventsAccepted, tally.accepted),
      count(METRICS.eventsMissingFields, tally.missingFields),
      { name: METRICS.eventDelay, unit: MetricUnit.Seconds, values: tally.delaysSeconds },
    ]);
  }
}

/** One refused request, under its `Reason`. */
export function publishRejection(metrics: Metrics, reason: RejectionReason): void {
  storeMetrics(metrics, { [METRIC_DIMENSIONS.reason]: reason }, [
    { name: METRICS.requestsRejected, unit: MetricUnit.Count, values: [1] },
  ]);
}

/** One authenticated request, under its content type label (see contentTypeLabel). */
export function publishContentType(metrics: Metrics, contentType: string): void {
  storeMetrics(metrics, { [METRIC_DIMENSIONS.contentType]: contentType }, [
    { name: METRICS.requestsByContentType, unit: MetricUnit.Count, values: [1] },
  ]);
}

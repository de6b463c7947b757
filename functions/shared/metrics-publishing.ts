import type { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface MetricValues {
  /** A name from metrics-catalog.ts. */
  readonly name: string;
  readonly unit: Unit;
  readonly values: readonly number[];
}

/** EMF keeps at most 100 values per metric in one document; Powertools flushes (and drops dimensions) at 100. */
const VALUES_PER_DOCUMENT = 99;

/**
 * Publishes metric values under exactly `dimensions` (plus the Powertools default `service` dimension),
 * in as many EMF documents as the values need, each carrying the dimensions. Metrics with no values are
 * skipped. Nothing else may be stored on `metrics` when this is called.
 */
export function publishMetrics(
  metrics: Metrics,
  dimensions: Readonly<Record<string, string>>,
  points: readonly MetricValues[],
): void {
  storeMetrics(metrics, dimensions, points);
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/**
 * {@link publishMetrics} for a handler whose chain ends with Powertools' `logMetrics`: what an earlier
 * call stored is published first (under its own dimensions), and the last document of these values stays
 * stored for `logMetrics` to publish when the invocation ends, so it never flushes an empty set (which
 * Powertools reports with a warning on every invocation).
 */
export function storeMetrics(
  metrics: Metrics,
  dimensions: Readonly<Record<string, string>>,
  points: readonly MetricValues[],
): void {
  const withValues = points.filter((point) => point.values.length > 0);
  const longest = Math.max(0, ...withValues.map((point) => point.values.length));
  for (let offset = 0; offset < longest; offset += VALUES_PER_DOCUMENT) {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
    for (const point of withValues) {
      for (const value of point.values.slice(offset, offset + VALUES_PER_DOCUMENT)) {
        metrics.addMetric(point.name, point.unit, value);
      }
    }
  }
}

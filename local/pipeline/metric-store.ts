/**
 * A CloudWatch metrics stand-in for the local alarms: datapoints by namespace, name and exact dimension
 * set, and the statistics an alarm asks for over a time window (Sum, SampleCount, Average, Minimum,
 * Maximum, pNN).
 */

export interface MetricDatum {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly values: readonly number[];
}

export interface MetricIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface StatisticResult {
  /** Undefined when the series has no datapoint in the window (missing data). */
  readonly value: number | undefined;
  /**
   * Set when the exact series was never emitted and the value was computed from the series that carry
   * more dimensions (e.g. the per-EventType series of a total): how many such series were combined.
   */
  readonly combinedSeries?: number;
}

export class UnsupportedStatisticError extends Error {
  override readonly name = 'UnsupportedStatisticError';
}

/** How long datapoints are kept: longer than any alarm window of the stack (1 h). */
const RETENTION_MS = 3 * 60 * 60 * 1000;

export class MetricStore {
  private readonly series = new Map<string, { identity: MetricIdentity; points: MetricDatum[] }>();

  put(datum: MetricDatum): void {
    if (datum.values.length === 0) return;
    const key = seriesKey(datum);
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = {
        identity: { namespace: datum.namespace, name: datum.name, dimensions: { ...datum.dimensions } },
        points: [],
      };
      this.series.set(key, entry);
    }
    entry.points.push(datum);
    const horizon = datum.timestamp - RETENTION_MS;
    while ((entry.points[0]?.timestamp ?? horizon) < horizon) entry.points.shift();
  }

  /** Every series seen so far. */
  identities(): MetricIdentity[] {
    return [...this.series.values()].map((entry) => entry.identity);
  }

  /** The statistic of `metric` over [from, to). */
  statistic(metric: MetricIdentity, statistic: string, from: number, to: number): StatisticResult {
    const exact = this.series.get(seriesKey(metric));
    let points: MetricDatum[];
    let combinedSeries: number | undefined;
    if (exact !== undefined) {
      points = exact.points;
    } else {
      const wider = [...this.series.values()].filter((entry) => isNarrowing(metric, entry.identity));
      points = wider.flatMap((entry) => entry.points);
      if (wider.length > 0) combinedSeries = wider.length;
    }
    const values = points
      .filter((point) => point.timestamp >= from && point.timestamp < to)
      .flatMap((point) => point.values);
    const value = values.length === 0 ? undefined : computeStatistic(statistic, values);
    return combinedSeries === undefined ? { value } : { value, combinedSeries };
  }
}

export function computeStatistic(statistic: string, values: readonly number[]): number {
  switch (statistic) {
    case 'Sum':
      return values.reduce((sum, value) => sum + value, 0);
    case 'SampleCount':
      return values.length;
    case 'Average':
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
  }
  const percentile = /^p(\d{1,2}(\.\d+)?|100)$/.exec(statistic);
  if (percentile) {
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.ceil((Number(percentile[1]) / 100) * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
  }
  throw new UnsupportedStatisticError(`The statistic ${statistic} is not evaluated locally`);
}

function seriesKey(metric: MetricIdentity): string {
  const dimensions = Object.entries(metric.dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`)
    .join(',');
  return `${metric.namespace}|${metric.name}|${dimensions}`;
}

/** True when `candidate` is the same metric with every dimension of `wanted` and more. */
function isNarrowing(wanted: MetricIdentity, candidate: MetricIdentity): boolean {
  if (candidate.namespace !== wanted.namespace || candidate.name !== wanted.name) return false;
  const wantedDimensions = Object.entries(wanted.dimensions);
  return (
    Object.keys(candidate.dimensions).length > wantedDimensions.length &&
    wantedDimensions.every(([name, value]) => candidate.dimensions[name] === value)
  );
}

import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Config } from '../../config.js';

export type DispatchSilenceConfig = Config['alerts']['dispatchSilence'];
export type ActiveHoursUtc = Exclude<DispatchSilenceConfig['activeHoursUtc'], 'always'>;

export interface SilenceAlarmShape {
  readonly metric: cloudwatch.IMetric;
  readonly evaluationPeriods: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** Alarm when the watched value is below 1 (no `sent` event) in every evaluated period. */
  readonly threshold: 1;
}

/**
 * The dispatch-silence alarm's metric and evaluation: no `sent` event for `windowMinutes`.
 *
 * - `always`: one period of the window's length; missing data (nothing was sent) is breaching.
 * - Active hours: periods of gcd(window, 60) minutes, so each falls inside one UTC hour, and the metric math
 *   `IF(<hour is active>, sent, 1)` over them. HOUR() returns a non-sparse series (a value for every
 *   period, data or not), IF gives 0 where the hour is active and `sent` has no data point, and 1 outside
 *   the active hours, so every period of the window must be active and empty for the alarm to fire.
 *   (Functions per CloudWatch's "Metric math syntax and functions": HOUR, IF, comparison and logical operators.)
 */
export function silenceAlarmShape(
  sentPerPeriod: (period: Duration) => cloudwatch.Metric,
  silence: DispatchSilenceConfig,
): SilenceAlarmShape {
  const { windowMinutes, activeHoursUtc } = silence;
  if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > 1440) {
    throw new Error(
      `dispatchSilence.windowMinutes must be a whole number from 1 to 1440, got ${windowMinutes}`,
    );
  }
  if (activeHoursUtc === 'always') {
    return {
      metric: sentPerPeriod(Duration.minutes(windowMinutes)),
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      threshold: 1,
    };
  }
  const periodMinutes = gcd(windowMinutes, 60);
  const period = Duration.minutes(periodMinutes);
  return {
    metric: new cloudwatch.MathExpression({
      expression: `IF(${activeHoursCondition('sent', activeHoursUtc)}, sent, 1)`,
      usingMetrics: { sent: sentPerPeriod(period) },
      period,
      label: 'sent events (1 outside active hours)',
    }),
    evaluationPeriods: windowMinutes / periodMinutes,
    // The expression has a value for every period; should it ever have none, say so rather than stay quiet.
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    threshold: 1,
  };
}

/** A metric-math condition true (1) for data points inside [startHour, endHour) UTC; wraps past midnight. */
export function activeHoursCondition(metricId: string, hours: ActiveHoursUtc): string {
  const { startHour, endHour } = hours;
  for (const [name, hour] of Object.entries({ startHour, endHour })) {
    if (!Number.isInteger(hour) || hour < 0 || hour > 23) {
      throw new Error(
        `dispatchSilence.activeHoursUtc.${name} must be a whole hour from 0 to 23, got ${hour}`,
      );
    }
  }
  if (startHour === endHour) {
    throw new Error(
      `dispatchSilence.activeHoursUtc has startHour = endHour = ${startHour}, an empty window; use "always" for all day`,
    );
  }
  const hour = `HOUR(${metricId})`;
  return startHour < endHour
    ? `(${hour} >= ${startHour} AND ${hour} < ${endHour})`
    : `(${hour} >= ${startHour} OR ${hour} < ${endHour})`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

import * as logs from 'aws-cdk-lib/aws-logs';

/** Every finite retention period CloudWatch Logs offers, in days, ascending (from aws-cdk-lib's enum). */
export const CLOUDWATCH_RETENTION_DAYS: readonly number[] = Object.values(logs.RetentionDays)
  .filter((days): days is number => typeof days === 'number' && days !== logs.RetentionDays.INFINITE)
  .sort((a, b) => a - b);

/** The longest finite retention CloudWatch offers; the configuration refuses more. */
export const MAX_LOG_RETENTION_DAYS = CLOUDWATCH_RETENTION_DAYS[CLOUDWATCH_RETENTION_DAYS.length - 1] ?? 3653;

/** CloudWatch accepts only certain periods: the shortest one that keeps logs at least `days`. */
export function retentionFromDays(days: number): logs.RetentionDays {
  const period = CLOUDWATCH_RETENTION_DAYS.find((offered) => offered >= days);
  if (period === undefined) {
    throw new RangeError(
      `Log retention of ${days} days exceeds CloudWatch's longest, ${MAX_LOG_RETENTION_DAYS}`,
    );
  }
  return period as logs.RetentionDays;
}

import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import {
  type AlarmExplanation,
  formatAlarmDescription,
  formatAlarmName,
} from '../../../functions/shared/alerts/alarm-identity.js';
import type { AlertSeverity } from '../../../functions/shared/alerts/severity.js';

/** Sends an alarm's notifications (ALARM and OK) somewhere people will see them. */
export interface AlarmRouter {
  routeAlarm(alarm: cloudwatch.Alarm): void;
}

export interface ProjectAlarmSpec extends AlarmExplanation {
  /** Kebab-case id, unique in the deployment; becomes the end of the alarm name. */
  readonly slug: string;
  readonly severity: AlertSeverity;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** @default TreatMissingData.NOT_BREACHING (no traffic is not an incident) */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

/** Standard evaluation period of the project's alarms. */
export const ALARM_PERIOD = Duration.minutes(5);

/**
 * A CloudWatch alarm named `<prefix>-<severity>-<slug>` whose description carries its title, meaning and
 * first action, routed to the alerting path. Construct id: the slug.
 */
export function createProjectAlarm(
  scope: Construct,
  prefix: string,
  spec: ProjectAlarmSpec,
  router: AlarmRouter,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, spec.slug, {
    alarmName: formatAlarmName({ prefix, severity: spec.severity, slug: spec.slug }),
    alarmDescription: formatAlarmDescription(spec),
    metric: spec.metric,
    threshold: spec.threshold,
    comparisonOperator: spec.comparisonOperator,
    evaluationPeriods: spec.evaluationPeriods ?? 1,
    datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
    treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  router.routeAlarm(alarm);
  return alarm;
}

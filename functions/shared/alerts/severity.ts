/**
 * Alert severities, lowest first. Every alarm the project creates has one, carried in its name
 * (see alarm-identity.ts) and, once formatted, in the `severity` SNS message attribute that the email
 * subscriptions filter on.
 */
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;

export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Name of the SNS message attribute that carries the severity of a formatted alert. */
export const SEVERITY_ATTRIBUTE = 'severity';

export function isAlertSeverity(value: unknown): value is AlertSeverity {
  return typeof value === 'string' && (ALERT_SEVERITIES as readonly string[]).includes(value);
}

/** The severities at or above `minimum`, e.g. `warning` -> [warning, critical] (an SNS filter allow list). */
export function severitiesAtLeast(minimum: AlertSeverity): AlertSeverity[] {
  return ALERT_SEVERITIES.slice(ALERT_SEVERITIES.indexOf(minimum));
}

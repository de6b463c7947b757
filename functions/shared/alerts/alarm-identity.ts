import { type AlertSeverity, isAlertSeverity } from './severity.js';

/**
 * How a project alarm says what it is, so that the formatter Lambda, the Slack sender and a person reading
 * the CloudWatch console all get the same facts from the alarm alone (CloudWatch alarm notifications carry
 * no SNS message attributes):
 * - the name is `<prefix>-<severity>-<slug>`, e.g. `CampaignEvents-critical-ingest-5xx-rate`;
 * - the description is three labelled lines: the title, what it means, and the first thing to do.
 */

/** CloudWatch limits. */
export const MAX_ALARM_NAME_LENGTH = 255;
export const MAX_ALARM_DESCRIPTION_LENGTH = 1024;

const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const NAME_PATTERN = /^(.+?)-(info|warning|critical)-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

export interface AlarmIdentity {
  /** Deployment prefix, normally the stack name. */
  readonly prefix: string;
  readonly severity: AlertSeverity;
  /** Kebab-case id of the alarm within the deployment, e.g. `ingest-5xx-rate`. */
  readonly slug: string;
}

export function formatAlarmName(identity: AlarmIdentity): string {
  if (!SLUG_PATTERN.test(identity.slug)) {
    throw new Error(`Alarm slug "${identity.slug}" must be kebab-case (lowercase letters, digits, dashes)`);
  }
  if (identity.prefix.length === 0) throw new Error('Alarm name prefix must not be empty');
  const name = `${identity.prefix}-${identity.severity}-${identity.slug}`;
  if (name.length > MAX_ALARM_NAME_LENGTH) {
    throw new Error(`Alarm name "${name}" is longer than ${MAX_ALARM_NAME_LENGTH} characters`);
  }
  return name;
}

/** The slug of the alarm on a watched dead-letter queue, e.g. `dlq-parked-events`. */
export function deadLetterQueueAlarmSlug(queueName: string): string {
  return `dlq-${queueName}`;
}

/** Reads an alarm name written by {@link formatAlarmName}; undefined for any other name. */
export function parseAlarmName(name: string): AlarmIdentity | undefined {
  const match = NAME_PATTERN.exec(name);
  if (!match) return undefined;
  const [, prefix = '', severity, slug = ''] = match;
  if (!isAlertSeverity(severity)) return undefined;
  return { prefix, severity, slug };
}

export interface AlarmExplanation {
  /** One line naming the condition, e.g. "Ingest 5XX rate above 1%". */
  readonly title: string;
  /** What the alarm means for the people relying on the pipeline. */
  readonly meaning: string;
  /** The first thing to look at or do (a runbook line). */
  readonly firstAction: string;
}

const MEANING_LABEL = 'Meaning: ';
const FIRST_ACTION_LABEL = 'First action: ';

export function formatAlarmDescription(explanation: AlarmExplanation): string {
  const { title, meaning, firstAction } = explanation;
  for (const [field, value] of Object.entries({ title, meaning, firstAction })) {
    if (value.trim() === '' || /[\r\n]/.test(value)) {
      throw new Error(`Alarm ${field} must be one non-empty line, got ${JSON.stringify(value)}`);
    }
  }
  const text = [title, `${MEANING_LABEL}${meaning}`, `${FIRST_ACTION_LABEL}${firstAction}`].join('\n');
  if (text.length > MAX_ALARM_DESCRIPTION_LENGTH) {
    throw new Error(
      `Description of alarm "${title}" is ${text.length} characters; CloudWatch allows ${MAX_ALARM_DESCRIPTION_LENGTH}`,
    );
  }
  return text;
}

/**
 * Reads a description written by {@link formatAlarmDescription}. Any other text is kept whole as the
 * meaning, so a hand-made alarm still produces a readable alert.
 */
export function parseAlarmDescription(text: string | null | undefined): Partial<AlarmExplanation> {
  if (!text || text.trim() === '') return {};
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const meaningLine = lines.find((line) => line.startsWith(MEANING_LABEL));
  const actionLine = lines.find((line) => line.startsWith(FIRST_ACTION_LABEL));
  if (meaningLine === undefined && actionLine === undefined) return { meaning: text.trim() };
  const [title] = lines;
  return {
    ...(title && title !== meaningLine && title !== actionLine ? { title } : {}),
    ...(meaningLine ? { meaning: meaningLine.slice(MEANING_LABEL.length) } : {}),
    ...(actionLine ? { firstAction: actionLine.slice(FIRST_ACTION_LABEL.length) } : {}),
  };
}

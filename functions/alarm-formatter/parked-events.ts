import type {
  FilterLogEventsCommandInput,
  FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { deadLetterQueueAlarmSlug, parseAlarmName } from '../shared/alerts/alarm-identity.js';
import { type CloudWatchAlarmMessage, toIsoTime, truncate } from '../shared/alerts/alert.js';
import {
  PARKED_EVENTS_QUEUE_NAME,
  RECORD_PARKED_LOG_MESSAGE,
  type RecordParkedLogFields,
} from '../shared/contracts/parked-events-log.js';

/**
 * The parked events of the parked-events alarm's window, named in its alert: the fan-out's `Record parked`
 * log lines (key, code, reason; never content) read with CloudWatch Logs FilterLogEvents. Bounded: at most
 * {@link MAX_PARKED_LISTED} events named and {@link MAX_PAGES} pages read, whatever the fan-out logged.
 */

export type FilterLogEvents = (input: FilterLogEventsCommandInput) => Promise<FilterLogEventsCommandOutput>;

export const MAX_PARKED_LISTED = 10;
/** Pages of at most {@link PAGE_LIMIT} events: beyond that the alert says "at least". */
export const MAX_PAGES = 5;
export const PAGE_LIMIT = 1000;
/** A reason is an SNS error message; long ones are cut so ten fit a chat message. */
export const MAX_REASON_LENGTH = 200;
/**
 * Before the evaluated periods: SQS sends its queue metrics to CloudWatch with a delay, so the alarm on
 * the queue's depth changes state minutes after the fan-out parked the record.
 */
export const METRIC_DELAY_MS = 15 * 60_000;

export const LIST_PARKED_COMMAND = 'npm run redrive -- --parked --stack <stack name>';

export interface ParkedEventsFound {
  readonly events: readonly RecordParkedLogFields[];
  /** Matching lines beyond the ones named (distinct key and code). */
  readonly more: number;
  /** The page limit ended the search: there may be more than `more`. */
  readonly truncated: boolean;
}

/** Whether this alarm notification is the parked-events alarm going into ALARM. */
export function isParkedEventsAlarm(message: CloudWatchAlarmMessage): boolean {
  const slug = parseAlarmName(message.AlarmName)?.slug;
  return message.NewStateValue === 'ALARM' && slug === deadLetterQueueAlarmSlug(PARKED_EVENTS_QUEUE_NAME);
}

/** The window the alarm evaluated, widened by the queue metric's delay, ending at the state change. */
export function alarmWindow(
  message: CloudWatchAlarmMessage,
  now: Date,
): { startTime: number; endTime: number } {
  const changedAt = toIsoTime(message.StateChangeTime);
  const endTime = changedAt === undefined ? now.getTime() : Date.parse(changedAt);
  const trigger = (message as { Trigger?: { Period?: unknown; EvaluationPeriods?: unknown } }).Trigger;
  const periodSeconds = typeof trigger?.Period === 'number' ? trigger.Period : 300;
  const periods = typeof trigger?.EvaluationPeriods === 'number' ? trigger.EvaluationPeriods : 1;
  return { startTime: endTime - periodSeconds * periods * 1000 - METRIC_DELAY_MS, endTime };
}

/** The JSON filter pattern matching the fan-out's `Record parked` lines (Powertools' `message` field). */
export function recordParkedFilterPattern(): string {
  return `{ $.message = ${JSON.stringify(RECORD_PARKED_LOG_MESSAGE)} }`;
}

export async function findParkedEvents(
  filter: FilterLogEvents,
  logGroupName: string,
  window: { startTime: number; endTime: number },
): Promise<ParkedEventsFound> {
  const seen = new Set<string>();
  const events: RecordParkedLogFields[] = [];
  let more = 0;
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await filter({
      logGroupName,
      ...window,
      filterPattern: recordParkedFilterPattern(),
      limit: PAGE_LIMIT,
      ...(nextToken ? { nextToken } : {}),
    });
    pages++;
    for (const event of page.events ?? []) {
      const fields = parkedFields(event.message);
      if (fields === undefined) continue;
      const identity = `${fields.eventKey ?? ''}\n${fields.code ?? ''}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      if (events.length < MAX_PARKED_LISTED) events.push(fields);
      else more++;
    }
    nextToken = page.nextToken;
  } while (nextToken && pages < MAX_PAGES);
  return { events, more, truncated: nextToken !== undefined };
}

/** The key, code and reason of one `Record parked` line; undefined for any other line. */
export function parkedFields(line: string | undefined): RecordParkedLogFields | undefined {
  if (line === undefined) return undefined;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (record === null || record.message !== RECORD_PARKED_LOG_MESSAGE) return undefined;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const eventKey = text(record.eventKey);
  const code = text(record.code);
  return {
    ...(eventKey ? { eventKey } : {}),
    ...(code ? { code } : {}),
    reason: text(record.reason) ?? 'no reason logged',
  };
}

/** The alert's lines naming the parked events: "Parked: <eventKey> — <code>: <reason>", and how many more. */
export function parkedEventLines(found: ParkedEventsFound): string[] {
  if (found.events.length === 0) {
    return [
      `Parked: no "Record parked" line in the fan-out log for this alarm's window; list the parked events with \`${LIST_PARKED_COMMAND}\`.`,
    ];
  }
  const lines = found.events.map((event) => {
    const code = event.code ?? 'Unknown';
    // The fan-out's reason often starts with the code already (SNS's `<code>: <message>`).
    const reason = event.reason.startsWith(`${code}: `) ? event.reason.slice(code.length + 2) : event.reason;
    return `Parked: ${event.eventKey ?? '(no key)'} — ${code}: ${truncate(reason, MAX_REASON_LENGTH)}`;
  });
  if (found.more > 0 || found.truncated) {
    const count = found.truncated ? `at least ${found.more}` : String(found.more);
    lines.push(`… and ${count} more: list them all with \`${LIST_PARKED_COMMAND}\`.`);
  }
  return lines;
}

/** The line an alert carries when the log could not be read: it still goes out, and says how to list them. */
export function unreadableParkedEventsLine(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  return `Parked: the parked events' keys could not be read from the fan-out log (${name}); list them with \`${LIST_PARKED_COMMAND}\`.`;
}

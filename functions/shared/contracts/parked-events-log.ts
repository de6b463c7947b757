/**
 * The fan-out's log line for a record it parked, and the fields it carries: the alarm formatter finds these
 * lines (CloudWatch Logs FilterLogEvents on the message) to name the parked events in the parked-events
 * alarm's alert. Key, code and reason only: never the event's content (it holds recipient addresses).
 */
export const RECORD_PARKED_LOG_MESSAGE =
  'Record parked: it cannot be published as it is (redrive after the fix)';

/** The fields of a `Record parked` line the alert names (the line has the sequence number and type too). */
export interface RecordParkedLogFields {
  readonly eventKey?: string;
  readonly code?: string;
  readonly reason: string;
}

/** The parked-events queue's name in the monitoring (its alarm: `deadLetterQueueAlarmSlug` of it). */
export const PARKED_EVENTS_QUEUE_NAME = 'parked-events';

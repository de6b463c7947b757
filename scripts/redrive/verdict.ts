import type { RecordFailure } from '../../functions/fan-out/fan-out.js';
import { type StreamBatchInfo, streamArnParts } from './on-failure-record.js';
import type { ReceivedWindow } from './table-window.js';

/** Where the records of a parked batch were read from. */
export type RecordSource =
  | { readonly kind: 'stream'; readonly recordsRead: number }
  | {
      readonly kind: 'table';
      /** Why the stream could not give the batch. */
      readonly streamUnavailable: string;
      readonly window: ReceivedWindow;
      /** Accepted events found in the window. */
      readonly eventsFound: number;
    };

/** Whether every event of the batch was published, so its dead-letter message may go. */
export type Verdict = { readonly complete: true } | { readonly complete: false; readonly reason: string };

/**
 * The verdict on a replayed batch. It is complete when nothing failed to publish and, for a batch read
 * from the table, the window held at least as many accepted events as the batch had records (fewer means
 * some of the batch's events are not in the window, and were not published).
 */
export function verdictFor(
  batch: StreamBatchInfo,
  source: RecordSource,
  failures: readonly RecordFailure[],
): Verdict {
  const [first] = failures;
  if (first !== undefined) {
    const what = [first.eventType, first.eventKey].filter((part) => part !== undefined).join(' ');
    return {
      complete: false,
      reason: `${failures.length} event(s) not published (first: ${what || 'a record'}: ${first.reason})`,
    };
  }
  if (source.kind === 'table' && source.eventsFound < batch.batchSize) {
    return {
      complete: false,
      reason:
        `the table holds ${source.eventsFound} accepted event(s) received around the batch, fewer than its ` +
        `${batch.batchSize} record(s): the others were overwritten by a later redelivery or removed by TTL ` +
        '(try a wider --window-margin)',
    };
  }
  return { complete: true };
}

/** Why a batch must not be replayed into this table's topics, or undefined when its stream is the table's. */
export function tableMismatch(batch: StreamBatchInfo, tableName: string): string | undefined {
  const streamTable = streamArnParts(batch.streamArn).tableName;
  return streamTable === tableName
    ? undefined
    : `its stream belongs to table ${streamTable}, not to ${tableName}`;
}

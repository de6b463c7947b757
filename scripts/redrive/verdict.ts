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

/**
 * Whether the dead-letter message may go. `unproven`: nothing is known to be missing, but the events were
 * read from the table, where completeness cannot be proven; only the operator can accept that.
 */
export type Verdict =
  | { readonly complete: true }
  | { readonly complete: false; readonly reason: string; readonly unproven?: true };

export interface VerdictOptions {
  /**
   * The operator accepts a table window that holds at least as many events as the batch had records as
   * the batch (`--accept-table-window`). Without it a batch read from the table is never complete.
   */
  readonly acceptTableWindow: boolean;
}

/** The flag that lets a replay from the table delete its message. */
export const ACCEPT_TABLE_WINDOW_FLAG = '--accept-table-window';

/**
 * The verdict on a replayed batch. Read from the stream, it is complete when nothing failed to publish:
 * the stream gave exactly the batch's records. Read from the table, it never is on its own: the window is
 * chosen by `receivedAt`, and a Campaign redelivery rewrites an item's `receivedAt` (a MODIFY the fan-out
 * never publishes), so an event of the batch can be missing from the window while neighbours make up the
 * count. Fewer events than the batch's records proves something is missing; at least as many proves
 * nothing, and only the operator's `--accept-table-window` lets such a message go.
 */
export function verdictFor(
  batch: StreamBatchInfo,
  source: RecordSource,
  failures: readonly RecordFailure[],
  options: VerdictOptions,
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
  if (source.kind === 'table' && !options.acceptTableWindow) {
    return {
      complete: false,
      unproven: true,
      reason:
        'its events were read from the table, which cannot prove that every event of the batch was among ' +
        'them (a later redelivery moves an event out of the window); check the fan-out log (docs/REPLAY.md), ' +
        `then delete it by hand or run again with ${ACCEPT_TABLE_WINDOW_FLAG}`,
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

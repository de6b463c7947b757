import { fanOut, type RecordFailure } from '../../functions/fan-out/fan-out.js';
import type { Publisher } from '../../functions/fan-out/publisher.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import type { StreamBatchInfo } from './on-failure-record.js';
import { type PublishedEventRef, trackPublished } from './publishers.js';
import { readStreamBatch, type StreamsClient } from './stream-batch.js';
import { receivedWindowFor, type ScanClient, scanAcceptedEvents } from './table-window.js';
import { type RecordSource, type Verdict, verdictFor } from './verdict.js';

export interface BatchReplayDependencies {
  readonly streams: StreamsClient;
  readonly table: ScanClient;
  readonly tableName: string;
  readonly topicArns: ReadonlyMap<CampaignEventType, string>;
  /** The SNS publisher, or a dry-run one that publishes nothing. */
  readonly publisher: Publisher;
  /** Widening of the batch's arrival span when the table is read instead of the stream. */
  readonly windowMarginSeconds: number;
  /** Let a batch read from the table count as complete (see verdictFor). */
  readonly acceptTableWindow: boolean;
}

export interface BatchReplay {
  readonly source: RecordSource;
  /** What was published (or, in a dry run, would be), in the fan-out's order. */
  readonly published: readonly PublishedEventRef[];
  readonly failures: readonly RecordFailure[];
  /** Records that are not an accepted event's INSERT (the live filter dropped them too). */
  readonly ignored: number;
  readonly verdict: Verdict;
}

/**
 * Replays one parked stream batch: its records from the stream while it still holds them, else the
 * accepted events received around the batch from the table; then the fan-out's own code publishes every
 * accepted INSERT to its type's topic, with the live path's message body and attributes.
 */
export async function replayBatch(
  batch: StreamBatchInfo,
  deps: BatchReplayDependencies,
): Promise<BatchReplay> {
  const reading = await readStreamBatch(deps.streams, batch);
  let source: RecordSource;
  let records: Awaited<ReturnType<typeof scanAcceptedEvents>>;
  if (reading.kind === 'read') {
    records = reading.records;
    source = { kind: 'stream', recordsRead: records.length };
  } else {
    const window = receivedWindowFor(batch, deps.windowMarginSeconds);
    records = await scanAcceptedEvents(deps.table, deps.tableName, window, batch);
    source = { kind: 'table', streamUnavailable: reading.reason, window, eventsFound: records.length };
  }
  const tracked = trackPublished(deps.publisher);
  const result = await fanOut(records, { publisher: tracked.publisher, topicArns: deps.topicArns });
  return {
    source,
    published: tracked.published,
    failures: result.failures,
    ignored: result.ignored,
    verdict: verdictFor(batch, source, result.failures, { acceptTableWindow: deps.acceptTableWindow }),
  };
}

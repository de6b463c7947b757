import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import type { DeadLetterMessage } from './dead-letter-queue.js';
import type { OnFailureRecord } from './on-failure-record.js';
import type { PublishedEventRef } from './publishers.js';
import type { BatchReplay } from './replay-batch.js';
import { ACCEPT_TABLE_WINDOW_FLAG } from './verdict.js';

/**
 * The replay's output: plain lines, one block per dead-letter message and a final summary. Lines name
 * event types, event keys (content hashes) and stream positions only, never an event's content.
 */

/** What became of one dead-letter message. */
export type MessageOutcome =
  | { readonly kind: 'replayed' }
  | {
      readonly kind: 'kept';
      readonly reason: string;
      readonly unreadable?: true;
      /** Replayed from the table without --accept-table-window: published, but not provably complete. */
      readonly unproven?: true;
    };

export interface RunTotals {
  messages: number;
  replayed: number;
  kept: number;
  unreadable: number;
  unproven: number;
  fromTable: number;
  readonly publishedByType: Map<CampaignEventType, number>;
}

export function emptyTotals(): RunTotals {
  return {
    messages: 0,
    replayed: 0,
    kept: 0,
    unreadable: 0,
    unproven: 0,
    fromTable: 0,
    publishedByType: new Map(),
  };
}

export function headerLines(
  target: { queueUrl: string; tableName: string; topics: number },
  dryRun: boolean,
  acceptTableWindow: boolean,
): string[] {
  return [
    `Replaying parked stream batches from ${target.queueUrl}`,
    `  table ${target.tableName}, ${target.topics} event topic(s)`,
    dryRun
      ? 'DRY RUN: nothing is published and no message is deleted; run again with --yes to replay.'
      : 'Publishing to SNS and deleting each message whose events were all published.',
    acceptTableWindow
      ? `${ACCEPT_TABLE_WINDOW_FLAG}: a batch read from the table counts as complete when the window holds at least as many events as it had records; that cannot be proven.`
      : `A batch read from the table (past the stream's 24 h) is published, but its message is kept: completeness cannot be proven from the table (see ${ACCEPT_TABLE_WINDOW_FLAG}).`,
  ];
}

export function batchLine(message: DeadLetterMessage, record: OnFailureRecord): string {
  const { batch } = record;
  const invocations =
    record.approximateInvokeCount === undefined
      ? ''
      : ` after ${record.approximateInvokeCount} invocation(s)`;
  return (
    `Message ${message.messageId} (received ${message.receiveCount} time(s)): ${record.condition}${invocations}; ` +
    `batch of ${batch.batchSize} record(s) on ${batch.shardId}, sequence ${batch.startSequenceNumber}..` +
    `${batch.endSequenceNumber}, arrived ${batch.approximateArrivalOfFirstRecord}..${batch.approximateArrivalOfLastRecord}` +
    (record.timestamp === undefined ? '' : `, parked ${record.timestamp}`)
  );
}

export function unreadableLine(message: DeadLetterMessage, reason: string): string {
  return `Message ${message.messageId} (received ${message.receiveCount} time(s)): cannot be read: ${reason}`;
}

export function replayLines(replay: BatchReplay, dryRun: boolean): string[] {
  const lines: string[] = [];
  const { source } = replay;
  if (source.kind === 'stream') {
    const ignored = replay.ignored > 0 ? `, ${replay.ignored} ignored (not an accepted event's INSERT)` : '';
    lines.push(`  records from the stream: ${source.recordsRead} read${ignored}`);
  } else {
    lines.push(
      `  the stream no longer has the batch (${source.streamUnavailable}): read from the table instead`,
      `  records from the table: ${source.eventsFound} accepted event(s) received ${source.window.from}..${source.window.to}`,
      '  events received around the batch are republished too: delivery is at least once',
      '  COMPLETENESS CANNOT BE PROVEN from the table: an event of the batch that Campaign redelivered later has a newer receivedAt and may be missing from this window while its neighbours make up the count',
    );
  }
  const verb = dryRun ? 'would publish' : 'published';
  lines.push(`  ${verb} ${replay.published.length}${byTypeText(countByType(replay.published), ': ')}`);
  const byCatalogOrder = [...replay.published].sort(
    (a, b) => CAMPAIGN_EVENT_TYPES.indexOf(a.eventType) - CAMPAIGN_EVENT_TYPES.indexOf(b.eventType),
  );
  for (const event of byCatalogOrder) lines.push(`    ${event.eventType} ${event.eventKey}`);
  for (const failure of replay.failures) {
    const what = [failure.eventType, failure.eventKey].filter((part) => part !== undefined).join(' ');
    lines.push(`  NOT ${verb}: ${what || `record ${failure.sequenceNumber}`}: ${failure.reason}`);
  }
  return lines;
}

export function outcomeLine(outcome: MessageOutcome, dryRun: boolean): string {
  if (outcome.kind === 'replayed')
    return dryRun ? '  would be deleted from the queue' : '  deleted from the queue';
  return `  ${dryRun ? 'would be left' : 'left'} in the queue: ${outcome.reason}`;
}

export function summaryLine(totals: RunTotals, dryRun: boolean): string {
  const published = [...totals.publishedByType.values()].reduce((sum, count) => sum + count, 0);
  const notFully = totals.kept - totals.unreadable - totals.unproven;
  const unproven =
    totals.unproven > 0 ? `${totals.unproven} replayed from the table, not provably complete, ` : '';
  const parts = [
    `${totals.messages} message(s)`,
    `${totals.replayed} ${dryRun ? 'would be replayed and deleted' : 'replayed and deleted'}`,
    `${totals.kept} ${dryRun ? 'would be left' : 'left'} in the queue (${totals.unreadable} unreadable, ${unproven}${notFully} not fully published)`,
  ];
  if (totals.fromTable > 0) parts.push(`${totals.fromTable} read from the table`);
  const events = `${published} event(s) ${dryRun ? 'would be published' : 'published'}${byTypeText(totals.publishedByType, ': ')}`;
  return `Summary${dryRun ? ' (dry run)' : ''}: ${parts.join(', ')}; ${events}.`;
}

export function addPublished(totals: RunTotals, published: readonly PublishedEventRef[]): void {
  for (const [eventType, count] of countByType(published)) {
    totals.publishedByType.set(eventType, (totals.publishedByType.get(eventType) ?? 0) + count);
  }
}

function countByType(published: readonly PublishedEventRef[]): Map<CampaignEventType, number> {
  const counts = new Map<CampaignEventType, number>();
  for (const { eventType } of published) counts.set(eventType, (counts.get(eventType) ?? 0) + 1);
  return counts;
}

/** "bounce 3, open 2" in the catalog's type order, prefixed; empty when there is nothing. */
function byTypeText(counts: ReadonlyMap<CampaignEventType, number>, prefix: string): string {
  const parts = CAMPAIGN_EVENT_TYPES.filter((type) => (counts.get(type) ?? 0) > 0).map(
    (type) => `${type} ${counts.get(type)}`,
  );
  return parts.length === 0 ? '' : `${prefix}${parts.join(', ')}`;
}

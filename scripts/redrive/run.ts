import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createPublisher, type PublishBatchClient } from '../../functions/fan-out/publisher.js';
import {
  createDeadLetterQueue,
  type DeadLetterMessage,
  type QueueClient,
  RECEIVE_LIMIT,
} from './dead-letter-queue.js';
import { parseOnFailureRecord } from './on-failure-record.js';
import { createDryRunPublisher } from './publishers.js';
import { replayBatch } from './replay-batch.js';
import {
  addPublished,
  batchLine,
  emptyTotals,
  headerLines,
  type MessageOutcome,
  outcomeLine,
  type RunTotals,
  replayLines,
  summaryLine,
  unreadableLine,
} from './report.js';
import type { StreamsClient } from './stream-batch.js';
import type { RedriveTargets } from './targets.js';
import { tableMismatch } from './verdict.js';

export interface RedriveSettings extends RedriveTargets {
  /** Report what would be published; publish nothing, delete nothing. */
  readonly dryRun: boolean;
  /** Most messages to handle in this run. @default every message in the queue */
  readonly maxMessages?: number;
  readonly windowMarginSeconds: number;
  /**
   * Delete a message whose events were read from the table (past the stream's 24 h) once they are all
   * published, although the table cannot prove they were all of the batch's. @default false: keep it
   */
  readonly acceptTableWindow?: boolean;
  /** Long-poll wait per receive. */
  readonly waitTimeSeconds: number;
  /** How long a received message stays hidden while it is replayed; kept ones are released at the end. */
  readonly visibilityTimeoutSeconds: number;
}

export interface RedriveClients {
  readonly sqs: QueueClient;
  readonly streams: StreamsClient;
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly sns: PublishBatchClient;
}

export interface RedriveResult {
  readonly totals: RunTotals;
  /** 0 when every message handled was (or in a dry run, would be) replayed and deleted; 1 otherwise. */
  readonly exitCode: 0 | 1;
}

/**
 * Replays the fan-out's dead-letter queue: receives its messages ten at a time, replays each parked batch
 * and deletes the message only when every event of the batch was published. A batch read from the table
 * (past the stream's 24 h) is published, but its message is deleted only with `acceptTableWindow`: the
 * table cannot prove the window held the whole batch. A message that cannot be read or not fully replayed
 * stays in the queue; at the end every message kept (in a dry run: every message) is made visible again,
 * so the next run sees it at once. Messages are handled one after the other.
 */
export async function runRedrive(
  settings: RedriveSettings,
  clients: RedriveClients,
  print: (line: string) => void,
): Promise<RedriveResult> {
  const { dryRun } = settings;
  const queue = createDeadLetterQueue(clients.sqs, settings);
  const publisher = dryRun ? createDryRunPublisher() : createPublisher({ client: clients.sns });
  const totals = emptyTotals();
  const seen = new Set<string>();
  const toRelease: DeadLetterMessage[] = [];
  const limit = settings.maxMessages ?? Number.POSITIVE_INFINITY;

  const acceptTableWindow = settings.acceptTableWindow ?? false;
  for (const line of headerLines({ ...settings, topics: settings.topicArns.size }, dryRun, acceptTableWindow))
    print(line);
  try {
    while (totals.messages < limit) {
      const received = await queue.receive(Math.min(limit - totals.messages, RECEIVE_LIMIT));
      // A message seen before is one whose visibility ran out during this run: it was handled already;
      // only its new receipt handle can release it.
      const fresh = received.filter((message) => !seen.has(message.messageId));
      for (const again of received.filter((message) => seen.has(message.messageId))) {
        const index = toRelease.findIndex((message) => message.messageId === again.messageId);
        if (index === -1) toRelease.push(again);
        else toRelease[index] = again;
      }
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.messageId);
        totals.messages++;
        const outcome = await handleMessage(message);
        print(outcomeLine(outcome, dryRun));
        if (outcome.kind === 'replayed') {
          totals.replayed++;
          if (dryRun) toRelease.push(message);
        } else {
          totals.kept++;
          if (outcome.unreadable) totals.unreadable++;
          if (outcome.unproven) totals.unproven++;
          toRelease.push(message);
        }
      }
    }
  } finally {
    await releaseAll(toRelease);
  }
  print(summaryLine(totals, dryRun));
  return { totals, exitCode: totals.kept > 0 ? 1 : 0 };

  async function handleMessage(message: DeadLetterMessage): Promise<MessageOutcome> {
    const reading = parseOnFailureRecord(message.body);
    if (!reading.ok) {
      print(unreadableLine(message, reading.reason));
      return { kind: 'kept', reason: 'it is not an on-failure record the replay can read', unreadable: true };
    }
    const { batch } = reading.record;
    print(batchLine(message, reading.record));
    const mismatch = tableMismatch(batch, settings.tableName);
    if (mismatch !== undefined) return { kind: 'kept', reason: mismatch };
    let replay: Awaited<ReturnType<typeof replayBatch>>;
    try {
      replay = await replayBatch(batch, {
        streams: clients.streams,
        table: clients.dynamodb,
        tableName: settings.tableName,
        topicArns: settings.topicArns,
        publisher,
        windowMarginSeconds: settings.windowMarginSeconds,
        acceptTableWindow,
      });
    } catch (error) {
      return { kind: 'kept', reason: `the replay failed: ${describeError(error)}` };
    }
    for (const line of replayLines(replay, dryRun)) print(line);
    addPublished(totals, replay.published);
    if (replay.source.kind === 'table') totals.fromTable++;
    if (!replay.verdict.complete) {
      const { reason, unproven } = replay.verdict;
      return { kind: 'kept', reason, ...(unproven && { unproven }) };
    }
    if (dryRun) return { kind: 'replayed' };
    try {
      await queue.delete(message);
    } catch (error) {
      return {
        kind: 'kept',
        reason: `its events were published, but deleting it failed (the next run publishes them again): ${describeError(error)}`,
      };
    }
    return { kind: 'replayed' };
  }

  async function releaseAll(messages: readonly DeadLetterMessage[]): Promise<void> {
    for (const message of messages) {
      try {
        await queue.release(message);
      } catch (error) {
        print(
          `Message ${message.messageId} stays hidden until its visibility timeout (${settings.visibilityTimeoutSeconds} s) ends: ${describeError(error)}`,
        );
      }
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

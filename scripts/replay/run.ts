import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { toMessage } from '../../functions/fan-out/message.js';
import { REPLAY_ATTRIBUTE } from '../../functions/shared/contracts/message-attributes.js';
import { readImage } from '../../functions/shared/events/stored-event.js';
import type { CommonSettings } from '../ops/cli.js';
import { openCursor } from '../ops/cursor.js';
import { describeEstimate, estimateScan, scanTable, type TableClient } from '../ops/table-scan.js';
import type { OutgoingMessage, ReplayTarget, Sender } from './targets.js';
import { type ReplayWindow, windowFilter } from './window.js';

export { REPLAY_ATTRIBUTE };

export interface ReplayOptions extends CommonSettings {
  readonly tableName: string;
  readonly window: ReplayWindow;
  readonly target: ReplayTarget;
  readonly listLimit: number;
  /** The replay's name, the value of its `replay` attribute. @default the start time */
  readonly replayId: string;
}

/**
 * Republishes the accepted events of a window: a parallel scan of the table (filtered by status, time,
 * type and client), each event's message built by the fan-out's own toMessage (the live body and
 * attributes) plus a `replay` attribute, sent to the chosen target only. A dry run counts and sends nothing.
 */
export async function runReplay(
  options: ReplayOptions,
  deps: { table: TableClient; sender: Sender },
  print: (line: string) => void,
): Promise<number> {
  const { dryRun, window } = options;
  print(
    describeEstimate(
      await estimateScan(deps.table, options.tableName, false),
      options.segments,
      options.readRate,
    ),
  );
  const cursor = openCursor(
    dryRun ? undefined : options.cursorPath,
    `replay ${options.tableName} ${JSON.stringify(window)} ${describeTarget(options.target)} ${options.replayId}`,
    options.segments,
  );
  if (cursor.resumed) print(`Resuming from ${cursor.path} (replay ${options.replayId})`);
  const totals = cursor.state.totals;
  const add = (name: string, by = 1) => {
    totals[name] = (totals[name] ?? 0) + by;
  };
  let listed = 0;
  const scan = await scanTable(deps.table, {
    tableName: options.tableName,
    segments: options.segments,
    pageSize: options.pageSize,
    consistentRead: false,
    filter: windowFilter(window),
    cursor,
    readLimiter: options.readLimiter,
    onPage: async (items) => {
      const messages = items.flatMap((item) => messageOf(item, options.replayId, add));
      for (const message of messages) {
        add(`type.${message.eventType}`);
        if (listed++ < options.listLimit)
          print(
            `  ${dryRun ? 'would send' : 'sending'} ${message.eventType} ${(JSON.parse(message.body) as { eventKey: string }).eventKey}`,
          );
      }
      if (dryRun || messages.length === 0) return;
      const { sent, failures } = await deps.sender.send(messages);
      add('sent', sent);
      add('failed', failures.length);
      for (const failure of failures.slice(0, 3)) print(`  NOT sent: ${failure}`);
    },
  });
  cursor.finish();
  if (listed > options.listLimit) print(`  … and ${listed - options.listLimit} more`);
  const types = Object.entries(totals)
    .filter(([name]) => name.startsWith('type.'))
    .map(([name, count]) => `${name.slice(5)} ${count}`)
    .sort()
    .join(', ');
  const found = Object.entries(totals)
    .filter(([name]) => name.startsWith('type.'))
    .reduce((sum, [, n]) => sum + n, 0);
  print(
    `Summary${dryRun ? ' (dry run, nothing sent)' : ''}: ${found} accepted event(s) received ${window.from}..${window.to}` +
      `${types && ` (${types})`}; ${dryRun ? `would be sent to ${describeTarget(options.target)}` : `${totals.sent ?? 0} sent to ${describeTarget(options.target)}, ${totals.failed ?? 0} failed`}` +
      `${totals.unreadable ? `; ${totals.unreadable} unreadable item(s) skipped` : ''}; marked ${REPLAY_ATTRIBUTE}=${options.replayId}; ` +
      `read units ${Math.ceil(scan.readUnits)}, ${dryRun ? 'would take ' : ''}${found} publish(es) or send(s).`,
  );
  return (totals.failed ?? 0) + (totals.unreadable ?? 0) > 0 ? 1 : 0;
}

function messageOf(
  item: Record<string, AttributeValue>,
  replayId: string,
  add: (name: string) => void,
): OutgoingMessage[] {
  const reading = readImage(item as Record<string, StreamAttributeValue>);
  if (reading.kind !== 'accepted') {
    add('unreadable');
    return [];
  }
  const { body, attributes } = toMessage(reading.event);
  return [
    {
      eventType: reading.event.eventType,
      body,
      attributes: { ...attributes, [REPLAY_ATTRIBUTE]: { DataType: 'String', StringValue: replayId } },
    },
  ];
}

export function describeTarget(target: ReplayTarget): string {
  if (target.kind === 'topics') return `the type topics (${target.topicArns.size})`;
  if (target.kind === 'topic') return `topic ${target.topicArn}`;
  return `queue ${target.queueArn}${target.raw ? ' (raw delivery)' : ' (SNS envelope)'}`;
}

import { type AttributeValue, GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { createEventReader } from '../../functions/ingest/event-reader.js';
import { EVENT_STATUS, EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import type { CommonSettings } from '../ops/cli.js';
import { openCursor } from '../ops/cursor.js';
import type { IngestReaderSettings } from '../ops/ingest-settings.js';
import type { LargeEventStore } from '../ops/large-event-store.js';
import { describeEstimate, estimateScan, scanTable, type TableClient } from '../ops/table-scan.js';
import { eventTextOf, type QuarantinedItem, readQuarantinedItem, reasonOf } from './quarantined-item.js';
import { revalidate } from './revalidate.js';

/** The scan filter that returns quarantined items only. */
export function quarantinedFilter(window?: { since?: string; until?: string }) {
  const conditions = ['#status = :quarantined'];
  const values: Record<string, AttributeValue> = { ':quarantined': { S: EVENT_STATUS.quarantined } };
  if (window?.since !== undefined) {
    conditions.push('#receivedAt >= :since');
    values[':since'] = { S: window.since };
  }
  if (window?.until !== undefined) {
    conditions.push('#receivedAt < :until');
    values[':until'] = { S: window.until };
  }
  return {
    expression: conditions.join(' AND '),
    names: {
      '#status': EVENT_TABLE_ATTRIBUTES.status,
      ...(conditions.length > 1 && { '#receivedAt': 'receivedAt' }),
    },
    values,
  };
}

export interface ListOptions extends Pick<CommonSettings, 'segments' | 'readLimiter'> {
  readonly tableName: string;
  readonly since?: string;
  readonly until?: string;
  readonly listLimit: number;
}

interface Group {
  count: number;
  first: string;
  last: string;
}

/**
 * Lists the quarantined events: counts by type and reason with the first and last arrival, then the
 * newest events one a line (key, time, type, client, issues). Issues never quote a payload's values
 * beyond plain words (the reader masks the rest), so the output carries no address.
 */
export async function runList(options: ListOptions, table: TableClient, print: (line: string) => void) {
  print(describeEstimate(await estimateScan(table, options.tableName, false), options.segments));
  const groups = new Map<string, Group>();
  const items: QuarantinedItem[] = [];
  await scanTable(table, {
    tableName: options.tableName,
    segments: options.segments,
    consistentRead: false,
    filter: quarantinedFilter(options),
    cursor: openCursor(undefined, 'quarantine list', options.segments),
    readLimiter: options.readLimiter,
    onPage: async (page) => {
      for (const attributes of page) {
        const item = readQuarantinedItem(attributes);
        items.push({ ...item, attributes: {} });
        for (const issue of item.issues.length > 0 ? item.issues : ['(no issue recorded)']) {
          const key = `${item.eventType ?? '(type unreadable)'}\t${reasonOf(issue)}`;
          const group = groups.get(key) ?? { count: 0, first: item.receivedAt, last: item.receivedAt };
          group.count++;
          if (item.receivedAt < group.first) group.first = item.receivedAt;
          if (item.receivedAt > group.last) group.last = item.receivedAt;
          groups.set(key, group);
        }
      }
    },
  });
  print(`${items.length} quarantined event(s)`);
  print('count  type  reason  first..last received');
  for (const [key, group] of [...groups].sort((a, b) => b[1].count - a[1].count)) {
    const [type, reason] = key.split('\t');
    print(`${String(group.count).padStart(5)}  ${type}  ${reason}  ${group.first}..${group.last}`);
  }
  items.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  for (const item of items.slice(0, options.listLimit)) {
    print(
      `${item.receivedAt}  ${item.eventKey}  type ${item.eventType ?? '?'}  client ${item.clientId ?? '?'}` +
        `${item.rawObject === undefined ? '' : '  (text in S3)'}  ${item.issues.join('; ')}`,
    );
  }
  if (items.length > options.listLimit)
    print(`… ${items.length - options.listLimit} older event(s) not listed (--limit)`);
  return 0;
}

/**
 * One quarantined event: its item's fields and issues, what the current settings would make of it, and
 * its fields' names and kinds; its text (which holds the recipient's address) only with `reveal`.
 */
export async function runShow(
  eventKey: string,
  options: { tableName: string; settings: IngestReaderSettings; reveal: boolean },
  deps: { table: TableClient; store: LargeEventStore },
  print: (line: string) => void,
): Promise<number> {
  const { Item } = (await deps.table.send(
    new GetItemCommand({
      TableName: options.tableName,
      Key: { [EVENT_TABLE_ATTRIBUTES.partitionKey]: { S: eventKey } },
    }),
  )) as GetItemCommandOutput;
  if (Item === undefined || Item.status?.S !== EVENT_STATUS.quarantined) {
    print(`No quarantined event with key ${eventKey}`);
    return 1;
  }
  const item = readQuarantinedItem(Item);
  print(
    `${item.eventKey}: received ${item.receivedAt}, type ${item.eventType ?? '?'}, client ${item.clientId ?? '?'}`,
  );
  if (item.rawObject !== undefined)
    print(
      `  text kept in s3://${item.rawObject.bucket}/${item.rawObject.key} (${item.rawObject.bytes} bytes)`,
    );
  for (const issue of item.issues) print(`  issue: ${issue}`);
  const text = await eventTextOf(item, deps.store);
  const outcome = revalidate(item, text, {
    read: createEventReader(options.settings),
    retentionDays: options.settings.retentionDays,
    bucket: options.settings.largeEventBucket ?? '',
    publishVerificationEvents: options.settings.publishVerificationEvents,
  });
  if (outcome.kind === 'passes')
    print(`  now: passes; requeue would store it as ${outcome.item.eventKey} (${outcome.item.status})`);
  else if (outcome.kind === 'still-quarantined')
    print(`  now: still quarantined: ${outcome.issues.join('; ')}`);
  else print(`  now: unreadable: ${outcome.reason}`);
  print(`  fields: ${fieldKinds(text)}`);
  if (options.reveal) print(`  text: ${text}`);
  return 0;
}

function fieldKinds(text: string): string {
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return `(not an object: ${Array.isArray(value) ? 'array' : typeof value})`;
    return Object.entries(value as Record<string, unknown>)
      .map(
        ([name, field]) =>
          `${/^[A-Za-z0-9_$-]{1,64}$/.test(name) ? name : '<field>'}: ${field === null ? 'null' : Array.isArray(field) ? 'array' : typeof field}`,
      )
      .join(', ');
  } catch {
    return '(not JSON)';
  }
}

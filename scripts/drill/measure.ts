import { inflateRawSync } from 'node:zlib';
import type { DynamoDBRecord } from 'aws-lambda';
import { EVENT_STATUS, EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import type { Pipeline } from '../../local/pipeline/assemble.js';

/** One scenario's outcome, per event sent (an event sent twice, as a redelivery, counts once). */
export interface DrillRow {
  readonly sent: number;
  /** Events in a batch the endpoint answered 2xx. */
  readonly acknowledged: number;
  /** Events in the table (accepted, quarantined or verification). */
  readonly stored: number;
  /** Events published at least once. */
  readonly published: number;
  /** Messages beyond the first for an event: what at-least-once cost. */
  readonly duplicates: number;
  /** Events parked for a person (the fan-out's on-failure destination, or a queue that holds them). */
  readonly parked: number;
  /** Acknowledged events not stored, or stored as accepted and neither published nor parked. */
  readonly lost: number;
  /** Messages the event topics delivered ÷ events they should deliver (accepted ones). */
  readonly messagesPerEvent: number;
}

export interface Measurement {
  readonly row: DrillRow;
  /** Event keys of the sent events, by their text (stored ones). */
  readonly keyOf: ReadonlyMap<string, string>;
  readonly parkedKeys: ReadonlySet<string>;
}

const { partitionKey, status } = EVENT_TABLE_ATTRIBUTES;

/** Reads the table, the event topics' deliveries and the queues, for the events `sent`. */
export async function measure(
  pipeline: Pipeline,
  sent: ReadonlySet<string>,
  acknowledged: ReadonlySet<string>,
): Promise<Measurement> {
  const items = await pipeline.items();
  const keyOf = new Map<string, string>();
  const statusOf = new Map<string, unknown>();
  for (const item of items) {
    const key = String(item[partitionKey]);
    statusOf.set(key, item[status]);
    const text = heldText(item);
    if (text !== undefined && sent.has(text)) keyOf.set(text, key);
  }
  const messages = messagesPerKey(pipeline);
  const parkedKeys = parkedEventKeys(pipeline, new Set(keyOf.values()));
  let published = 0;
  let duplicates = 0;
  let delivered = 0;
  let accepted = 0;
  let lost = 0;
  for (const text of sent) {
    const key = keyOf.get(text);
    const count = key === undefined ? 0 : (messages.get(key) ?? 0);
    if (count > 0) published++;
    duplicates += Math.max(0, count - 1);
    delivered += count;
    if (key === undefined) {
      if (acknowledged.has(text)) lost++;
      continue;
    }
    if (statusOf.get(key) !== EVENT_STATUS.accepted) continue;
    accepted++;
    if (count === 0 && !parkedKeys.has(key)) lost++;
  }
  const row: DrillRow = {
    sent: sent.size,
    acknowledged: [...sent].filter((text) => acknowledged.has(text)).length,
    stored: keyOf.size,
    published,
    duplicates,
    parked: parkedKeys.size,
    lost,
    messagesPerEvent: accepted === 0 ? 0 : delivered / accepted,
  };
  return { row, keyOf, parkedKeys };
}

/** The text an item holds: `raw`, or `rawDeflated` (raw DEFLATE of its UTF-8 bytes, read as base64). */
export function heldText(item: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof item.raw === 'string') return item.raw;
  if (typeof item.rawDeflated !== 'string') return undefined;
  return inflateRawSync(Buffer.from(item.rawDeflated, 'base64')).toString('utf8');
}

function messagesPerKey(pipeline: Pipeline): Map<string, number> {
  const counts = new Map<string, number>();
  for (const topicMessages of pipeline.published.values())
    for (const { eventKey } of topicMessages) counts.set(eventKey, (counts.get(eventKey) ?? 0) + 1);
  return counts;
}

/**
 * Keys of stored events that are parked: the records the stream mapping gave up on (its on-failure record
 * names only the batch), and any stored event a message in one of the stack's queues carries, except
 * queues that hold events to publish them later by themselves (their name says hold/held).
 */
function parkedEventKeys(pipeline: Pipeline, storedKeys: ReadonlySet<string>): Set<string> {
  const parked = new Set<string>();
  const recordKey = (record: DynamoDBRecord) => record.dynamodb?.Keys?.[partitionKey]?.S;
  for (const record of pipeline.driver.parked) {
    const key = recordKey(record);
    if (key !== undefined) parked.add(key);
  }
  for (const queue of pipeline.provisioned.queues.values()) {
    if (/hold|held/i.test(queue.name)) continue;
    for (const message of pipeline.services.sqs.messages(queue.url)) {
      for (const key of storedKeys) if (message.body.includes(key)) parked.add(key);
    }
  }
  return parked;
}

import {
  type AttributeValue,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { EVENT_STATUS, EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import { type StreamBatchInfo, streamArnParts } from './on-failure-record.js';
import { toLambdaRecord } from './stream-record.js';

/** The part of the DynamoDB client the replay uses. */
export type ScanClient = Pick<DynamoDBClient, 'send'>;

/** A span of `receivedAt` values, both ends included, as the ISO-8601 text the items hold. */
export interface ReceivedWindow {
  readonly from: string;
  readonly to: string;
}

/**
 * Default widening of a batch's arrival span. An item's `receivedAt` is when the ingest started on its
 * request, before it wrote the item (retries of unprocessed items included); the stream's arrival times
 * are rounded down to the second (to the minute in DynamoDB Local). A minute either side covers both.
 */
export const DEFAULT_WINDOW_MARGIN_SECONDS = 60;

/**
 * The `receivedAt` span that holds the events of a batch the stream no longer has: its first record's
 * arrival minus the margin to its last record's arrival plus the margin. It holds the batch's neighbours
 * too, and misses an event whose item a later redelivery overwrote (a new `receivedAt`).
 */
export function receivedWindowFor(batch: StreamBatchInfo, marginSeconds: number): ReceivedWindow {
  if (!Number.isFinite(marginSeconds) || marginSeconds < 0) {
    throw new RangeError(`The window margin must be a non-negative number of seconds, got ${marginSeconds}`);
  }
  const first = Date.parse(batch.approximateArrivalOfFirstRecord);
  const last = Date.parse(batch.approximateArrivalOfLastRecord);
  const marginMs = marginSeconds * 1000;
  return {
    from: new Date(Math.min(first, last) - marginMs).toISOString(),
    to: new Date(Math.max(first, last) + marginMs).toISOString(),
  };
}

/**
 * Every accepted event whose `receivedAt` lies in the window, read with a consistent Scan and shaped as
 * the INSERT record the stream had for it, so the fan-out publishes it exactly as it did live. Ordered by
 * `receivedAt`, then key. A Scan reads the whole table (and is billed for it) whatever the filter.
 */
export async function scanAcceptedEvents(
  client: ScanClient,
  tableName: string,
  window: ReceivedWindow,
  batch: StreamBatchInfo,
): Promise<DynamoDBRecord[]> {
  const items: Array<Record<string, AttributeValue>> = [];
  let exclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = (await client.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: '#status = :accepted AND #receivedAt BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#status': EVENT_TABLE_ATTRIBUTES.status, '#receivedAt': 'receivedAt' },
        ExpressionAttributeValues: {
          ':accepted': { S: EVENT_STATUS.accepted },
          ':from': { S: window.from },
          ':to': { S: window.to },
        },
        ExclusiveStartKey: exclusiveStartKey,
      }),
    )) as ScanCommandOutput;
    items.push(...(page.Items ?? []));
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey !== undefined);

  const text = (item: Record<string, AttributeValue>, name: string) => item[name]?.S ?? '';
  items.sort(
    (a, b) =>
      text(a, 'receivedAt').localeCompare(text(b, 'receivedAt')) ||
      text(a, 'eventKey').localeCompare(text(b, 'eventKey')),
  );
  const { region } = streamArnParts(batch.streamArn);
  return items.map((item) =>
    toLambdaRecord(
      {
        eventName: 'INSERT',
        eventSource: 'aws:dynamodb',
        // Not a stream position: the fan-out reports failures by this identifier, which names the item.
        dynamodb: {
          Keys: { eventKey: { S: text(item, 'eventKey') } },
          NewImage: item,
          SequenceNumber: text(item, 'eventKey'),
        },
      },
      batch.streamArn,
      region,
    ),
  );
}

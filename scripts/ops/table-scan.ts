import {
  type AttributeValue,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { itemBytes } from '../../functions/shared/events/attribute-values.js';
import type { Cursor } from './cursor.js';
import type { RateLimiter } from './rate.js';

/** The part of the DynamoDB client the scans use. */
export type TableClient = Pick<DynamoDBClient, 'send'>;

/** DynamoDB bills a read per 4 KB read; an eventually consistent read is half a unit. */
export const READ_UNIT_BYTES = 4096;
/** A write per 1 KB written (a delete is billed by the size of the item deleted). */
export const WRITE_UNIT_BYTES = 1024;

export interface ScanEstimate {
  readonly tableName: string;
  /** DescribeTable's figures, which DynamoDB refreshes about every six hours. */
  readonly itemCount: number;
  readonly tableBytes: number;
  /** Read units one full scan costs: a Scan is billed for everything it reads, whatever its filter. */
  readonly readUnits: number;
  readonly consistentRead: boolean;
}

/** What one full scan of the table will cost, from DescribeTable (printed before anything runs). */
export async function estimateScan(
  client: TableClient,
  tableName: string,
  consistentRead: boolean,
): Promise<ScanEstimate> {
  const { Table } = (await client.send(
    new DescribeTableCommand({ TableName: tableName }),
  )) as DescribeTableCommandOutput;
  const tableBytes = Table?.TableSizeBytes ?? 0;
  return {
    tableName,
    itemCount: Table?.ItemCount ?? 0,
    tableBytes,
    readUnits: readUnitsFor(tableBytes, consistentRead),
    consistentRead,
  };
}

export function readUnitsFor(bytes: number, consistentRead: boolean): number {
  const units = Math.ceil(bytes / READ_UNIT_BYTES);
  return consistentRead ? units : units / 2;
}

/** Write units of a put or delete of an item of this many bytes (as DynamoDB counts them). */
export function writeUnitsFor(item: Readonly<Record<string, AttributeValue>>): number {
  return Math.max(1, Math.ceil(itemBytes(item) / WRITE_UNIT_BYTES));
}

export function describeEstimate(estimate: ScanEstimate, segments: number, readRate?: number): string {
  const mb = (estimate.tableBytes / 1_000_000).toFixed(1);
  const kind = estimate.consistentRead ? 'strongly consistent' : 'eventually consistent';
  return (
    `Scan of ${estimate.tableName}: about ${estimate.itemCount} item(s), ${mb} MB (DescribeTable, refreshed ` +
    `about every 6 h); one full ${kind} scan in ${segments} parallel segment(s) costs about ` +
    `${Math.ceil(estimate.readUnits)} read unit(s)` +
    (readRate === undefined
      ? ''
      : `, about ${Math.ceil(estimate.readUnits / readRate)} s at ${readRate} read units/s`)
  );
}

export interface ScanOptions {
  readonly tableName: string;
  readonly segments: number;
  readonly consistentRead: boolean;
  /** A filter applied by DynamoDB after reading (it lowers what is returned, not what is billed). */
  readonly filter?: {
    readonly expression: string;
    readonly names: Record<string, string>;
    readonly values?: Record<string, AttributeValue>;
  };
  /** Items per page: the cursor moves, and progress is reported, once per page. @default 100 */
  readonly pageSize?: number;
  readonly cursor: Cursor;
  /** Read units a second. */
  readonly readLimiter: RateLimiter;
  /** Handles one page; the segment's position is saved only once it resolves. */
  readonly onPage: (items: Array<Record<string, AttributeValue>>, segment: number) => Promise<void>;
  /** After each page: what this run has read so far. */
  readonly onProgress?: (progress: ScanResult) => void;
}

export interface ScanResult {
  /** Items returned (after the filter), items read (before it) and read units consumed, in this run. */
  readonly items: number;
  readonly scanned: number;
  readonly readUnits: number;
}

/**
 * Scans the table in parallel segments (each segment pages on its own, all under one read rate),
 * starting from the cursor's positions, saving each segment's position after its page is handled.
 */
export async function scanTable(client: TableClient, options: ScanOptions): Promise<ScanResult> {
  const result = { items: 0, scanned: 0, readUnits: 0 };
  const segment = async (index: number) => {
    let position = options.cursor.state.segments[index] ?? { done: false };
    while (!position.done) {
      const page = (await client.send(
        new ScanCommand({
          TableName: options.tableName,
          Segment: index,
          TotalSegments: options.segments,
          ConsistentRead: options.consistentRead,
          Limit: options.pageSize ?? 100,
          ReturnConsumedCapacity: 'TOTAL',
          ExclusiveStartKey: position.lastKey,
          ...(options.filter && {
            FilterExpression: options.filter.expression,
            ExpressionAttributeNames: options.filter.names,
            ExpressionAttributeValues: options.filter.values,
          }),
        }),
      )) as ScanCommandOutput;
      const items = page.Items ?? [];
      const units = page.ConsumedCapacity?.CapacityUnits ?? pageReadUnits(items, options.consistentRead);
      result.readUnits += units;
      await options.readLimiter.take(units);
      await options.onPage(items, index);
      result.items += items.length;
      result.scanned += page.ScannedCount ?? items.length;
      position =
        page.LastEvaluatedKey === undefined
          ? { done: true }
          : { done: false, lastKey: page.LastEvaluatedKey };
      options.cursor.save(index, position);
      options.onProgress?.({ ...result });
    }
  };
  await Promise.all(Array.from({ length: options.segments }, (_, index) => segment(index)));
  return result;
}

/** When DynamoDB does not say (DynamoDB Local), the units the page's items would cost at least. */
function pageReadUnits(items: Array<Record<string, AttributeValue>>, consistentRead: boolean): number {
  const bytes = items.reduce((sum, item) => sum + itemBytes(item), 0);
  return Math.max(consistentRead ? 1 : 0.5, readUnitsFor(bytes, consistentRead));
}

import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { lambdaRecordFromWire, sendForWireJsonOnly } from '../wire-json.js';
import type { StreamDriverStats } from './batch-invoker.js';

const MAX_GET_RECORDS = 1000;

type WireRecords = { Records?: Parameters<typeof lambdaRecordFromWire>[0][]; NextShardIterator?: string };
/** A GetRecords call's result, settled (a read-ahead nobody takes must not reject unheard). */
type Page =
  | { readonly ok: true; readonly page: WireRecords }
  | { readonly ok: false; readonly error: unknown };

interface ShardState {
  id: string;
  parentId?: string;
  /** Existed when the driver started (startingPosition applies to these only). */
  initial: boolean;
  iterator?: string;
  /** Sequence number of the last record handled (processed, parked or filtered). */
  checkpoint?: string;
  finished: boolean;
  /** The page after the one being handled, read while it is handled (from `iterator`). */
  readAhead?: Promise<Page>;
}

export interface ShardReaderSettings {
  readonly client: Pick<DynamoDBStreamsClient, 'send'>;
  readonly streamArn: string;
  readonly region: string;
  readonly batchSize: number;
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  readonly filter?: (record: DynamoDBRecord) => boolean;
  readonly stats: StreamDriverStats;
  readonly handleBatch: (records: DynamoDBRecord[], shardId: string) => Promise<void>;
  readonly isStopped: () => boolean;
}

/**
 * The stream's shards, followed as they close and new ones open (a child shard is read once its parent
 * is finished), each read from its checkpoint in batches handed to `handleBatch`.
 */
export class ShardReader {
  private readonly shards = new Map<string, ShardState>();
  private listedOnce = false;

  constructor(private readonly settings: ShardReaderSettings) {}

  /** Lists the stream's shards; true when a new one appeared. */
  async refresh(): Promise<boolean> {
    let changed = false;
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.settings.client.send(
        new DescribeStreamCommand({
          StreamArn: this.settings.streamArn,
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || this.shards.has(shard.ShardId)) continue;
        const state: ShardState = { id: shard.ShardId, initial: !this.listedOnce, finished: false };
        if (shard.ParentShardId) state.parentId = shard.ParentShardId;
        this.shards.set(shard.ShardId, state);
        changed = true;
      }
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    this.listedOnce = true;
    return changed;
  }

  /** Polls every readable shard once; true when anything was read or changed. */
  async pollAll(): Promise<boolean> {
    let busy = false;
    for (const shard of [...this.shards.values()]) {
      if (this.settings.isStopped()) break;
      if (!this.readable(shard)) continue;
      const polled = await this.poll(shard);
      if (polled.records > 0 || polled.changed) busy = true;
    }
    return busy;
  }

  describe(): string {
    const states = [...this.shards.values()].map(
      (shard) =>
        `${shard.id} ${shard.finished ? 'finished' : this.readable(shard) ? 'open' : 'waiting for its parent'}`,
    );
    return `shards: ${states.join(', ') || 'none listed yet'}`;
  }

  private readable(shard: ShardState): boolean {
    if (shard.finished) return false;
    const parent = shard.parentId === undefined ? undefined : this.shards.get(shard.parentId);
    return parent === undefined || parent.finished;
  }

  private async iteratorFor(shard: ShardState): Promise<string | undefined> {
    let type: ShardIteratorType = 'TRIM_HORIZON';
    if (shard.checkpoint !== undefined) type = 'AFTER_SEQUENCE_NUMBER';
    else if (shard.initial && this.settings.startingPosition === 'LATEST') type = 'LATEST';
    const { ShardIterator } = await this.settings.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.settings.streamArn,
        ShardId: shard.id,
        ShardIteratorType: type,
        SequenceNumber: shard.checkpoint,
      }),
    );
    return ShardIterator;
  }

  /**
   * Reads one batch from a shard and handles it; returns how many records the stream gave. While a batch
   * is handled the next page is read (its records are handled next, in order, whatever the outcome: the
   * invoker retries or parks a batch itself and never goes back to the stream). A page read ahead that
   * came back empty is read again: a poll that finds nothing must start after the records it vouches for.
   */
  private async poll(shard: ShardState): Promise<{ records: number; changed: boolean }> {
    const { settings } = this;
    if (shard.iterator === undefined) {
      shard.iterator = await this.iteratorFor(shard);
      if (shard.iterator === undefined) {
        shard.finished = true;
        return { records: 0, changed: true };
      }
    }
    const result = await this.getRecords(shard);
    if (result === undefined) return { records: 0, changed: true };
    const records = (result.Records ?? []).map((record) =>
      lambdaRecordFromWire(record, settings.streamArn, settings.region),
    );
    settings.stats.received += records.length;
    shard.iterator = result.NextShardIterator ?? undefined;
    if (records.length > 0 && shard.iterator !== undefined) shard.readAhead = this.readPage(shard.iterator);
    const matching = settings.filter ? records.filter(settings.filter) : records;
    settings.stats.filtered += records.length - matching.length;
    if (matching.length > 0) await settings.handleBatch(matching, shard.id);
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last !== undefined) shard.checkpoint = last;
    if (settings.isStopped()) return { records: records.length, changed: false };
    if (shard.iterator === undefined) {
      shard.finished = true; // closed and read to its end
      return { records: records.length, changed: true };
    }
    return { records: records.length, changed: false };
  }

  private readPage(iterator: string): Promise<Page> {
    const command = new GetRecordsCommand({
      ShardIterator: iterator,
      Limit: Math.min(this.settings.batchSize, MAX_GET_RECORDS),
    });
    // Read from the wire: the SDK's deserializer loses `__proto__` members of stored events.
    return sendForWireJsonOnly(this.settings.client, command).then(
      (page) => ({ ok: true, page: page as WireRecords }),
      (error: unknown) => ({ ok: false, error }),
    );
  }

  /** The next page (read ahead, or now); undefined when the iterator must be fetched again. */
  private async getRecords(shard: ShardState): Promise<WireRecords | undefined> {
    let read = shard.readAhead === undefined ? undefined : await shard.readAhead;
    shard.readAhead = undefined;
    if (read?.ok && (read.page.Records ?? []).length === 0 && read.page.NextShardIterator) {
      shard.iterator = read.page.NextShardIterator;
      read = undefined;
    }
    read ??= await this.readPage(shard.iterator as string);
    if (read.ok) return read.page;
    const { error } = read;
    if (error instanceof ExpiredIteratorException) {
      shard.iterator = undefined;
      return undefined;
    }
    if (error instanceof TrimmedDataAccessException) {
      // The checkpoint fell out of the stream's retention: continue from the oldest record still there.
      shard.iterator = undefined;
      shard.checkpoint = undefined;
      return undefined;
    }
    throw error;
  }
}

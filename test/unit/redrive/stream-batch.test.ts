import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import type { StreamBatchInfo } from '../../../scripts/redrive/on-failure-record.js';
import { readStreamBatch, type StreamsClient } from '../../../scripts/redrive/stream-batch.js';

const STREAM_ARN = 'arn:aws:dynamodb:eu-central-1:123456789012:table/events/stream/2026-11-01T00:00:00.000';
const batch = (start: string, end: string, batchSize: number): StreamBatchInfo => ({
  shardId: 'shardId-1',
  startSequenceNumber: start,
  endSequenceNumber: end,
  approximateArrivalOfFirstRecord: '2026-11-26T20:00:00Z',
  approximateArrivalOfLastRecord: '2026-11-26T20:00:01Z',
  batchSize,
  streamArn: STREAM_ARN,
});

const streamRecord = (sequence: number, eventName: 'INSERT' | 'MODIFY' = 'INSERT'): StreamRecord => ({
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: {
    SequenceNumber: String(sequence),
    ApproximateCreationDateTime: new Date('2026-11-26T20:00:00Z'),
    Keys: { eventKey: { S: `open#${sequence}` } },
    NewImage: { eventKey: { S: `open#${sequence}` }, status: { S: 'accepted' } },
  },
});

/** A shard whose GetRecords pages are given; calls are recorded. `pages` entries that are errors are thrown. */
function fakeShard(options: {
  iteratorError?: Error;
  pages: Array<StreamRecord[] | Error>;
  closed?: boolean;
}) {
  const calls: Array<{ operation: string; input: unknown }> = [];
  let page = 0;
  const client = {
    async send(command: unknown) {
      if (command instanceof GetShardIteratorCommand) {
        calls.push({ operation: 'GetShardIterator', input: command.input });
        if (options.iteratorError) throw options.iteratorError;
        return { ShardIterator: 'iterator-0' };
      }
      if (command instanceof GetRecordsCommand) {
        calls.push({ operation: 'GetRecords', input: command.input });
        const current = options.pages[page];
        page++;
        if (current instanceof Error) throw current;
        const last = page >= options.pages.length;
        return {
          Records: current ?? [],
          NextShardIterator: last && options.closed ? undefined : `iterator-${page}`,
        };
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  } as unknown as StreamsClient;
  return { client, calls };
}

const sequences = (reading: Awaited<ReturnType<typeof readStreamBatch>>) =>
  reading.kind === 'read' ? reading.records.map((record) => record.dynamodb?.SequenceNumber) : reading;

describe('readStreamBatch', () => {
  it('reads from the start sequence number to the end one, across pages, as Lambda records', async () => {
    const { client, calls } = fakeShard({
      pages: [
        [streamRecord(10), streamRecord(11)],
        [],
        [streamRecord(12), streamRecord(13), streamRecord(14)],
      ],
    });
    const reading = await readStreamBatch(client, batch('10', '13', 4));
    expect(sequences(reading)).toEqual(['10', '11', '12', '13']);
    expect(calls[0]).toEqual({
      operation: 'GetShardIterator',
      input: {
        StreamArn: STREAM_ARN,
        ShardId: 'shardId-1',
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        SequenceNumber: '10',
      },
    });
    expect(calls.filter((call) => call.operation === 'GetRecords')).toHaveLength(3);
    if (reading.kind !== 'read') return;
    expect(reading.records[0]).toMatchObject({
      eventName: 'INSERT',
      eventSourceARN: STREAM_ARN,
      awsRegion: 'eu-central-1',
      dynamodb: {
        ApproximateCreationDateTime: Date.parse('2026-11-26T20:00:00Z') / 1000,
        NewImage: { eventKey: { S: 'open#10' }, status: { S: 'accepted' } },
      },
    });
  });

  it('keeps the records the filter dropped in the range (the fan-out ignores them again)', async () => {
    const { client } = fakeShard({ pages: [[streamRecord(1), streamRecord(2, 'MODIFY'), streamRecord(3)]] });
    expect(sequences(await readStreamBatch(client, batch('1', '3', 2)))).toEqual(['1', '2', '3']);
  });

  it('compares sequence numbers as numbers, not text', async () => {
    const { client } = fakeShard({
      pages: [[streamRecord(98), streamRecord(99), streamRecord(100), streamRecord(101)]],
    });
    expect(sequences(await readStreamBatch(client, batch('98', '100', 3)))).toEqual(['98', '99', '100']);
  });

  it('says the stream no longer has the batch when it is trimmed, gone or the iterator expired', async () => {
    const trimmed = fakeShard({
      iteratorError: new TrimmedDataAccessException({ message: 'records trimmed', $metadata: {} }),
      pages: [],
    });
    expect(await readStreamBatch(trimmed.client, batch('1', '2', 2))).toEqual({
      kind: 'unavailable',
      reason: 'TrimmedDataAccessException: records trimmed',
    });
    const gone = Object.assign(new Error('Requested resource not found: Shard does not exist'), {
      name: 'ResourceNotFoundException',
    });
    expect(
      await readStreamBatch(fakeShard({ iteratorError: gone, pages: [] }).client, batch('1', '2', 2)),
    ).toEqual({
      kind: 'unavailable',
      reason: 'ResourceNotFoundException: Requested resource not found: Shard does not exist',
    });
    const expired = Object.assign(new Error('Iterator expired'), { name: 'ExpiredIteratorException' });
    const midway = fakeShard({ pages: [[streamRecord(1)], expired] });
    expect(await readStreamBatch(midway.client, batch('1', '2', 2))).toEqual({
      kind: 'unavailable',
      reason: 'ExpiredIteratorException: Iterator expired',
    });
  });

  it('lets other errors through: they are failures of this run, not a reason to read the table', async () => {
    const denied = Object.assign(new Error('not authorized to perform dynamodb:GetRecords'), {
      name: 'AccessDeniedException',
    });
    await expect(readStreamBatch(fakeShard({ pages: [denied] }).client, batch('1', '2', 2))).rejects.toThrow(
      'not authorized',
    );
  });

  it('says so when the range holds fewer records than the batch, or the shard ends or stays empty first', async () => {
    const short = fakeShard({ pages: [[streamRecord(5), streamRecord(7)]] });
    expect(await readStreamBatch(short.client, batch('5', '7', 3))).toEqual({
      kind: 'unavailable',
      reason: "the stream holds 2 record(s) in the batch's range, fewer than its 3",
    });
    const closed = fakeShard({ pages: [[streamRecord(5)]], closed: true });
    expect(await readStreamBatch(closed.client, batch('5', '7', 2))).toEqual({
      kind: 'unavailable',
      reason: 'the shard ended before endSequenceNumber (1 record(s) read)',
    });
    const empty = fakeShard({ pages: Array.from({ length: 30 }, () => []) });
    expect(await readStreamBatch(empty.client, batch('5', '7', 2))).toEqual({
      kind: 'unavailable',
      reason: 'the shard returned no record up to endSequenceNumber after 0 record(s) and 25 empty reads',
    });
    expect(empty.calls.filter((call) => call.operation === 'GetRecords')).toHaveLength(25);
  });
});

import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandOutput,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { type StreamBatchInfo, streamArnParts } from './on-failure-record.js';
import { toLambdaRecord } from './stream-record.js';

/** The part of the DynamoDB Streams client the replay uses. */
export type StreamsClient = Pick<DynamoDBStreamsClient, 'send'>;

export type StreamBatchReading =
  /** Every record of the batch's range, as Lambda hands them over, in stream order. */
  | { readonly kind: 'read'; readonly records: DynamoDBRecord[] }
  /** The stream no longer holds the batch (24 h retention, shard or stream gone): use the table. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * Errors that mean the stream no longer holds (all of) the batch. Anything else (no permission, throttling
 * beyond the SDK's retries, network) is a failure of this run, not a reason to read the table instead.
 */
const GONE_ERRORS = new Set([
  'TrimmedDataAccessException',
  'ExpiredIteratorException',
  'ResourceNotFoundException',
]);
/** GetRecords' maximum. */
const RECORDS_PER_CALL = 1000;
/**
 * Empty GetRecords answers in a row before giving up on reaching endSequenceNumber. DynamoDB documents
 * that empty pages can precede records in an open shard; a batch's range was written long ago, so a long
 * run of them means the range cannot be read.
 */
const MAX_EMPTY_READS = 25;

/**
 * Reads the records of a parked batch again from the table's stream: from startSequenceNumber
 * (AT_SEQUENCE_NUMBER) to endSequenceNumber, both included. The range also holds the records the event
 * source mapping's filter dropped (MODIFYs, quarantined items); the fan-out ignores those again.
 */
export async function readStreamBatch(
  client: StreamsClient,
  batch: StreamBatchInfo,
): Promise<StreamBatchReading> {
  const { region } = streamArnParts(batch.streamArn);
  const end = BigInt(batch.endSequenceNumber);
  const records: DynamoDBRecord[] = [];
  try {
    const { ShardIterator } = (await client.send(
      new GetShardIteratorCommand({
        StreamArn: batch.streamArn,
        ShardId: batch.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        SequenceNumber: batch.startSequenceNumber,
      }),
    )) as GetShardIteratorCommandOutput;
    let iterator = ShardIterator;
    let emptyReads = 0;
    while (iterator !== undefined && iterator !== null) {
      const page = (await client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_CALL }),
      )) as GetRecordsCommandOutput;
      const pageRecords = page.Records ?? [];
      for (const record of pageRecords) {
        const sequenceNumber = record.dynamodb?.SequenceNumber;
        if (sequenceNumber === undefined)
          throw new Error('The stream returned a record without a SequenceNumber');
        if (BigInt(sequenceNumber) > end) return complete(records, batch);
        records.push(toLambdaRecord(record, batch.streamArn, region));
        if (BigInt(sequenceNumber) === end) return complete(records, batch);
      }
      emptyReads = pageRecords.length === 0 ? emptyReads + 1 : 0;
      if (emptyReads >= MAX_EMPTY_READS) {
        return {
          kind: 'unavailable',
          reason: `the shard returned no record up to endSequenceNumber after ${records.length} record(s) and ${MAX_EMPTY_READS} empty reads`,
        };
      }
      iterator = page.NextShardIterator;
    }
    return {
      kind: 'unavailable',
      reason: `the shard ended before endSequenceNumber (${records.length} record(s) read)`,
    };
  } catch (error) {
    const { name, message } = error as Error;
    if (GONE_ERRORS.has(name)) return { kind: 'unavailable', reason: `${name}: ${message}` };
    throw error;
  }
}

function complete(records: DynamoDBRecord[], batch: StreamBatchInfo): StreamBatchReading {
  // The range holds the batch and possibly filtered records: fewer than the batch means records are missing.
  if (records.length < batch.batchSize) {
    return {
      kind: 'unavailable',
      reason: `the stream holds ${records.length} record(s) in the batch's range, fewer than its ${batch.batchSize}`,
    };
  }
  return { kind: 'read', records };
}

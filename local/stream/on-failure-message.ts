import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';

/** What Lambda sends to an on-failure destination for a DynamoDB stream batch it gives up on. */
export interface OnFailureMessage {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface ParkedBatch {
  readonly records: readonly DynamoDBRecord[];
  readonly shardId: string;
  readonly invokeCount: number;
  readonly functionError?: string;
  /** @default 'RetryAttemptsExhausted' */
  readonly condition?: OnFailureMessage['requestContext']['condition'];
}

/** The on-failure record of a parked batch: it names the batch (shard, sequence numbers), not its events. */
export function onFailureMessage(
  batch: ParkedBatch,
  where: { readonly region: string; readonly functionName: string; readonly streamArn: string },
): OnFailureMessage {
  const first = batch.records[0]?.dynamodb;
  const last = batch.records.at(-1)?.dynamodb;
  const arrival = (seconds: number | undefined) =>
    new Date((seconds ?? Date.now() / 1000) * 1000).toISOString();
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: `arn:aws:lambda:${where.region}:000000000000:function:${where.functionName}`,
      condition: batch.condition ?? 'RetryAttemptsExhausted',
      approximateInvokeCount: batch.invokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(batch.functionError ? { functionError: batch.functionError } : {}),
    },
    version: '1.0',
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId: batch.shardId,
      startSequenceNumber: first?.SequenceNumber ?? '',
      endSequenceNumber: last?.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: arrival(first?.ApproximateCreationDateTime),
      approximateArrivalOfLastRecord: arrival(last?.ApproximateCreationDateTime),
      batchSize: batch.records.length,
      streamArn: where.streamArn,
    },
  };
}

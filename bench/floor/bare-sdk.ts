import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';

/**
 * The per-event floor: the bare SDK making the calls a handler made, with the inputs it sent (captured by
 * the stub endpoint), so what is left is serialization, signing, HTTP and response parsing.
 */
const dynamodb = new DynamoDBClient({});
const sns = new SNSClient({});

export interface BareSdkCalls {
  readonly batchWriteItem?: readonly BatchWriteItemCommandInput[];
  readonly publishBatch?: readonly PublishBatchCommandInput[];
}

export const handler = async (calls: BareSdkCalls): Promise<number> => {
  const writes = (calls.batchWriteItem ?? []).map((input) => dynamodb.send(new BatchWriteItemCommand(input)));
  const publishes = (calls.publishBatch ?? []).map((input) => sns.send(new PublishBatchCommand(input)));
  return (await Promise.all([...writes, ...publishes])).length;
};

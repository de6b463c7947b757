import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { parseConfig } from '../infra/config.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { compileFilterCriteria } from '../local/pipeline/lambda-event-filter.js';
import { buildStackModel } from '../local/pipeline/stack-model.js';
import { createTable, eventTableModel } from '../local/pipeline/tables.js';
import { toLambdaRecord } from '../scripts/redrive/stream-record.js';
import { BENCH_CONFIG } from './assembly.js';
import { REGION } from './lambda-environment.js';

/**
 * Real stream records for the fan-out: `store` runs the shipped ingest bundle against DynamoDB Local (it
 * writes exactly what it writes in AWS), the table's stream is read back through the Streams API and
 * turned into Lambda's event records, and the event source mapping's filter criteria (from the template)
 * keep what Lambda would deliver.
 */
export async function streamRecordsFromIngest(
  store: (dynamoEndpoint: string, tableName: string) => Promise<void>,
  filterPatterns: readonly string[],
): Promise<DynamoDBRecord[]> {
  const dynamo = await startDynamoDbLocal();
  const local = {
    endpoint: dynamo.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const client = new DynamoDBClient(local);
  const streams = new DynamoDBStreamsClient(local);
  try {
    // The stack's events table, as its template declares it.
    const model = buildStackModel(parseConfig(BENCH_CONFIG), { region: REGION, accountId: '000000000000' });
    const tableName = 'bench-events';
    const { streamArn = '' } = await createTable(client, tableName, eventTableModel(model));
    await store(dynamo.endpoint, tableName);
    const passes = compileFilterCriteria(filterPatterns);
    const records: DynamoDBRecord[] = [];
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator !== undefined) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        for (const record of page.Records ?? []) {
          const lambdaRecord = toLambdaRecord(record, streamArn, REGION);
          if (passes(lambdaRecord)) records.push(lambdaRecord);
        }
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return records;
  } finally {
    client.destroy();
    streams.destroy();
    await dynamo.stop();
  }
}

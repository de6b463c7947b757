import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb-local.js';
import { createStackEventTable as createEventTable } from '../../support/pipeline.js';

/** The stack's events table, created on DynamoDB Local from its template (local/pipeline/tables.ts). */
describe('the events table on DynamoDB Local, as the stack declares it', () => {
  let dynamo: DynamoDbLocal;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    client = new DynamoDBClient({ endpoint: dynamo.endpoint });
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  it('creates an ACTIVE on-demand table keyed by eventKey only, with a NEW_IMAGE stream and TTL on expiresAt', async () => {
    const created = await createEventTable(client, 'events-shape');

    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'events-shape' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'eventKey', KeyType: 'HASH' }]);
    expect(Table?.AttributeDefinitions).toEqual([{ AttributeName: 'eventKey', AttributeType: 'S' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(created).toEqual({ tableName: 'events-shape', streamArn: Table?.LatestStreamArn });
    expect(created.streamArn).toMatch(/^arn:aws:dynamodb:.+:table\/events-shape\/stream\/.+/);

    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'events-shape' }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('rejects items without the string partition key, as the deployed table would', async () => {
    await createEventTable(client, 'events-validation');
    await expect(
      client.send(new PutItemCommand({ TableName: 'events-validation', Item: { eventKey: { N: '1' } } })),
    ).rejects.toThrow(/Type mismatch|mismatch/i);
  });

  it('reuses an existing events table (a persistent data directory) and returns its stream', async () => {
    const first = await createEventTable(client, 'events-twice');
    const second = await createEventTable(client, 'events-twice');
    expect(second).toEqual(first);
  });

  it('refuses an existing table of that name with another shape, naming the difference', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: 'not-events',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await expect(createEventTable(client, 'not-events')).rejects.toThrow(
      /Table not-events exists but not as the stack declares it: key schema is id \(HASH\), expected eventKey \(HASH\); stream is null, expected NEW_IMAGE/,
    );
  });
});

import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { EVENT_TABLE_ATTRIBUTES } from '../functions/shared/contracts/event-table.js';

const EVENT_TABLE_PARTITION_KEY = EVENT_TABLE_ATTRIBUTES.partitionKey;
const EVENT_TABLE_TTL_ATTRIBUTE = EVENT_TABLE_ATTRIBUTES.timeToLive;

const ACTIVE_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;

/**
 * Creates the events table as the CDK stack does: partition key `eventKey` (S) and no sort key, on-demand
 * billing, a NEW_IMAGE stream, TTL on `expiresAt`. Waits until the table is ACTIVE.
 *
 * A table of that name that already exists (a persistent DynamoDB Local data directory) is reused when its
 * key and stream match, and refused with an error naming the difference when they do not.
 * Encryption (a customer-managed KMS key in the stack), point-in-time recovery and deletion protection are
 * not reproduced: DynamoDB Local ignores them.
 */
export async function createEventTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ tableName: string; streamArn: string }> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: EVENT_TABLE_PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: EVENT_TABLE_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const table = await waitUntilActive(client, tableName);
  assertEventTableShape(table, tableName);
  await enableTimeToLive(client, tableName);
  return { tableName, streamArn: table.LatestStreamArn as string };
}

function assertEventTableShape(table: TableDescription, tableName: string): void {
  const problems: string[] = [];
  const keys = table.KeySchema ?? [];
  if (
    keys.length !== 1 ||
    keys[0]?.AttributeName !== EVENT_TABLE_PARTITION_KEY ||
    keys[0]?.KeyType !== 'HASH'
  ) {
    problems.push(`key schema is ${JSON.stringify(keys)}, expected only ${EVENT_TABLE_PARTITION_KEY} (HASH)`);
  }
  const keyType = table.AttributeDefinitions?.find((a) => a.AttributeName === EVENT_TABLE_PARTITION_KEY);
  if (keyType?.AttributeType !== 'S') problems.push(`${EVENT_TABLE_PARTITION_KEY} is not a string (S) key`);
  const stream = table.StreamSpecification;
  if (!stream?.StreamEnabled || stream.StreamViewType !== 'NEW_IMAGE' || !table.LatestStreamArn) {
    problems.push(`stream is ${JSON.stringify(stream ?? null)}, expected NEW_IMAGE`);
  }
  if (problems.length > 0) {
    throw new Error(`Table ${tableName} exists but is not an events table: ${problems.join('; ')}`);
  }
}

async function enableTimeToLive(client: DynamoDBClient, tableName: string): Promise<void> {
  const { TimeToLiveDescription: ttl } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') {
    if (ttl.AttributeName !== EVENT_TABLE_TTL_ATTRIBUTE) {
      throw new Error(
        `Table ${tableName} has TTL on ${ttl.AttributeName}, expected ${EVENT_TABLE_TTL_ATTRIBUTE}`,
      );
    }
    return;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: EVENT_TABLE_TTL_ATTRIBUTE },
    }),
  );
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<TableDescription> {
  const deadline = performance.now() + ACTIVE_TIMEOUT_MS;
  let status: string | undefined;
  while (performance.now() < deadline) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    status = Table?.TableStatus;
    if (Table && status === 'ACTIVE') return Table;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(
    `Table ${tableName} did not become ACTIVE within ${ACTIVE_TIMEOUT_MS} ms (status ${status})`,
  );
}

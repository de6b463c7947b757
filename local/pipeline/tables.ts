import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

import type { StackModel, TableModel } from './stack-model.js';

const ACTIVE_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;

/**
 * Creates a table of the stack on DynamoDB Local as its template declares it (key schema, attribute
 * definitions, stream view type, TTL attribute; on-demand billing) and waits until it is ACTIVE.
 *
 * A table of that name that already exists (a kept DynamoDB Local data directory) is reused when its key
 * and stream match, and refused with an error naming the difference when they do not. Encryption,
 * point-in-time recovery and deletion protection are not reproduced: DynamoDB Local ignores them.
 */
export async function createTable(
  client: DynamoDBClient,
  tableName: string,
  model: TableModel,
): Promise<{ tableName: string; streamArn?: string }> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [...model.attributeDefinitions],
        KeySchema: [...model.keySchema],
        BillingMode: 'PAY_PER_REQUEST',
        ...(model.streamViewType
          ? { StreamSpecification: { StreamEnabled: true, StreamViewType: model.streamViewType } }
          : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const table = await waitUntilActive(client, tableName);
  assertShape(table, tableName, model);
  if (model.timeToLiveAttribute) await enableTimeToLive(client, tableName, model.timeToLiveAttribute);
  return { tableName, ...(table.LatestStreamArn ? { streamArn: table.LatestStreamArn } : {}) };
}

function assertShape(table: TableDescription, tableName: string, model: TableModel): void {
  const problems: string[] = [];
  const keys = (table.KeySchema ?? []).map((key) => `${key.AttributeName} (${key.KeyType})`);
  const expected = model.keySchema.map((key) => `${key.AttributeName} (${key.KeyType})`);
  if (keys.join(', ') !== expected.join(', ')) {
    problems.push(`key schema is ${keys.join(', ')}, expected ${expected.join(', ')}`);
  }
  const stream = table.StreamSpecification;
  if (model.streamViewType && (!stream?.StreamEnabled || stream.StreamViewType !== model.streamViewType)) {
    problems.push(`stream is ${JSON.stringify(stream ?? null)}, expected ${model.streamViewType}`);
  }
  if (problems.length > 0) {
    throw new Error(`Table ${tableName} exists but not as the stack declares it: ${problems.join('; ')}`);
  }
}

async function enableTimeToLive(client: DynamoDBClient, tableName: string, attribute: string): Promise<void> {
  const { TimeToLiveDescription: ttl } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') {
    if (ttl.AttributeName !== attribute) {
      throw new Error(`Table ${tableName} has TTL on ${ttl.AttributeName}, expected ${attribute}`);
    }
    return;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
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

/** The stack's events table, as createTable takes it. */
export function eventTableModel(model: StackModel): TableModel {
  const table = model.tables.find((candidate) => candidate.logicalId === model.tableLogicalId);
  if (table === undefined) throw new Error('The stack has no events table');
  return table;
}

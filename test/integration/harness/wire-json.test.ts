import { type AttributeValue, DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb-local.js';
import { startStreamDriver } from '../../../local/stream-driver.js';
import { sendForWireJson } from '../../../local/wire-json.js';
import { createStackEventTable } from '../../support/pipeline.js';

/**
 * What the harness reads of stored events is what was stored: a member named `__proto__` (the SDK's
 * deserializer loses its value) and empty maps (DynamoDB Local's stream writes them as `{}`), through the
 * stream driver (as Lambda hands them to the fan-out) and through a scan.
 */
const STORED: Record<string, AttributeValue> = {
  eventKey: { S: 'open#wire' },
  event: {
    M: {
      ['__proto__']: { L: [{ M: { ['__proto__']: { S: 'inner' } } }, { M: {} }] },
      constructor: { M: {} },
      nested: { L: [{ NULL: true }, { M: { empty: { M: {} } } }, { L: [] }] },
    },
  },
};

describe('stored events read from the wire', () => {
  let dynamo: DynamoDbLocal;
  let db: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    db = new DynamoDBClient({ endpoint: dynamo.endpoint });
  });
  afterAll(async () => {
    db?.destroy();
    await dynamo?.stop();
  });

  it('hands the fan-out and a scan the item exactly as stored', async () => {
    const { tableName, streamArn } = await createStackEventTable(db, 'wire-json');
    await db.send(new PutItemCommand({ TableName: tableName, Item: STORED }));
    const batches: DynamoDBRecord[][] = [];
    const driver = startStreamDriver({
      dynamoEndpoint: dynamo.endpoint,
      streamArn,
      pollIntervalMs: 20,
      handler: async (event) => {
        batches.push(event.Records);
        return undefined;
      },
    });
    try {
      await driver.waitUntilIdle();
    } finally {
      await driver.stop();
    }
    expect(sortedJson(batches.flat()[0]?.dynamodb?.NewImage)).toBe(sortedJson(STORED));

    const { wire } = await sendForWireJson(db, new ScanCommand({ TableName: tableName }));
    expect(sortedJson((wire as { Items: unknown[] }).Items[0])).toBe(sortedJson(STORED));
  });
});

/** JSON text with every object's members in name order (stored items come back in any order). */
function sortedJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  const members = Object.keys(value).sort();
  return `{${members.map((name) => `${JSON.stringify(name)}:${sortedJson((value as Record<string, unknown>)[name])}`).join(',')}}`;
}

import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyBatch } from '../../functions/ingest/ingest-batch.js';
import { CAMPAIGN_EVENT_TYPES } from '../../functions/shared/campaign-event-types.js';
import { createEventStore, EventStoreError } from '../../functions/shared/event-store.js';
import { itemBytes } from '../../functions/shared/events/attribute-values.js';
import { parseJsonLosslessly } from '../../functions/shared/events/lossless-json.js';
import { createEventValidator } from '../../functions/shared/events/schema.js';
import {
  acceptedItem,
  type EventItem,
  MAX_ACCEPTED_EVENT_BYTES,
  MAX_LISTED_ISSUES,
} from '../../functions/shared/events/stored-event.js';
import { CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { createEventTable } from '../../local/event-table.js';
import { startStreamDriver } from '../../local/stream-driver.js';

/** The event store and the item limits against DynamoDB Local, the real DynamoDB engine. */
describe('event store on DynamoDB Local', () => {
  let dynamo: DynamoDbLocal;
  let client: DynamoDBClient;
  let tableCount = 0;
  const validate = createEventValidator({ eventTypes: CAMPAIGN_EVENT_TYPES });
  // Now, not a fixed date: DynamoDB Local applies TTL, and an item whose expiresAt has passed is deleted.
  const receivedAt = new Date();
  const times = { receivedAt, retentionDays: 30 };

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    client = new DynamoDBClient({ endpoint: dynamo.endpoint });
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  async function newTable() {
    tableCount++;
    return createEventTable(client, `store-${tableCount}`);
  }

  async function scanAll(tableName: string) {
    const items = [];
    let ExclusiveStartKey: Record<string, never> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey as typeof ExclusiveStartKey;
    } while (ExclusiveStartKey);
    return items;
  }

  function classify(events: unknown[], at = receivedAt) {
    return classifyBatch(events, { validate, retentionDays: 30, receivedAt: at }).items;
  }

  it('stores a large mixed batch, duplicate keys included, in chunks of 25', async () => {
    const { tableName } = await newTable();
    const factory = new CampaignEventFactory({ seed: 21 });
    const events = [...factory.batch(110), ...factory.invalidEvents()];
    const items = classify([...events, events[0], events[1]]);
    const result = await createEventStore({ client, tableName }).putAll(items);
    expect(result.itemsWritten).toBe(115);
    expect(result.requests).toBe(5);
    expect(await scanAll(tableName)).toHaveLength(115);
  });

  it('overwrites on redelivery: no new item, and the stream shows MODIFY, never a second INSERT', async () => {
    const { tableName, streamArn } = await newTable();
    const seen: DynamoDBRecord[] = [];
    const driver = startStreamDriver({
      dynamoEndpoint: dynamo.endpoint,
      streamArn,
      handler: async (event) => {
        seen.push(...event.Records);
      },
    });
    try {
      const store = createEventStore({ client, tableName });
      const events = new CampaignEventFactory({ seed: 22 }).batch(30);
      await store.putAll(classify(events));
      await store.putAll(classify(events, new Date(receivedAt.getTime() + 60_000)));
      await driver.waitUntilIdle();
    } finally {
      await driver.stop();
    }
    expect(await scanAll(tableName)).toHaveLength(30);
    const names = seen.map((record) => record.eventName);
    expect(names.filter((name) => name === 'INSERT')).toHaveLength(30);
    expect(names.filter((name) => name === 'MODIFY')).toHaveLength(30);
    const keysInserted = new Set(
      seen
        .filter((record) => record.eventName === 'INSERT')
        .map((record) => record.dynamodb?.Keys?.eventKey?.S),
    );
    expect(keysInserted.size).toBe(30);
  });

  it('keeps numbers beyond a double exactly, in the event map and the raw text', async () => {
    const { tableName } = await newTable();
    const [event] = parseJsonLosslessly(
      '[{"type":"open","clientId":1,"mailingId":2,"recipientId":98765432109876543210,"trackingId":12345678901234567890123}]',
    ) as unknown[];
    const [item] = classify([event]);
    await createEventStore({ client, tableName }).putAll(item ? [item] : []);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { eventKey: { S: item?.eventKey ?? '' } } }),
    );
    expect(Item?.status).toEqual({ S: 'accepted' });
    expect(Item?.recipientId).toEqual({ S: '98765432109876543210' });
    expect(Item?.event?.M?.trackingId).toEqual({ N: '12345678901234567890123' });
    expect(Item?.raw?.S).toContain('"trackingId":12345678901234567890123');
  });

  it('measures an item as DynamoDB does, so the item budget holds', async () => {
    const { tableName } = await newTable();
    const limit = 400 * 1024;
    const base: Record<string, AttributeValue> = {
      eventKey: { S: 'measured' },
      issues: { L: [{ S: 'a: é' }, { S: '' }] },
      event: { M: { n: { N: '12345' }, z: { NULL: true }, t: { BOOL: true }, l: { L: [{ M: {} }] } } },
    };
    const withSize = (bytes: number) => {
      const item = { ...base, raw: { S: '' } };
      return { ...item, raw: { S: 'x'.repeat(bytes - itemBytes(item)) } };
    };
    expect(itemBytes(withSize(limit))).toBe(limit);
    await client.send(new PutItemCommand({ TableName: tableName, Item: withSize(limit) }));
    await expect(
      client.send(new PutItemCommand({ TableName: tableName, Item: withSize(limit + 1) })),
    ).rejects.toThrow(/Item size has exceeded the maximum allowed size/);
  });

  it('fits the largest accepted event and the largest quarantine item', async () => {
    const { tableName } = await newTable();
    const base = { type: 'open', clientId: 1, mailingId: 2, recipientId: 'r' };
    const padding = 'é'.repeat((MAX_ACCEPTED_EVENT_BYTES - Buffer.byteLength(JSON.stringify(base)) - 20) / 2);
    const largest = { ...base, padding };
    expect(Buffer.byteLength(JSON.stringify(largest))).toBeLessThanOrEqual(MAX_ACCEPTED_EVENT_BYTES);
    const [accepted] = classify([largest]);
    expect(accepted?.status).toBe('accepted');
    // A 3 MB event with 2,000 issues, each naming a 1 KB field: issues capped, raw text cut to fit.
    const names = Array.from({ length: 2_000 }, (_, index) => `${'n'.repeat(1000)}${index}`);
    const huge = {
      junk: 'x'.repeat(1_000_000),
      mediaTypesToAddresses: Object.fromEntries(names.map((n) => [n, 1])),
    };
    const [quarantined] = classify([huge]);
    expect(quarantined).toMatchObject({ status: 'quarantined', rawTruncated: true });
    const store = createEventStore({ client, tableName });
    await expect(store.putAll([accepted as EventItem, quarantined as EventItem])).resolves.toMatchObject({
      itemsWritten: 2,
    });
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { eventKey: { S: quarantined?.eventKey ?? '' } } }),
    );
    expect(Item?.issues?.L).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(Item?.rawBytes?.N).toBe(String(Buffer.byteLength(JSON.stringify(huge))));
  });

  it('agrees with DynamoDB on what cannot be stored, which is why such events are quarantined', async () => {
    const { tableName } = await newTable();
    const store = createEventStore({ client, tableName });
    const base = { type: 'open' as const, clientId: 1, mailingId: 2, recipientId: 'r' };
    const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nested(depth - 1) });
    const asAccepted = (extra: Record<string, unknown>) => {
      const event = { ...base, ...extra };
      return acceptedItem(event, event, JSON.stringify(event), times);
    };
    // Right at the limits: storable, and the classifier accepts them.
    const deepest = { nest: nested(30) };
    expect(classify([{ ...base, ...deepest }])[0]?.status).toBe('accepted');
    await expect(store.putAll([asAccepted(deepest)])).resolves.toMatchObject({ itemsWritten: 1 });
    // One step beyond: DynamoDB refuses the write, and the classifier quarantines the event instead.
    const beyond: Array<Record<string, unknown>> = [
      { nest: nested(31) },
      { extra: { '': 1 } },
      parseJsonLosslessly('{"n":1e400}') as Record<string, unknown>,
      // Under the JSON size limit, over 400 KB as an item (3 bytes per entry in the map, 2 in the text).
      { ones: new Array(81_880).fill(1) },
    ];
    for (const extra of beyond) {
      expect(classify([{ ...base, ...extra }])[0]?.status).toBe('quarantined');
      await expect(store.putAll([asAccepted(extra)])).rejects.toBeInstanceOf(EventStoreError);
    }
  });

  it('throws EventStoreError when the table cannot be written', async () => {
    const store = createEventStore({ client, tableName: 'no-such-table' });
    const error = await store.putAll(classify(new CampaignEventFactory().batch(3))).catch((caught) => caught);
    expect(error).toBeInstanceOf(EventStoreError);
    expect((error as EventStoreError).message).toMatch(/ResourceNotFoundException/);
    expect((error as EventStoreError).unconfirmedKeys).toHaveLength(3);
  });
});

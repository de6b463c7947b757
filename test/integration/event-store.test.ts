import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_INLINE_EVENT_BYTES,
  MAX_LISTED_ISSUES,
  type ReceivedEvent,
} from '../../functions/ingest/event-items.js';
import { createEventReader } from '../../functions/ingest/event-reader.js';
import {
  createEventStore as createStore,
  EventStoreError,
  type StoreEntry,
} from '../../functions/ingest/event-store.js';
import { classifyBatch } from '../../functions/ingest/ingest-batch.js';
import { parseBatch } from '../../functions/ingest/request-body.js';
import { CAMPAIGN_EVENT_TYPES } from '../../functions/shared/campaign-event-types.js';
import { itemBytes } from '../../functions/shared/events/attribute-values.js';
import { readImage } from '../../functions/shared/events/stored-event.js';
import { CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { startStreamDriver } from '../../local/stream-driver.js';
import { createStackEventTable as createEventTable } from '../support/pipeline.js';
import { receivedEvents } from '../support/stored-events.js';
import { heldText } from '../support/stored-items.js';

/** The event store and the item limits against DynamoDB Local, the real DynamoDB engine. */
describe('event store on DynamoDB Local', () => {
  let dynamo: DynamoDbLocal;
  let client: DynamoDBClient;
  let tableCount = 0;
  const read = createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES });
  // Now, not a fixed date: DynamoDB Local applies TTL, and an item whose expiresAt has passed is deleted.
  const receivedAt = new Date();
  const objects = new Map<string, string>();
  const createEventStore = (options: { client: DynamoDBClient; tableName: string }) =>
    createStore({
      ...options,
      writeObject: async (key, body) => {
        objects.set(key, body);
      },
    });

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

  function classifyReceived(events: ReceivedEvent[], at = receivedAt): StoreEntry[] {
    return [
      ...classifyBatch(events, { read, retentionDays: 30, receivedAt: at, bucket: 'large-events' }).entries,
    ];
  }
  const classify = (events: unknown[], at = receivedAt) => classifyReceived(receivedEvents(events), at);
  function classifyText(body: string): StoreEntry[] {
    const parsed = parseBatch(body, 100);
    if (!parsed.ok) throw new Error(parsed.rejection.message);
    return classifyReceived(parsed.value);
  }
  const keyOf = (entry: StoreEntry | undefined) => ({ eventKey: { S: entry?.item.eventKey ?? '' } });

  it('stores a large mixed batch, duplicate keys included, in chunks of 25', async () => {
    const { tableName } = await newTable();
    const factory = new CampaignEventFactory({ seed: 21 });
    const events = [...factory.batch(110), ...factory.invalidEvents()];
    const items = classify([...events, events[0], events[1]]);
    const result = await createEventStore({ client, tableName }).putAll(items);
    expect(result.itemsWritten).toBe(115);
    expect(result.requests).toBe(5);
    expect(result.refused).toEqual([]);
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

  it('keeps numbers beyond a double and fields named __proto__ exactly, in the raw text and the event read from it', async () => {
    const { tableName } = await newTable();
    const text =
      '{"type":"open","clientId":9223372036854775807,"mailingId":2,"recipientId":98765432109876543210,"trackingId":12345678901234567890123,"__proto__":{"constructor":1}}';
    const [entry] = classifyText(`[${text}]`);
    await createEventStore({ client, tableName }).putAll(entry ? [entry] : []);
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: keyOf(entry) }));
    expect(Item?.status).toEqual({ S: 'accepted' });
    expect(Item?.clientId).toEqual({ N: '9223372036854775807' });
    expect(Item?.recipientId).toEqual({ S: '98765432109876543210' });
    expect(Item?.raw?.S).toBe(text);
    expect(Item?.event).toBeUndefined();
    const reading = readImage(Item as Parameters<typeof readImage>[0]);
    expect(reading.kind === 'accepted' && JSON.stringify(reading.event.event)).toBe(
      '{"type":"open","clientId":9223372036854775807,"mailingId":2,"recipientId":"98765432109876543210","trackingId":12345678901234567890123,"__proto__":{"constructor":1}}',
    );
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

  it('stores the largest inline event, and keeps larger events and quarantined ones in S3 with a small item', async () => {
    const { tableName } = await newTable();
    const base = '"type":"open","clientId":1,"mailingId":2,"recipientId":"r"';
    const pad = (bytes: number) => 'é'.repeat(Math.floor((bytes - base.length - 20) / 2));
    const largest = `{${base},"padding":"${pad(MAX_INLINE_EVENT_BYTES)}"}`;
    const larger = `{${base},"padding":"${pad(MAX_INLINE_EVENT_BYTES + 100)}xx"}`;
    const huge = JSON.stringify({ junk: 'x'.repeat(1_000_000), type: 'teleport' });
    const entries = classifyText(`[${largest},${larger},${huge}]`);
    expect(
      entries.map((entry) => [entry.item.status, entry.item.attributes.rawObject !== undefined]),
    ).toEqual([
      ['accepted', false],
      ['accepted', true],
      ['quarantined', true],
    ]);
    await expect(createEventStore({ client, tableName }).putAll(entries)).resolves.toMatchObject({
      itemsWritten: 3,
    });
    for (const [index, text] of [largest, larger, huge].entries()) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: keyOf(entries[index]) }),
      );
      const stored = heldText(Item ?? {}, objects);
      expect(stored === text, `event ${index} stored exactly`).toBe(true);
    }
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: keyOf(entries[2]) }));
    expect(Item?.issues?.L?.length).toBeLessThanOrEqual(MAX_LISTED_ISSUES + 1);
  });

  it('keeps in S3 exactly what DynamoDB refuses as a map, so the item is always storable', async () => {
    const { tableName } = await newTable();
    const store = createEventStore({ client, tableName });
    const base = '"type":"open","clientId":1,"mailingId":2,"recipientId":"r"';
    // The item as a naive writer would build it (the event as a map beside its text), written by hand.
    const naiveItem = (text: string, extra: AttributeValue): Record<string, AttributeValue> => ({
      eventKey: { S: `naive-${text.length}-${Math.random()}` },
      raw: { S: text },
      event: { M: { type: { S: 'open' }, extra } },
    });
    const nestAttribute = (depth: number): AttributeValue => {
      let value: AttributeValue = { N: '1' };
      for (let level = 0; level < depth; level++) value = { M: { a: value } };
      return value;
    };
    const nest = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    // Right at DynamoDB's limits: kept inline.
    const inline = classifyText(`[{${base},"nest":${nest(30)}}]`);
    expect(inline[0]?.item.object).toBeUndefined();
    await expect(store.putAll(inline)).resolves.toMatchObject({ itemsWritten: 1 });
    // One step beyond: DynamoDB refuses the map, and the classifier keeps the event in S3 instead.
    const ones = new Array(82_000).fill(1);
    const beyond: Array<[string, AttributeValue]> = [
      [nest(31), nestAttribute(31)],
      ['{"":1}', { M: { '': { N: '1' } } }],
      ['1e400', { N: '1e400' }],
      [`{"${'k'.repeat(50_001)}":1}`, { M: { ['k'.repeat(50_001)]: { N: '1' } } }],
      [`[${ones.join(',')}]`, { L: ones.map(() => ({ N: '1' })) }],
    ];
    for (const [member, attribute] of beyond) {
      const text = `{${base},"extra":${member}}`;
      await expect(
        client.send(new PutItemCommand({ TableName: tableName, Item: naiveItem(text, attribute) })),
        member.slice(0, 20),
      ).rejects.toThrow();
      const entries = classifyText(`[${text}]`);
      expect(entries[0]?.item).toMatchObject({ status: 'accepted', object: expect.any(Object) });
      await expect(store.putAll(entries)).resolves.toMatchObject({ itemsWritten: 1, refused: [] });
    }
  });

  it('quarantines on its own an item DynamoDB still refuses; its 24 neighbours are stored', async () => {
    const { tableName } = await newTable();
    const entries = classify(new CampaignEventFactory({ seed: 23 }).batch(25, ['open']));
    // An item the classifier would never build (an empty member name): DynamoDB refuses it for its content.
    const poisoned = entries[11] as StoreEntry;
    entries[11] = {
      ...poisoned,
      item: {
        ...poisoned.item,
        attributes: { ...poisoned.item.attributes, oops: { M: { '': { S: 'x' } } } },
      },
    };
    const result = await createEventStore({ client, tableName }).putAll(entries);
    expect(result.refused).toEqual([expect.objectContaining({ eventKey: poisoned.item.eventKey })]);
    const items = await scanAll(tableName);
    expect(items).toHaveLength(25);
    const replacement = items.find((item) => item.status?.S === 'quarantined');
    expect(replacement?.issues?.L?.[0]?.S).toMatch(/^event: DynamoDB refused its item: /);
    expect(heldText(replacement ?? {}, objects)).toBe(poisoned.item.attributes.raw?.S);
  });

  it('throws EventStoreError when the table cannot be written', async () => {
    const store = createEventStore({ client, tableName: 'no-such-table' });
    const error = await store.putAll(classify(new CampaignEventFactory().batch(3))).catch((caught) => caught);
    expect(error).toBeInstanceOf(EventStoreError);
    expect((error as EventStoreError).message).toMatch(/ResourceNotFoundException/);
    expect((error as EventStoreError).unconfirmedItems).toBe(3);
  });
});

import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb-local.js';
import {
  type StreamDriver,
  type StreamDriverOptions,
  startStreamDriver,
} from '../../../local/stream-driver.js';
import { createStackEventTable as createEventTable } from '../../support/pipeline.js';

/** How long a condition may take to hold on a busy machine (polled, so a fast run does not wait). */
const CONDITION_BUDGET = { timeout: 15_000, interval: 20 };

let dynamo: DynamoDbLocal;
let db: DynamoDBClient;
let tableCount = 0;
const drivers: StreamDriver[] = [];

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  db = new DynamoDBClient({ endpoint: dynamo.endpoint });
});
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.stop()));
});
afterAll(async () => {
  db?.destroy();
  await dynamo?.stop();
});

async function newTable() {
  tableCount++;
  return createEventTable(db, `stream-test-${tableCount}`);
}

async function putEvents(tableName: string, keys: string[], extra: Record<string, { S: string }> = {}) {
  for (const key of keys) {
    await db.send(new PutItemCommand({ TableName: tableName, Item: { eventKey: { S: key }, ...extra } }));
  }
}

const keysOf = (records: DynamoDBRecord[]) => records.map((record) => record.dynamodb?.Keys?.eventKey?.S);
const range = (count: number, prefix = 'k') =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

function drive(
  streamArn: string,
  options: Partial<StreamDriverOptions> & Pick<StreamDriverOptions, 'handler'>,
) {
  const driver = startStreamDriver({
    dynamoEndpoint: dynamo.endpoint,
    streamArn,
    pollIntervalMs: 20,
    ...options,
  });
  drivers.push(driver);
  return driver;
}

/** A handler that records every batch it is given and answers with `respond`. */
function recordingHandler(
  respond: (event: DynamoDBStreamEvent, call: number) => DynamoDBBatchResponse | undefined = () => undefined,
) {
  const batches: DynamoDBRecord[][] = [];
  const contexts: Context[] = [];
  const handler = async (event: DynamoDBStreamEvent, context: Context) => {
    batches.push(event.Records);
    contexts.push(context);
    return respond(event, batches.length);
  };
  return { handler, batches, contexts };
}

describe('records as Lambda delivers them', () => {
  it('hands over Lambda-shaped DynamoDB stream records and a Lambda context', async () => {
    const { tableName, streamArn } = await newTable();
    await db.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          eventKey: { S: 'open#1' },
          expiresAt: { N: '1900000000' },
          payload: { M: { tags: { L: [{ S: 'a' }, { N: '2' }] }, raw: { B: new Uint8Array([104, 105]) } } },
          flags: { SS: ['x', 'y'] },
          ok: { BOOL: true },
          none: { NULL: true },
        },
      }),
    );
    const { handler, batches, contexts } = recordingHandler();
    const driver = drive(streamArn, { handler });
    await driver.waitUntilIdle();

    expect(batches).toHaveLength(1);
    const [record] = batches[0] ?? [];
    expect(record).toEqual({
      eventID: expect.any(String),
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-central-1',
      eventSourceARN: streamArn,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { eventKey: { S: 'open#1' } },
        NewImage: {
          eventKey: { S: 'open#1' },
          expiresAt: { N: '1900000000' },
          payload: { M: { tags: { L: [{ S: 'a' }, { N: '2' }] }, raw: { B: 'aGk=' } } },
          flags: { SS: ['x', 'y'] },
          ok: { BOOL: true },
          none: { NULL: true },
        },
        SequenceNumber: expect.stringMatching(/^\d+$/),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_IMAGE',
      },
    });
    const seconds = record?.dynamodb?.ApproximateCreationDateTime ?? 0;
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(3600);
    expect(contexts[0]?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(contexts[0]?.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(driver.stats).toMatchObject({ received: 1, processed: 1, parked: 0, invocations: 1 });
  });

  it('delivers INSERT, MODIFY and REMOVE in stream order, written before and after the driver started', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, ['a']);
    const { handler, batches } = recordingHandler();
    const driver = drive(streamArn, { handler });
    await driver.waitUntilIdle();
    await db.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { eventKey: { S: 'a' } },
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'redelivered' } },
      }),
    );
    await db.send(new DeleteItemCommand({ TableName: tableName, Key: { eventKey: { S: 'a' } } }));
    await driver.waitUntilIdle();

    const records = batches.flat();
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(records[2]?.dynamodb?.NewImage).toBeUndefined();
    const sequences = records.map((r) => BigInt(r.dynamodb?.SequenceNumber ?? '0'));
    expect([...sequences].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequences);
  });

  it('splits what is written into batches of at most batchSize, each record once, in order', async () => {
    const { tableName, streamArn } = await newTable();
    const keys = range(230);
    await putEvents(tableName, keys);
    const { handler, batches } = recordingHandler();
    const driver = drive(streamArn, { handler, batchSize: 100 });
    await driver.waitUntilIdle();

    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(100);
    expect(keysOf(batches.flat())).toEqual(keys);
    expect(driver.stats.processed).toBe(230);
  });

  it('starts at LATEST when asked, skipping what was written before', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, ['old']);
    const { handler, batches } = recordingHandler();
    const driver = drive(streamArn, { handler, startingPosition: 'LATEST' });
    await driver.waitUntilIdle();
    await putEvents(tableName, ['new']);
    await driver.waitUntilIdle();
    expect(keysOf(batches.flat())).toEqual(['new']);
  });

  it('skips records the filter rejects, like ESM filter criteria, and counts them', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, ['accepted-1'], { status: { S: 'accepted' } });
    await putEvents(tableName, ['quarantined-1'], { status: { S: 'quarantined' } });
    await putEvents(tableName, ['accepted-2'], { status: { S: 'accepted' } });
    await db.send(new DeleteItemCommand({ TableName: tableName, Key: { eventKey: { S: 'accepted-1' } } }));
    const { handler, batches } = recordingHandler();
    const driver = drive(streamArn, {
      handler,
      filter: (record) =>
        record.eventName === 'INSERT' && record.dynamodb?.NewImage?.status?.S === 'accepted',
    });
    await driver.waitUntilIdle();

    expect(keysOf(batches.flat())).toEqual(['accepted-1', 'accepted-2']);
    expect(driver.stats).toMatchObject({ received: 4, filtered: 2, processed: 2 });
  });
});

describe('partial batch responses (ReportBatchItemFailures)', () => {
  it('retries from the lowest reported sequence number; the records before it are done', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, range(6));
    const { handler, batches } = recordingHandler((event, call) => {
      if (call > 1) return { batchItemFailures: [] };
      const seq = (i: number) => event.Records[i]?.dynamodb?.SequenceNumber as string;
      return { batchItemFailures: [{ itemIdentifier: seq(4) }, { itemIdentifier: seq(2) }] };
    });
    const driver = drive(streamArn, { handler });
    await driver.waitUntilIdle();

    expect(batches.map(keysOf)).toEqual([range(6), range(6).slice(2)]);
    expect(driver.invocations.map((i) => i.outcome)).toEqual(['partial-failure', 'success']);
    expect(driver.invocations[0]?.checkpoint).toBe(batches[0]?.[2]?.dynamodb?.SequenceNumber);
    expect(driver.stats).toMatchObject({ processed: 6, parked: 0, retries: 1 });
  });

  it('parks the failing part after maxRetries and moves on', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, range(4));
    const { handler, batches } = recordingHandler((event) => ({
      batchItemFailures: event.Records.filter((r) => r.dynamodb?.Keys?.eventKey?.S === 'k0002').map((r) => ({
        itemIdentifier: r.dynamodb?.SequenceNumber as string,
      })),
    }));
    const driver = drive(streamArn, { handler, maxRetries: 2 });
    await driver.waitUntilIdle();

    expect(batches.map(keysOf)).toEqual([range(4), ['k0002', 'k0003'], ['k0002', 'k0003']]);
    expect(keysOf(driver.parked)).toEqual(['k0002', 'k0003']);
    expect(driver.stats).toMatchObject({ processed: 2, parked: 2 });
    expect(driver.onFailureMessages).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 3,
        }),
        DDBStreamBatchInfo: expect.objectContaining({
          batchSize: 2,
          streamArn,
          startSequenceNumber: driver.parked[0]?.dynamodb?.SequenceNumber,
          endSequenceNumber: driver.parked[1]?.dynamodb?.SequenceNumber,
        }),
      }),
    ]);
  });

  it('treats an itemIdentifier that is not in the batch as a failure of the whole batch', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, range(2));
    const { handler, batches } = recordingHandler((_event, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] } : undefined,
    );
    const driver = drive(streamArn, { handler, bisectOnError: false });
    await driver.waitUntilIdle();

    expect(batches.map(keysOf)).toEqual([range(2), range(2)]);
    expect(String(driver.invocations[0]?.error)).toContain('not a sequence number of this batch');
    expect(driver.stats.processed).toBe(2);
  });

  it('ignores batchItemFailures when reportBatchItemFailures is off, as Lambda does', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, range(2));
    const { handler, batches } = recordingHandler((event) => ({
      batchItemFailures: [{ itemIdentifier: event.Records[0]?.dynamodb?.SequenceNumber as string }],
    }));
    const driver = drive(streamArn, { handler, reportBatchItemFailures: false });
    await driver.waitUntilIdle();
    expect(batches).toHaveLength(1);
    expect(driver.stats.processed).toBe(2);
  });
});

describe('errors: bisect, retries, parking', () => {
  it('bisects a failing batch to isolate a poison record, parks only it, and completes every other record once', async () => {
    const { tableName, streamArn } = await newTable();
    const keys = range(8);
    await putEvents(tableName, keys);
    const completed: string[] = [];
    const driver = drive(streamArn, {
      maxRetries: 2,
      handler: async (event) => {
        const batchKeys = keysOf(event.Records) as string[];
        if (batchKeys.includes('k0005')) throw new Error('poison');
        completed.push(...batchKeys);
      },
    });
    await driver.waitUntilIdle();

    expect(keysOf(driver.parked)).toEqual(['k0005']);
    expect(completed.sort()).toEqual(keys.filter((k) => k !== 'k0005'));
    const poisonAlone = driver.invocations.filter(
      (i) => i.sequenceNumbers.length === 1 && i.outcome === 'error',
    );
    expect(poisonAlone.map((i) => i.retry)).toEqual([0, 1, 2]);
    expect(driver.stats.bisections).toBeGreaterThan(0);
    expect(driver.onFailureMessages[0]?.responseContext.functionError).toBe('Unhandled');
  });

  it('without bisect, retries the whole batch and then parks all of it', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, range(3));
    const { handler, batches } = recordingHandler(() => {
      throw new Error('downstream unavailable');
    });
    const driver = drive(streamArn, { handler, bisectOnError: false, maxRetries: 1 });
    await driver.waitUntilIdle();

    expect(batches.map(keysOf)).toEqual([range(3), range(3)]);
    expect(keysOf(driver.parked)).toEqual(range(3));
    expect(driver.onFailureMessages).toHaveLength(1);
  });

  it('recovers when a retry succeeds (a transient failure loses nothing)', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, range(1));
    let calls = 0;
    const driver = drive(streamArn, {
      handler: async () => {
        calls++;
        if (calls === 1) throw new Error('transient');
      },
    });
    await driver.waitUntilIdle();
    expect(calls).toBe(2);
    expect(driver.parked).toEqual([]);
    expect(driver.stats).toMatchObject({ processed: 1, retries: 1 });
  });

  it('fails an invocation that outlives timeoutMs, as "Task timed out", and retries it', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, range(1));
    let calls = 0;
    const driver = drive(streamArn, {
      timeoutMs: 50,
      handler: () => {
        calls++;
        return calls === 1 ? new Promise<void>(() => {}) : Promise.resolve();
      },
    });
    await driver.waitUntilIdle();
    expect(String(driver.invocations[0]?.error)).toContain('Task timed out after 0.05 seconds');
    expect(driver.stats.processed).toBe(1);
  });
});

describe('waitUntilIdle and stop', () => {
  it('times out naming what is pending, then resolves once the handler finishes', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, range(1));
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const driver = drive(streamArn, { handler: () => released });
    // The handler is held until release(): once it runs, no wait can end idle, however short.
    await vi.waitFor(() => expect(driver.stats.invocations).toBe(1), CONDITION_BUDGET);

    await expect(driver.waitUntilIdle(100)).rejects.toThrow(
      /not idle after 100 ms: handler running on 1 record\(s\) \(sequence \d+\.\.\d+, retry 0\)/,
    );
    release();
    await driver.waitUntilIdle();
    expect(driver.stats.processed).toBe(1);
  });

  it('rejects pending and later waitUntilIdle calls once stopped', async () => {
    const { tableName, streamArn } = await newTable();
    await putEvents(tableName, range(1));
    let release: () => void = () => {};
    const driver = startStreamDriver({
      dynamoEndpoint: dynamo.endpoint,
      streamArn,
      handler: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    });
    const pending = driver.waitUntilIdle(60_000);
    await vi.waitFor(() => expect(driver.stats.invocations).toBe(1), CONDITION_BUDGET);
    const stopping = driver.stop();
    release();
    await stopping;
    await expect(pending).rejects.toThrow('stopped before it was idle');
    await expect(driver.waitUntilIdle()).rejects.toThrow('stopped');
  });

  it('reports Streams API errors in the timeout message', async () => {
    const driver = drive(
      'arn:aws:dynamodb:ddblocal:000000000000:table/missing/stream/2020-01-01T00:00:00.000',
      {
        handler: async () => {},
      },
    );
    // A failing stream never polls idle: once an error is recorded, the wait times out naming it.
    await vi.waitFor(() => expect(driver.streamErrors.length).toBeGreaterThan(0), CONDITION_BUDGET);
    await expect(driver.waitUntilIdle(100)).rejects.toThrow(
      /last stream error: .*(ResourceNotFound|not found|exist)/i,
    );
  });
});

describe('shards', () => {
  /**
   * A Streams API with a parent shard that closes after two records and a child shard that opens then:
   * DynamoDB Local does not split shards on demand, so the split is simulated behind the real client API.
   */
  function splittingStream() {
    const record = (shard: string, n: number) => ({
      eventID: `${shard}-${n}`,
      eventName: 'INSERT' as const,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      dynamodb: {
        Keys: { eventKey: { S: `${shard}-${n}` } },
        NewImage: { eventKey: { S: `${shard}-${n}` } },
        SequenceNumber: String(n).padStart(21, '0'),
        SizeBytes: 10,
        StreamViewType: 'NEW_IMAGE' as const,
      },
    });
    const shardRecords: Record<string, ReturnType<typeof record>[]> = {
      parent: [record('parent', 1), record('parent', 2)],
      child: [record('child', 3), record('child', 4)],
    };
    let describeCalls = 0;
    const client = {
      async send(command: unknown) {
        if (command instanceof DescribeStreamCommand) {
          describeCalls++;
          const shards = [{ ShardId: 'parent' }];
          // The child appears only after the parent has been polled a few times, as after a real split.
          if (describeCalls > 1)
            shards.push({ ShardId: 'child', ParentShardId: 'parent' } as { ShardId: string });
          return { StreamDescription: { Shards: shards } };
        }
        if (command instanceof GetShardIteratorCommand) {
          return { ShardIterator: `${command.input.ShardId}|0` };
        }
        if (command instanceof GetRecordsCommand) {
          const [shardId = '', position = '0'] = (command.input.ShardIterator ?? '').split('|');
          const records = shardRecords[shardId] ?? [];
          const from = Number(position);
          const batch = records.slice(from, from + (command.input.Limit ?? 100));
          const next = from + batch.length;
          const closed = shardId === 'parent' && describeCalls > 1 && next >= records.length;
          return { Records: batch, NextShardIterator: closed ? undefined : `${shardId}|${next}` };
        }
        throw new Error(`unexpected command ${String(command)}`);
      },
      destroy() {},
    } as unknown as DynamoDBStreamsClient;
    return client;
  }

  it('reads a closed parent shard to its end before its child, and follows the child', async () => {
    const { handler, batches } = recordingHandler();
    const driver = drive('arn:aws:dynamodb:ddblocal:000000000000:table/split/stream/x', {
      handler,
      streamsClient: splittingStream(),
    });
    await driver.waitUntilIdle();
    expect(keysOf(batches.flat())).toEqual(['parent-1', 'parent-2', 'child-3', 'child-4']);
  });
});

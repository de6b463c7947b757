import { inflateRawSync } from 'node:zlib';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { batchArbitrary, type GeneratedBatch, VERIFY_MAILING_ID } from '../support/adversarial-batches.js';
import {
  type LocalServices,
  type Pipeline,
  startTestPipeline,
  startTestServices,
} from '../support/pipeline.js';
import { comparableJson } from '../support/stored-items.js';

/**
 * The ingest's invariant through what ships: generated adversarial batches (test/support/adversarial-batches.ts,
 * written from docs/PAYLOAD.md and from what a JSON parser accepts) POSTed to the stack-derived pipeline
 * (API Gateway adapter with the stack's binary media types -> the ingest handler as deployed -> DynamoDB
 * Local and s3rver -> the table's stream -> the fan-out -> SNS). Every body is JSON within the size limit,
 * so every answer must be 200, every element stored exactly once holding its bytes as sent, and every
 * accepted event published exactly once (verification events never).
 */
/** Runs of the through-the-pipeline property (quoted in docs/PAYLOAD.md). */
const PIPELINE_RUNS = 25;
const MAX_BODY_BYTES = 1_000_000;
const IDLE_MS = 60_000;

interface StoredItem extends Record<string, unknown> {
  readonly eventKey: string;
  readonly status: string;
}

describe('the ingest invariant through the stack-derived pipeline', () => {
  let services: LocalServices;
  let pipeline: Pipeline;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;

  beforeAll(async () => {
    services = await startTestServices();
    pipeline = await startTestPipeline(services, {
      config: {
        campaign: { verifyMailingId: Number(VERIFY_MAILING_ID) },
        api: { maxBodyBytes: MAX_BODY_BYTES },
      },
    });
    s3 = new S3Client({ endpoint: services.endpoints.s3, forcePathStyle: true, region: services.region });
    dynamodb = new DynamoDBClient({ endpoint: services.dynamodb.harnessGate.url, region: services.region });
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    dynamodb?.destroy();
    await pipeline?.stop();
    await services?.stop();
  });

  /** The bytes an item holds: its `raw`, its `rawDeflated` inflated, or its byte range of the batch's object in the large-event bucket. */
  async function storedBytes(item: StoredItem): Promise<Buffer | undefined> {
    if (typeof item.raw === 'string') return Buffer.from(item.raw, 'utf8');
    if (typeof item.rawDeflated === 'string') return inflateRawSync(Buffer.from(item.rawDeflated, 'base64'));
    const pointer = item.rawObject as
      | { bucket: string; key: string; offset: number; bytes: number }
      | undefined;
    if (pointer === undefined) return undefined;
    const object = await s3.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }));
    const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    return body.subarray(Number(pointer.offset), Number(pointer.offset) + Number(pointer.bytes));
  }

  /** Empties the table, so each run's items are its own (keys are content-derived: runs can share some). */
  async function clearTable(): Promise<void> {
    await pipeline.waitUntilIdle(IDLE_MS);
    const items = await pipeline.items();
    for (let offset = 0; offset < items.length; offset += 25) {
      const keys = items
        .slice(offset, offset + 25)
        .map((item) => ({ eventKey: { S: String(item.eventKey) } }));
      await dynamodb.send(
        new BatchWriteItemCommand({
          RequestItems: { [pipeline.tableName]: keys.map((Key) => ({ DeleteRequest: { Key } })) },
        }),
      );
    }
    await pipeline.waitUntilIdle(IDLE_MS);
  }

  /** Messages delivered so far by the event topics, per event key. */
  function publishedCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const messages of pipeline.published.values())
      for (const { eventKey } of messages) counts.set(eventKey, (counts.get(eventKey) ?? 0) + 1);
    return counts;
  }

  test.prop([batchArbitrary({ maxElements: 25, maxBodyBytes: MAX_BODY_BYTES })], {
    numRuns: PIPELINE_RUNS,
    endOnFailure: true,
  })(
    'every element stored exactly once, byte for byte; each accepted event published once',
    async (batch) => {
      await clearTable();
      const before = publishedCounts();
      const response = await pipeline.post(batch.body);
      expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(200);
      const counts = response.body as {
        received: number;
        accepted: number;
        quarantined: number;
        duplicates: number;
      };
      expect(counts.received).toBe(batch.elements.length);
      expect(counts.accepted + counts.quarantined).toBe(counts.received);

      const items = (await pipeline.items()) as StoredItem[];
      expect(items).toHaveLength(batch.elements.length - counts.duplicates);
      const held = await Promise.all(items.map(storedBytes));
      expectEachElementHeldOnce(batch, items, held, counts.duplicates);

      await pipeline.waitUntilIdle(IDLE_MS);
      const after = publishedCounts();
      for (const item of items) {
        const published = (after.get(item.eventKey) ?? 0) - (before.get(item.eventKey) ?? 0);
        expect(published, `${item.status} ${item.eventKey} published`).toBe(
          item.status === 'accepted' ? 1 : 0,
        );
      }
    },
  );

  test.prop([fc.constantFrom('gzip', 'br')], { numRuns: 2 })(
    'a compressed body reaches the handler as the bytes sent (the stack passes every body as binary)',
    async (encoding) => {
      await clearTable();
      const zlib = await import('node:zlib');
      const element = '{"type":"open","clientId":1,"mailingId":2,"recipientId":"r-zip","note":"é😀"}';
      const text = `[${element}]`;
      const body = encoding === 'gzip' ? zlib.gzipSync(text) : zlib.brotliCompressSync(text);
      const response = await fetch(pipeline.url, {
        method: 'POST',
        headers: {
          [pipeline.authHeaderName]: pipeline.endpointKey,
          'Content-Type': 'application/json',
          'Content-Encoding': encoding,
        },
        body,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ received: 1, accepted: 1 });
      expect((await pipeline.items()).map((item) => item.raw)).toEqual([element]);
    },
  );

  test('bytes that are not UTF-8 reach the handler unaltered, and are refused, not replaced', async () => {
    await clearTable();
    expect(pipeline.model.binaryMediaTypes).toEqual(['*/*']);
    const prefix = Buffer.from('[{"type":"open","clientId":1,"mailingId":2,"recipientId":"r-bytes","note":"');
    const body = Buffer.concat([prefix, Buffer.from([0xff, 0xc3]), Buffer.from('"}]')]);
    const response = await fetch(pipeline.url, {
      method: 'POST',
      headers: { [pipeline.authHeaderName]: pipeline.endpointKey, 'Content-Type': 'text/plain' },
      body,
    });
    expect(response.status).toBe(400);
    expect(await pipeline.items()).toEqual([]);
  });
});

/**
 * Each element's bytes are held by exactly one item, with the status the contract gives it; an element
 * whose content repeats an earlier one of the batch (a duplicate, counted by the answer) may share that
 * item instead.
 */
function expectEachElementHeldOnce(
  batch: GeneratedBatch,
  items: readonly StoredItem[],
  held: ReadonlyArray<Buffer | undefined>,
  duplicates: number,
): void {
  let withoutOwnItem = 0;
  for (const element of batch.elements) {
    const sent = Buffer.from(element.text, 'utf8');
    const holders = items.filter((_, index) => held[index]?.equals(sent) === true);
    if (holders.length === 0) {
      withoutOwnItem++;
      continue;
    }
    expect(holders, `stored once: ${element.text.slice(0, 120)}`).toHaveLength(1);
    const [item] = holders as [StoredItem];
    if (element.expected === 'accepted') expect(item.status).not.toBe('quarantined');
    if (element.expected === 'quarantined') expect(item.status).toBe('quarantined');
    if (item.event !== undefined) {
      const normalized = new Set(['type', 'clientId', 'mailingId', 'recipientId']);
      expect(comparableJson(item.event, normalized)).toEqual(
        comparableJson(JSON.parse(element.text, keepSource), normalized),
      );
    }
  }
  expect(withoutOwnItem, 'elements not held as sent, beyond the duplicates').toBeLessThanOrEqual(duplicates);
}

/** A reviver that keeps each number's source text, so numbers can be compared exactly. */
function keepSource(_key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === 'number' && context?.source !== undefined ? { $number: context.source } : value;
}

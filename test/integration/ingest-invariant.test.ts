import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { batchArbitrary, type GeneratedBatch, VERIFY_MAILING_ID } from '../support/adversarial-batches.js';
import { type LocalServices, type Pipeline, startTestPipeline, startTestServices } from '../support/pipeline.js';
import { comparableJson } from '../support/stored-items.js';

/**
 * The ingest's invariant through what ships: generated adversarial batches POSTed to the stack-derived
 * pipeline (API Gateway adapter with the stack's binary media types -> the ingest handler as deployed ->
 * DynamoDB Local and s3rver -> the table's stream -> the fan-out -> SNS). Every body is JSON within the
 * size limit, so every answer must be 200, every element stored exactly once holding its text as sent,
 * and every accepted event published once (verification events never).
 */
export const PIPELINE_RUNS = 25;
const MAX_BODY_BYTES = 1_000_000;

describe('the ingest invariant through the stack-derived pipeline', () => {
  let services: LocalServices;
  let pipeline: Pipeline;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;

  beforeAll(async () => {
    services = await startTestServices();
    pipeline = await startTestPipeline(services, {
      config: { campaign: { verifyMailingId: Number(VERIFY_MAILING_ID) }, api: { maxBodyBytes: MAX_BODY_BYTES } },
    });
    s3 = new S3Client({ endpoint: services.endpoints.s3, forcePathStyle: true, region: services.region });
    dynamodb = new DynamoDBClient({ endpoint: services.endpoints.dynamodb, region: services.region });
  });
  afterAll(async () => {
    s3?.destroy();
    dynamodb?.destroy();
    await pipeline?.stop();
    await services?.stop();
  });

  async function storedText(item: Record<string, unknown>): Promise<string | undefined> {
    if (typeof item.raw === 'string') return item.raw;
    const pointer = item.rawObject as { bucket: string; key: string } | undefined;
    if (pointer === undefined) return undefined;
    const object = await s3.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }));
    return object.Body?.transformToString('utf-8');
  }

  /** Empties the table, so each run's items are its own (keys are content-derived: runs can share some). */
  async function clearTable(): Promise<void> {
    await pipeline.waitUntilIdle(60_000);
    const items = await pipeline.items();
    for (let offset = 0; offset < items.length; offset += 25) {
      const chunk = items.slice(offset, offset + 25);
      await dynamodb.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [pipeline.tableName]: chunk.map((item) => ({
              DeleteRequest: { Key: { eventKey: { S: item.eventKey as string } } },
            })),
          },
        }),
      );
    }
    await pipeline.waitUntilIdle(60_000);
  }

  const publishedKeys = () => [...pipeline.published.values()].flat().map((message) => message.eventKey);

  test.prop([batchArbitrary({ maxElements: 25, maxBodyBytes: MAX_BODY_BYTES })], {
    numRuns: PIPELINE_RUNS,
    endOnFailure: true,
  })('every element stored exactly once as sent, accepted ones published once', async (batch: GeneratedBatch) => {
    await clearTable();
    const publishedBefore = new Set(publishedKeys());
    const response = await pipeline.post(batch.body);
    expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(200);
    const counts = response.body as { received: number; accepted: number; quarantined: number; duplicates: number };
    expect(counts.received).toBe(batch.elements.length);
    expect(counts.accepted + counts.quarantined).toBe(counts.received);

    const items = await pipeline.items();
    const texts = await Promise.all(items.map(storedText));
    const distinctTexts = new Set(batch.elements.map((element) => element.text));
    expect(items).toHaveLength(distinctTexts.size);
    for (const element of batch.elements) {
      const holders = texts.flatMap((text, index) => (text === element.text ? [items[index]] : []));
      expect(holders, `stored once: ${element.text.slice(0, 120)}`).toHaveLength(1);
      const [item] = holders as [Record<string, unknown>];
      if (element.expected === 'accepted') expect(item.status).not.toBe('quarantined');
      if (element.expected === 'quarantined') expect(item.status).toBe('quarantined');
      if (item.event !== undefined) {
        const normalized = new Set(['type', 'clientId', 'mailingId', 'recipientId']);
        expect(comparableJson(item.event, normalized)).toEqual(
          comparableJson(JSON.parse(element.text, keepSource), normalized),
        );
      }
    }

    await pipeline.waitUntilIdle(60_000);
    const accepted = items.filter((item) => item.status === 'accepted').map((item) => item.eventKey as string);
    const published = publishedKeys().filter((key) => !publishedBefore.has(key));
    expect(new Set(published)).toEqual(new Set(accepted.filter((key) => !publishedBefore.has(key))));
    const verification = items.filter((item) => item.status === 'verification').map((item) => item.eventKey);
    for (const key of verification) expect(publishedKeys()).not.toContain(key);
  });

  test.prop([fc.constantFrom('gzip', 'br')], { numRuns: 2 })(
    'decodes a compressed body sent through the API as the stack configures it',
    async (encoding) => {
      const zlib = await import('node:zlib');
      const text = '[{"type":"open","clientId":1,"mailingId":2,"recipientId":"r-zip","note":"é"}]';
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
      const items = await pipeline.items();
      expect(items.some((item) => item.raw === text.slice(1, -1))).toBe(true);
    },
  );
});

/** A reviver that keeps each number's source text, so numbers can be compared exactly. */
function keepSource(_key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === 'number' && context?.source !== undefined ? { $number: context.source } : value;
}

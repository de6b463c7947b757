import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INLINE_EVENT_BYTES } from '../../functions/ingest/event-items.js';
import { bundledHandlerLoader } from '../support/bundles.js';
import {
  type LocalServices,
  type Pipeline,
  startTestPipeline,
  startTestServices,
} from '../support/pipeline.js';

/**
 * The large-event path of the shipped ingest bundle: its S3 client is loaded on the first large event
 * (functions/ingest/large-event-objects.ts), so this checks that the bundle still has it and uses it.
 */
describe('the shipped ingest bundle, given an event too large for an item', () => {
  let services: LocalServices;
  let pipeline: Pipeline;
  let s3: S3Client;

  beforeAll(async () => {
    services = await startTestServices();
    pipeline = await startTestPipeline(services, { loadHandler: bundledHandlerLoader() });
    s3 = new S3Client({ endpoint: services.endpoints.s3, forcePathStyle: true, region: services.region });
  });
  afterAll(async () => {
    s3?.destroy();
    await pipeline?.stop();
    await services?.stop();
  });

  it('keeps its text whole in the large-event bucket, the item pointing to it', async () => {
    const note = 'é'.repeat(MAX_INLINE_EVENT_BYTES / 2);
    const large = `{"type":"open","clientId":100001,"mailingId":2,"recipientId":"r-large","note":"${note}"}`;
    const small = '{"type":"open","clientId":100001,"mailingId":2,"recipientId":"r-small"}';
    const response = await pipeline.post(`[${large},${small}]`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ received: 2, accepted: 2 });

    const items = await pipeline.items();
    const pointer = items.find((item) => item.rawObject !== undefined)?.rawObject as {
      bucket: string;
      key: string;
      offset: number;
      bytes: number;
    };
    expect(items.filter((item) => item.raw === small)).toHaveLength(1);
    const object = await s3.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }));
    const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    const held = body.subarray(pointer.offset, pointer.offset + pointer.bytes);
    expect(held.toString('utf8')).toBe(large);
  });
});

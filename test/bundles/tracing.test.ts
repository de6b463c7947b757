import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubsegmentDocument } from '../../functions/shared/tracing/subsegment.js';
import { bundledHandlerLoader } from '../support/bundles.js';
import { pipelinePerTest } from '../support/pipeline.js';

/** A sampled invocation's trace header, in the format AWS documents. */
const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
const FACADE = '53995c3f42cd8ad8';

/** Two bounces as Campaign posts them (field names from the contract: docs/PAYLOAD.md). */
const BOUNCES = [
  {
    clientId: 100001,
    type: 'bounce',
    mailingId: 900101,
    recipientId: 'r-1',
    bounceCategory: 'hardbounce',
    bounceReason: 'other',
    mediaType: 'EMAIL',
  },
  {
    clientId: 100001,
    type: 'bounce',
    mailingId: 900101,
    recipientId: 'r-2',
    bounceCategory: 'softbounce',
    bounceReason: 'other',
    mediaType: 'EMAIL',
  },
];

describe('X-Ray traces of the shipped bundles', () => {
  const harness = pipelinePerTest();
  let daemon: Socket;
  const received: SubsegmentDocument[] = [];

  beforeAll(async () => {
    daemon = createSocket('udp4');
    daemon.on('message', (message: Buffer) => {
      const [header, body] = message.toString('utf8').split('\n');
      expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
      received.push(JSON.parse(body ?? '') as SubsegmentDocument);
    });
    daemon.bind(0, '127.0.0.1');
    await once(daemon, 'listening');
  });
  afterAll(() => daemon.close());

  it('trace a sampled batch from the ingest’s DynamoDB write to the fan-out’s publish, with the annotations', async () => {
    const p = await harness.start({
      loadHandler: bundledHandlerLoader(),
      environment: {
        _HANDLER: 'index.handler',
        _X_AMZN_TRACE_ID: `Root=${ROOT};Parent=${FACADE};Sampled=1`,
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      },
    });
    expect((await p.post(BOUNCES)).status).toBe(200);
    await p.waitUntilIdle();
    const published = () =>
      received.flatMap((d) => d.subsegments ?? []).filter((call) => call.name === 'SNS');
    await expect.poll(() => published().length).toBeGreaterThan(0);

    const invocations = received.filter((d) => d.name === '## index.handler');
    const ingest = invocations.find((d) => d.annotations?.Service === 'ingest');
    const fanOuts = invocations.filter((d) => d.annotations?.Service === 'fan-out');
    const fanOut = fanOuts[0];
    expect(ingest).toMatchObject({
      trace_id: ROOT,
      parent_id: FACADE,
      annotations: { ColdStart: true, batchSize: 2, clientId: '100001', eventTypes: 'bounce' },
    });
    expect(fanOut).toMatchObject({ trace_id: ROOT, annotations: { source: 'stream', eventTypes: 'bounce' } });
    // The stream may hand the two records over in one batch or in two.
    expect(fanOuts.reduce((sum, d) => sum + Number(d.annotations?.batchSize), 0)).toBe(2);
    // A cold start: the endpoint key is read first, then the batch is written.
    expect(ingest?.subsegments?.map((call) => call.name)).toEqual(['SecretsManager', 'DynamoDB']);
    expect(ingest?.subsegments?.[1]).toMatchObject({
      name: 'DynamoDB',
      namespace: 'aws',
      aws: { operation: 'BatchWriteItem', table_names: [expect.stringMatching(/-events$/)] },
      http: { response: { status: 200 } },
    });
    expect(fanOuts.flatMap((d) => d.subsegments ?? [])).toEqual(published());
    expect(published()[0]).toMatchObject({
      aws: { operation: 'PublishBatch', topic_arn: expect.stringMatching(/bounce/i) },
      http: { response: { status: 200 } },
    });
    for (const document of received) expect(JSON.stringify(document)).not.toMatch(/r-1|r-2|@/);
  });
});

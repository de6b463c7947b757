import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKeyFor } from '../../functions/ingest/event-key.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { type CampaignEvent, CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import type { PublishedMessage } from '../../local/sns-stand-in.js';
import {
  type LocalServices,
  type Pipeline,
  pipelinePerTest,
  startTestPipeline,
  startTestServices,
} from '../support/pipeline.js';

/**
 * The fault hooks of local/pipeline/faults.ts and the deferred fan-out, each doing what the tests that
 * use them rely on, through the one assembler: faults act on the services, the stack's settings decide
 * what the handlers and the event source mapping make of them.
 */

const factory = (seed: number) => new CampaignEventFactory({ seed, clientId: 100001 });
const typeOf = (event: CampaignEvent): CampaignEventType =>
  (event.type === 'archived' ? 'archive' : event.type) as CampaignEventType;
const keyOf = (event: CampaignEvent) => eventKeyFor(typeOf(event), event);
const bodyOf = (message: PublishedMessage) => JSON.parse(message.message) as { eventKey: string };

function publishCounts(services: LocalServices): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of services.sns.published) {
    const key = bodyOf(message).eventKey;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe('pipeline fault hooks', () => {
  const harness = pipelinePerTest();

  const start = async (options: Parameters<typeof startTestPipeline>[1] = {}) => {
    return harness.start(options);
  };

  it('a deferred fan-out leaves stored events unpublished until it is started', async () => {
    const p = await start({ fanOut: 'deferred' });
    const batch = factory(201).batch(12);
    expect((await p.post(batch)).status).toBe(200);
    expect(await p.items()).toHaveLength(12);
    expect(() => p.driver).toThrow(/not been started/);
    expect(harness.services.sns.published).toEqual([]);

    p.startFanOut();
    await p.waitUntilIdle();
    expect([...publishCounts(harness.services).keys()].sort()).toEqual(batch.map(keyOf).sort());
  });

  it('transient SNS refusals are retried until every event is out, none parked; the count is kept', async () => {
    const p = await start();
    p.faults.sns.failTransiently(0.3, { seed: 7 });
    const batch = factory(202).batch(40);
    expect((await p.post(batch)).status).toBe(200);
    await p.waitUntilIdle();

    expect(p.faults.sns.refused.transient).toBeGreaterThan(0);
    expect(p.driver.parked).toEqual([]);
    expect(new Set(publishCounts(harness.services).keys())).toEqual(new Set(batch.map(keyOf)));
  });

  it('an SNS outage delays publishing without losing an event; requests meanwhile get 503', async () => {
    const p = await start();
    p.faults.sns.outage(600);
    const batch = factory(203).batch(10);
    expect((await p.post(batch)).status).toBe(200);
    await p.waitUntilIdle();

    expect(harness.services.sns.requests.some((request) => request.status === 503)).toBe(true);
    expect(p.driver.parked).toEqual([]);
    expect(new Set(publishCounts(harness.services).keys())).toEqual(new Set(batch.map(keyOf)));
  });

  it('a poisoned event is refused by SNS every time: the fan-out parks it alone; every other one is published', async () => {
    const p = await start();
    const batch = factory(204).batch(15);
    const poison = keyOf(batch[6] as CampaignEvent);
    p.faults.sns.poison(poison);
    expect((await p.post(batch)).status).toBe(200);
    await p.waitUntilIdle();

    expect(p.faults.sns.refused.poison).toBeGreaterThan(0);
    expect(p.driver.onFailureMessages).toEqual([]);
    const holding = [...p.provisioned.queues.values()].flatMap((queue) =>
      harness.services.sqs.messages(queue.url).map((message) => JSON.parse(message.body).eventKey),
    );
    expect(holding, 'only the poison is in a queue (the parked events)').toEqual([poison]);
    const published = publishCounts(harness.services);
    expect(published.has(poison)).toBe(false);
    for (const key of batch.map(keyOf).filter((key) => key !== poison)) expect(published.get(key)).toBe(1);

    p.faults.sns.clear();
    const next = factory(205).batch(3);
    expect((await p.post(next)).status).toBe(200);
    await p.waitUntilIdle();
    for (const key of next.map(keyOf)) expect(publishCounts(harness.services).get(key)).toBe(1);
  });

  it('DynamoDB refused is a 503 with nothing stored; restored, the same batch is stored', async () => {
    const p = await start();
    const batch = factory(206).batch(5);
    p.faults.dynamodb.refuse();
    expect((await p.post(batch)).status).toBe(503);
    p.faults.dynamodb.restore();
    expect(await p.items()).toEqual([]);
    expect((await p.post(batch)).status).toBe(200);
    expect(await p.items()).toHaveLength(5);
  });

  it('a slow DynamoDB slows the ingest down and still stores the batch', async () => {
    const p = await start();
    p.faults.dynamodb.delay(400);
    const started = Date.now();
    expect((await p.post(factory(207).batch(5))).status).toBe(200);
    // A lower bound only: the delay can make the answer late, never early.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    p.faults.dynamodb.restore();
    expect(await p.items()).toHaveLength(5);
  });

  it('Secrets Manager unreachable on a cold start is a 503; reachable again, the key is read', async () => {
    const p = await start();
    p.faults.secretsManager.unreachable();
    const batch = factory(208).batch(3);
    expect(await p.post(batch)).toEqual({
      status: 503,
      body: { message: 'The endpoint key cannot be checked right now; retry later' },
    });
    p.faults.secretsManager.restore();
    expect((await p.post(batch)).status).toBe(200);
    expect(await p.items()).toHaveLength(3);
  });
});

describe('pipeline fault hooks: DynamoDB restarted', () => {
  let dataDir: string;
  let services: LocalServices;
  let pipeline: Pipeline | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pipeline-faults-'));
    services = await startTestServices({ dataDir });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await services?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps what was stored and publishes what came after, once each', async () => {
    pipeline = await startTestPipeline(services);
    const before = factory(209).batch(5);
    expect((await pipeline.post(before)).status).toBe(200);
    await pipeline.waitUntilIdle();

    await pipeline.faults.dynamodb.restart(200);
    const after = factory(210).batch(5);
    expect((await pipeline.post(after)).status).toBe(200);
    await pipeline.waitUntilIdle();

    const stored = (await pipeline.items()).map((item) => item.eventKey);
    expect(new Set(stored)).toEqual(new Set([...before, ...after].map(keyOf)));
    const counts = publishCounts(services);
    for (const key of [...before, ...after].map(keyOf)) expect(counts.get(key), key).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { eventKeyFor } from '../../functions/ingest/event-key.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { METRIC_SERVICES, METRICS } from '../../functions/shared/metrics-catalog.js';
import { type CampaignEvent, CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import type { PublishedMessage } from '../../local/sns-stand-in.js';
import { runCli } from '../../scripts/redrive.js';
import { type Pipeline, pipelinePerTest } from '../support/pipeline.js';

/**
 * The fan-out under SNS faults, on the pipeline the stack describes (its mapping: unlimited retries, no
 * bisection; its queues: parked and held events, the held one consumed by the fan-out), with the faults
 * injected into the SNS stand-in and the stream, never into the handler or the stack's settings.
 */
describe('fan-out under SNS faults', () => {
  const harness = pipelinePerTest();

  const typeOf = (event: CampaignEvent): CampaignEventType =>
    (event.type === 'archived' ? 'archive' : event.type) as CampaignEventType;
  const keyOf = (event: CampaignEvent) => eventKeyFor(typeOf(event), event);
  const bodyOf = (message: PublishedMessage) => JSON.parse(message.message) as { eventKey: string };

  async function start(): Promise<Pipeline> {
    return harness.start({
      config: { api: { maxBodyBytes: 2_000_000, maxEventsPerBatch: 1000 } },
    });
  }

  async function post(p: Pipeline, events: CampaignEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += 1000) {
      const batch = events.slice(start, start + 1000);
      expect(await p.post(batch)).toMatchObject({ status: 200, body: { accepted: batch.length } });
    }
  }

  /** How often each event key reached an event topic. */
  function publishCounts(p: Pipeline): Map<string, number> {
    const eventTopics = new Set(Object.values(p.topicArns));
    const counts = new Map<string, number>();
    for (const message of harness.services.sns.published) {
      if (!eventTopics.has(message.topicArn)) continue;
      const key = bodyOf(message).eventKey;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /** The fan-out's total series of a metric, summed over the run. */
  function fanOutTotal(p: Pipeline, name: string): number {
    const identity = {
      namespace: p.config.metricsNamespace,
      name,
      dimensions: { service: METRIC_SERVICES.fanOut },
    };
    return p.metrics.statistic(identity, 'Sum', 0, Date.now() + 1).value ?? 0;
  }

  function queueMessages(p: Pipeline, logicalIdPrefix: string) {
    const [, queue] = [...p.provisioned.queues].find(([id]) => id.startsWith(logicalIdPrefix)) ?? [];
    if (queue === undefined) throw new Error(`no queue ${logicalIdPrefix}`);
    return harness.services.sqs.messages(queue.url);
  }

  /** Every event published, and the messages per event. */
  function deliveryOf(p: Pipeline, events: readonly CampaignEvent[]) {
    const counts = publishCounts(p);
    const missing = events.filter((event) => !counts.has(keyOf(event))).length;
    const messages = [...counts.values()].reduce((sum, count) => sum + count, 0);
    return { missing, ratio: messages / events.length, messages };
  }

  it.each([
    { rate: 0.01, events: 2000, target: 1.05 },
    { rate: 0.3, events: 1000, target: 1.5 },
  ])(
    'publishes every event at $rate transient entry failures, at most $target messages per event',
    async ({ rate, events: size, target }) => {
      const p = await start();
      p.faults.sns.failTransiently(rate, { seed: 7 });
      const events = new CampaignEventFactory({ seed: 900 + size, clientId: 100001 }).batch(size);
      await post(p, events);
      await p.waitUntilIdle(240_000);

      const delivery = deliveryOf(p, events);
      console.info(`fan-out at ${rate * 100}% transient failures: ${JSON.stringify(delivery)}`);
      expect(p.faults.sns.refused.transient).toBeGreaterThan(0);
      expect(delivery.missing).toBe(0);
      expect(delivery.ratio).toBeLessThanOrEqual(target);
      // The duplicates the fan-out counted are the duplicates there were.
      expect(fanOutTotal(p, METRICS.eventsRepublished)).toBe(delivery.messages - size);
      expect(queueMessages(p, 'FanOutParkedEvents')).toEqual([]);
      expect(p.driver.onFailureMessages).toEqual([]);
    },
  );

  it('waits out an SNS outage in order and publishes everything once it ends, with no one stepping in', async () => {
    const p = await start();
    p.faults.sns.outage(6_000);
    const events = new CampaignEventFactory({ seed: 950, clientId: 100001 }).batch(300);
    await post(p, events);
    await p.waitUntilIdle(120_000);

    const delivery = deliveryOf(p, events);
    expect(delivery).toMatchObject({ missing: 0, ratio: 1 });
    expect(fanOutTotal(p, METRICS.publishFailures)).toBe(0);
    expect(fanOutTotal(p, METRICS.eventsParked)).toBe(0);
    expect(queueMessages(p, 'FanOutParkedEvents')).toEqual([]);
    expect(p.driver.onFailureMessages).toEqual([]);
    // SNS really refused: requests were answered 503 while the events waited.
    expect(harness.services.sns.requests.filter((request) => request.status === 503).length).toBeGreaterThan(
      0,
    );
  });

  it('holds records nearing the stream retention while SNS is out, then publishes them from the held queue', async () => {
    const p = await start();
    p.faults.stream.lag(21 * 3600 * 1000);
    p.faults.sns.outage(5_000);
    const events = new CampaignEventFactory({ seed: 960, clientId: 100001 }).batch(150);
    await post(p, events);
    await p.waitUntilIdle(120_000);

    const delivery = deliveryOf(p, events);
    expect(delivery).toMatchObject({ missing: 0, ratio: 1 });
    expect(fanOutTotal(p, METRICS.eventsHeld)).toBe(events.length);
    expect(fanOutTotal(p, METRICS.eventsParked)).toBe(0);
    expect(queueMessages(p, 'FanOutHeldEvents')).toEqual([]);
    expect(queueMessages(p, 'FanOutParkedEvents')).toEqual([]);
  });

  it('parks only the message SNS calls invalid, with its content and reason, and a redrive after the fix clears it', async () => {
    const p = await start();
    const events = new CampaignEventFactory({ seed: 970, clientId: 100001 }).batch(300);
    const poison = events[57] as CampaignEvent;
    p.faults.sns.poison(keyOf(poison));
    await post(p, events);
    await p.waitUntilIdle(120_000);

    const counts = publishCounts(p);
    const innocents = events.filter((event) => event !== poison);
    expect(innocents.filter((event) => counts.get(keyOf(event)) !== 1)).toEqual([]);
    expect(counts.has(keyOf(poison))).toBe(false);
    expect(fanOutTotal(p, METRICS.eventsParked)).toBe(1);
    expect(fanOutTotal(p, METRICS.eventsRepublished)).toBe(0);
    expect(p.driver.onFailureMessages).toEqual([]);

    const parked = queueMessages(p, 'FanOutParkedEventsQueue');
    expect(parked).toHaveLength(1);
    const record = JSON.parse(parked[0]?.body ?? '{}');
    expect(record).toMatchObject({
      disposition: 'parked',
      code: 'InvalidParameter',
      reason: expect.stringContaining('Invalid parameter'),
      eventKey: keyOf(poison),
      eventType: typeOf(poison),
      topicArn: p.topicArns[typeOf(poison)],
      image: expect.objectContaining({ eventKey: { S: keyOf(poison) } }),
    });
    expect(JSON.parse(record.message.body)).toMatchObject({
      eventKey: keyOf(poison),
      event: { ...poison, type: typeOf(poison) },
    });

    // The fix (here: SNS accepts it again), then the operator's replay.
    p.faults.sns.clear();
    const lines: string[] = [];
    const queueUrl = [...p.provisioned.queues].find(([id]) => id.startsWith('FanOutParkedEventsQueue'))?.[1]
      .url;
    const args = ['--parked', '--queue-url', queueUrl as string, '--topic-arns', JSON.stringify(p.topicArns)];
    expect(
      await runCli(args, { stdout: (line) => lines.push(line), stderr: (line) => lines.push(line) }),
    ).toBe(0);
    expect(lines.join('\n')).toContain(`${keyOf(poison)} (parked for InvalidParameter`);
    expect(publishCounts(p).has(keyOf(poison))).toBe(false);
    expect(queueMessages(p, 'FanOutParkedEventsQueue')).toHaveLength(1);

    const code = await runCli([...args, '--yes'], {
      stdout: (line) => lines.push(line),
      stderr: (line) => lines.push(line),
    });
    expect(code, lines.join('\n')).toBe(0);
    expect(publishCounts(p).get(keyOf(poison))).toBe(1);
    expect(queueMessages(p, 'FanOutParkedEventsQueue')).toEqual([]);
  });
});

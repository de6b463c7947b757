import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import type { ArchiveFirehose } from '../../local/pipeline/archive-firehose.js';
import type { PublishedMessage } from '../../local/sns-stand-in.js';
import { runCli } from '../../scripts/replay.js';
import { bodyOf, runOperation, runWithStack } from '../support/operations.js';
import { pipelinePerTest } from '../support/pipeline.js';

/**
 * `npm run replay` on the pipeline the stack describes: two batches stored by the real ingest and
 * published live by the real fan-out; then the first batch's time window replayed, once into one
 * subscriber's queue only (SQS stand-in) and once to the type topics: each reaches only its target, every
 * message carries the `replay` attribute, and its body is the first delivery's, byte for byte.
 */
describe('replay of a time window', () => {
  const harness = pipelinePerTest();

  async function twoBatches() {
    const p = await harness.start({
      config: { eventTypes: ['sent', 'open', 'bounce'], archive: { enabled: true } },
      archive: { dir: mkdtempSync(path.join(tmpdir(), 'replay-archive-')), flushIntervalMs: 0 },
    });
    const factory = new CampaignEventFactory({ seed: 1103, clientId: 100001 });
    const from = new Date().toISOString();
    const first = factory.batch(15, ['sent', 'open', 'bounce']);
    expect((await p.post(first)).status).toBe(200);
    await p.waitUntilIdle();
    await sleep(5);
    const to = new Date().toISOString();
    await sleep(5);
    expect((await p.post(factory.batch(10, ['sent', 'open', 'bounce']))).status).toBe(200);
    await p.waitUntilIdle();
    const live = [...harness.services.sns.published];
    expect(live).toHaveLength(25);
    const firstKeys = new Set(live.slice(0, 15).map((message) => bodyOf(message).eventKey));
    const args = [
      '--table-name',
      p.tableName,
      '--topic-arns',
      JSON.stringify(p.topicArns),
      '--from',
      from,
      '--to',
      to,
    ];
    return { p, live, firstKeys, args };
  }

  const liveByKey = (live: PublishedMessage[]) =>
    new Map(live.map((message) => [bodyOf(message).eventKey, message]));

  it("reaches only the chosen subscriber's queue, marked replay, with the first delivery's bodies", async () => {
    const { live, firstKeys, args } = await twoBatches();
    const queueName = `replay-target-${process.pid}`;
    const queueUrl = harness.services.sqs.createQueue(queueName);
    const queueArn = `arn:aws:sqs:${harness.services.region}:${harness.services.sqs.accountId}:${queueName}`;

    const dry = await runOperation(runCli, ...args, '--types', 'open,bounce', '--target-queue', queueArn);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toMatch(/Scan of .*read unit/);
    expect(harness.services.sqs.messages(queueUrl)).toEqual([]);

    const real = await runOperation(
      runCli,
      ...args,
      '--types',
      'open,bounce',
      '--target-queue',
      queueArn,
      '--replay-id',
      'r-1',
      '--yes',
    );
    expect(real.code, real.output).toBe(0);
    expect(harness.services.sns.published).toHaveLength(live.length);
    const expected = live.filter((m) => firstKeys.has(bodyOf(m).eventKey) && bodyOf(m).eventType !== 'sent');
    const delivered = harness.services.sqs.messages(queueUrl).map((message) => JSON.parse(message.body));
    expect(delivered).toHaveLength(expected.length);
    const byKey = liveByKey(live);
    for (const envelope of delivered) {
      const original = byKey.get(JSON.parse(envelope.Message).eventKey) as PublishedMessage;
      expect(envelope).toMatchObject({
        Type: 'Notification',
        TopicArn: original.topicArn,
        Message: original.message,
      });
      expect(envelope.MessageAttributes).toEqual({
        ...Object.fromEntries(
          Object.entries(original.messageAttributes).map(([name, value]) => [
            name,
            { Type: value.dataType, Value: value.stringValue },
          ]),
        ),
        replay: { Type: 'String', Value: 'r-1' },
      });
    }
    expect(real.output).toContain(`${expected.length} sent to queue ${queueArn}`);
  });

  it('republishes the window to the type topics only, each event once, marked replay, and not archived again', async () => {
    const { p, live, firstKeys, args } = await twoBatches();
    const archive = p.archive as ArchiveFirehose;
    await archive.flush();
    expect(archive.stats.records).toBe(live.length);
    const dry = await runOperation(runCli, ...args);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toContain('15 accepted event(s) received');
    await p.waitUntilIdle();
    expect(harness.services.sns.published).toHaveLength(live.length);

    // The topics from the stack's outputs this time (--stack), not --topic-arns.
    const real = await runWithStack(
      runCli,
      p,
      ...args.slice(4),
      '--target',
      'topics',
      '--replay-id',
      'r-2',
      '--yes',
    );
    expect(real.code, real.output).toBe(0);
    await p.waitUntilIdle();
    const replayed = harness.services.sns.published.slice(live.length);
    expect(replayed.map((message) => bodyOf(message).eventKey).sort()).toEqual([...firstKeys].sort());
    const byKey = liveByKey(live);
    for (const message of replayed) {
      const original = byKey.get(bodyOf(message).eventKey) as PublishedMessage;
      expect({
        topic: message.topicArn,
        body: message.message,
        attributes: message.messageAttributes,
      }).toEqual({
        topic: original.topicArn,
        body: original.message,
        attributes: { ...original.messageAttributes, replay: { dataType: 'String', stringValue: 'r-2' } },
      });
    }
    // The archive's subscriptions filter the replay out: it holds these events already.
    await archive.flush();
    expect(archive.stats).toMatchObject({ records: live.length, failed: 0 });
  });
});

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { eventKeyFor, quarantineKeyFor } from '../../functions/ingest/event-key.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { type CampaignEvent, CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import { runCli } from '../../scripts/quarantine.js';
import type { StackClient } from '../../scripts/redrive/targets.js';
import {
  bodyOf,
  largeEventBucketOf,
  runOperation,
  stackAnswers,
  writeCdkJson,
} from '../support/operations.js';
import { pipelinePerTest } from '../support/pipeline.js';

/**
 * `npm run quarantine` on the pipeline the stack describes: events quarantined by the real ingest under
 * a strict configuration (bounce not configured, opens must carry deviceType), then the configuration
 * relaxed and the quarantine requeued: exactly the events the relaxed reader accepts become accepted
 * items, which the real fan-out publishes once from DynamoDB Local's stream; a redelivery and a second
 * requeue publish nothing again.
 */
describe('quarantine requeue', () => {
  const harness = pipelinePerTest();

  const STRICT = {
    eventTypes: ['sent', 'open', 'click'] as CampaignEventType[],
    payload: { requiredFields: { open: ['deviceType'] } },
  };
  const RELAXED = { eventTypes: ['sent', 'open', 'click', 'bounce'] as CampaignEventType[], payload: {} };

  function events() {
    const factory = new CampaignEventFactory({ seed: 1101, clientId: 100001 });
    const withDevice = Array.from({ length: 4 }, () => factory.event('open', { deviceType: 'mobile' }));
    const withoutDevice = Array.from({ length: 5 }, () => factory.event('open'));
    const large = factory.event('open', { notes: 'n'.repeat(200_000) } as Partial<CampaignEvent>);
    const bounces = Array.from({ length: 3 }, () => factory.event('bounce'));
    const sent = Array.from({ length: 4 }, () => factory.event('sent'));
    const invalid = factory.invalidEvents();
    return { withDevice, withoutDevice, large, bounces, sent, invalid };
  }

  it('promotes exactly what the relaxed settings accept, each published once, and stays idempotent', async () => {
    const strict = await harness.start({ config: STRICT });
    const e = events();
    const early = e.withoutDevice[0] as CampaignEvent;
    const batch = [...e.withDevice, ...e.withoutDevice, e.large, ...e.bounces, ...e.sent, ...e.invalid];
    const first = await strict.post(batch);
    expect(first).toMatchObject({ status: 200, body: { accepted: 8, quarantined: 14 } });
    await strict.waitUntilIdle();

    const listed = await runOperation(runCli, 'list', '--table-name', strict.tableName);
    expect(listed.code, listed.output).toBe(0);
    expect(listed.output).toContain('14 quarantined event(s)');
    expect(listed.output).toMatch(
      /\s9 {2}open {2}deviceType: is required for open events \(requiredFields\)/,
    );
    expect(listed.output).toMatch(/\s3 {2}bounce {2}type: event type "…" is not configured/);
    expect(listed.output).not.toContain('@example.com');

    // The relaxed configuration is deployed (same stack: same table, a bounce topic now).
    await strict.stop();
    const p = await harness.start({
      config: { ...RELAXED, stackName: strict.config.stackName },
    });
    // A deploy keeps the stack's generated endpoint key (the local provisioning makes a new one).
    await harness.services.putSecret(p.provisioned.endpointKeySecretName, {
      current: strict.endpointKey,
      previous: '',
    });
    const post = (body: unknown) => p.post(body, { key: strict.endpointKey });
    await p.waitUntilIdle();
    // Campaign redelivers one of the events before the requeue: the relaxed ingest accepts it (published once).
    const baseline = harness.services.sns.published.length;
    expect(await post([early])).toMatchObject({ status: 200, body: { accepted: 1 } });
    await p.waitUntilIdle();
    expect(harness.services.sns.published).toHaveLength(baseline + 1);
    const live = harness.services.sns.published.length;

    const relaxed = writeCdkJson(RELAXED);
    const args = [
      '--table-name',
      p.tableName,
      '--config',
      relaxed,
      '--large-event-bucket',
      largeEventBucketOf(p),
    ];
    const promotable = [...e.withoutDevice.slice(1), e.large, ...e.bounces];
    const expectedKeys = promotable
      .map((event) => eventKeyFor(event.type as 'open' | 'bounce', event))
      .sort();

    const dry = await runOperation(runCli, 'requeue', ...args);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toMatch(/Scan of .*read unit/);
    expect(dry.output).toContain('9 would be promoted to accepted items (bounce 3, open 6)');
    expect(dry.output).toContain('5 still quarantined');
    expect(dry.output).toMatch(/write units it would take about \d+/);
    await p.waitUntilIdle();
    expect(harness.services.sns.published).toHaveLength(live);
    expect((await p.items()).filter((item) => item.status === 'quarantined')).toHaveLength(14);

    const real = await runOperation(runCli, 'requeue', ...args, '--yes');
    expect(real.code, real.output).toBe(0);
    expect(real.output).toContain('8 promoted (each published once by the fan-out), 1 already accepted');
    await p.waitUntilIdle();
    const requeued = harness.services.sns.published.slice(live);
    expect(requeued.map((message) => bodyOf(message).eventKey).sort()).toEqual(expectedKeys);
    for (const message of requeued) {
      expect(message.topicArn).toBe(p.topicArns[bodyOf(message).eventType]);
    }
    const items = await p.items();
    const quarantinedKeys = items
      .filter((item) => item.status === 'quarantined')
      .map((item) => item.eventKey);
    expect(quarantinedKeys.sort()).toEqual(e.invalid.map((event) => quarantineKeyFor(event)).sort());
    const largeItem = items.find((item) => item.eventKey === eventKeyFor('open', e.large));
    expect(largeItem).toMatchObject({ status: 'accepted', rawObject: { bucket: largeEventBucketOf(p) } });

    // Campaign redelivers the whole batch afterwards: every promoted item is overwritten (a MODIFY), and
    // nothing is published again; a second requeue finds nothing more to promote.
    expect(await post(batch)).toMatchObject({ status: 200, body: { accepted: 17, quarantined: 5 } });
    await p.waitUntilIdle();
    expect(harness.services.sns.published).toHaveLength(live + 8);
    const again = await runOperation(runCli, 'requeue', ...args, '--yes');
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain('0 promoted');
    expect(again.output).toContain('5 still quarantined');
    await p.waitUntilIdle();
    expect(harness.services.sns.published).toHaveLength(live + 8);
  });

  it('resumes from its cursor after losing the connection mid-scan, publishing each event once', async () => {
    const config = {
      eventTypes: ['sent', 'open'] as CampaignEventType[],
      payload: { requiredFields: { open: ['deviceType'] } },
    };
    const p = await harness.start({ config });
    const factory = new CampaignEventFactory({ seed: 1104, clientId: 100001 });
    const opens = Array.from({ length: 12 }, () => factory.event('open'));
    expect(await p.post(opens)).toMatchObject({ status: 200, body: { quarantined: 12 } });
    await p.waitUntilIdle();
    const live = harness.services.sns.published.length;

    const cursor = path.join(mkdtempSync(path.join(tmpdir(), 'requeue-')), 'cursor.json');
    const relaxed = writeCdkJson({ eventTypes: config.eventTypes, payload: {} });
    const args = [
      'requeue',
      '--table-name',
      p.tableName,
      '--config',
      relaxed,
      '--segments',
      '1',
      '--page-size',
      '5',
    ];
    // The connection goes after the first page: the run fails, the cursor keeps that page's position.
    const real = new DynamoDBClient({});
    let scans = 0;
    const flaky = {
      send: (command: unknown) => {
        if (command instanceof ScanCommand && ++scans === 2)
          return Promise.reject(new Error('connection lost'));
        return real.send(command as ScanCommand);
      },
    } as unknown as DynamoDBClient;
    const lines: string[] = [];
    const io = { stdout: (line: string) => lines.push(line), stderr: (line: string) => lines.push(line) };
    expect(
      await runCli([...args, '--cursor', cursor, '--yes'], { ...io, clients: { dynamodb: flaky } }),
    ).toBe(1);
    expect(lines.join('\n')).toContain('connection lost');
    expect(existsSync(cursor)).toBe(true);

    const resumed = await runOperation(runCli, ...args, '--cursor', cursor, '--yes');
    real.destroy();
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain('Resuming from');
    expect(resumed.output).toContain('12 quarantined event(s) re-read');
    expect(resumed.output).toContain('12 promoted');
    expect(existsSync(cursor)).toBe(false);
    await p.waitUntilIdle();
    const keys = harness.services.sns.published.slice(live).map((message) => bodyOf(message).eventKey);
    expect(keys.sort()).toEqual(opens.map((event) => eventKeyFor('open', event)).sort());
  });

  it('with --stack reads the deployed settings, and promotes no event whose type has no topic yet', async () => {
    const p = await harness.start({ config: STRICT });
    const e = events();
    expect(await p.post([...e.withoutDevice, ...e.bounces])).toMatchObject({
      status: 200,
      body: { quarantined: 8 },
    });
    await p.waitUntilIdle();
    const live = harness.services.sns.published.length;
    const cloudFormation = stackAnswers(p) as unknown as StackClient;
    const run = (...args: string[]) => {
      const lines: string[] = [];
      const io = { stdout: (line: string) => lines.push(line), stderr: (line: string) => lines.push(line) };
      return runCli(args, { ...io, clients: { cloudFormation } }).then((code) => ({
        code,
        output: lines.join('\n'),
      }));
    };

    // The deployed ingest is still the strict one: nothing passes.
    const deployed = await run('requeue', '--stack', p.config.stackName);
    expect(deployed.code, deployed.output).toBe(0);
    expect(deployed.output).toContain(
      `Reading events as the deployed ingest function of stack ${p.config.stackName}`,
    );
    expect(deployed.output).toContain('required fields open: deviceType');
    expect(deployed.output).toContain('0 would be promoted');

    // Relaxed settings not deployed yet: the opens go, the bounces wait for their topic.
    const early = await run(
      'requeue',
      '--stack',
      p.config.stackName,
      '--config',
      writeCdkJson(RELAXED),
      '--yes',
    );
    expect(early.code, early.output).toBe(1);
    expect(early.output).toContain('5 promoted');
    expect(early.output).toContain('the stack has no topic for bounce yet (deploy the configuration first)');
    expect(early.output).toContain('3 failed');
    await p.waitUntilIdle();
    expect(harness.services.sns.published.slice(live).map((message) => bodyOf(message).eventType)).toEqual(
      Array(5).fill('open'),
    );
    expect((await p.items()).filter((item) => item.status === 'quarantined')).toHaveLength(3);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKeyFor } from '../../functions/ingest/event-key.js';
import { type CampaignEventType, toEventType } from '../../functions/shared/campaign-event-types.js';
import { bounceCategoryOf } from '../../functions/shared/events/schema.js';
import type { ConfigInput } from '../../infra/config.js';
import { type CampaignEvent, CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import type { SlackPost } from '../../local/pipeline/slack-receiver.js';
import { type LocalRun, runLocalPipeline } from '../../local/run/run.js';

/**
 * `npm start` end to end: the local run started through its API (the code main.ts runs), Campaign's
 * traffic and our own batches sent through the simulator as Campaign sends them, and what came out on
 * each topic, in the table, in Campaign's webhook list and on the alert path checked against what went in.
 * Then the command line itself: --help, a bad option, and a short run stopped with SIGINT.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT_ID = 300003;
/**
 * This test's own configuration, not cdk.json's (deployers replace its example values). Email takes
 * warnings, so the alarms below reach both email and Slack.
 */
const CONFIG: ConfigInput = {
  campaign: { clientIds: [CLIENT_ID], verifyMailingId: 900001 },
  alerts: { emails: ['oncall@example.com'], emailMinSeverity: 'warning' },
};

const typeOf = (event: CampaignEvent): CampaignEventType => toEventType(event.type) as CampaignEventType;
const keyOf = (event: CampaignEvent) => eventKeyFor(typeOf(event), event);

describe('local run (runLocalPipeline, what npm start runs)', () => {
  let run: LocalRun;

  beforeAll(async () => {
    run = await runLocalPipeline({
      config: CONFIG,
      traffic: { rate: 0, events: 160, batchSize: 20, seed: 7 },
      alarmIntervalMs: 0,
    });
    await run.waitUntilIdle();
  }, 180_000);
  afterAll(async () => {
    await run?.stop();
  }, 120_000);

  /** Published messages of a type, by event key. */
  const publishedKeys = (type: CampaignEventType) => (run.published.get(type) ?? []).map((m) => m.eventKey);
  const allPublishedKeys = () => [...run.published.values()].flat().map((message) => message.eventKey);

  /** Delivers events as Campaign does: one POST per type to that type's active webhook. */
  async function deliver(events: CampaignEvent[]): Promise<void> {
    const byType = new Map<CampaignEventType, CampaignEvent[]>();
    for (const event of events) byType.set(typeOf(event), [...(byType.get(typeOf(event)) ?? []), event]);
    for (const [type, ofType] of byType) {
      const reports = await run.simulator.deliver(CLIENT_ID, type, ofType);
      expect(reports, `one active ${type} webhook`).toHaveLength(1);
      expect(reports[0]?.delivered, `${type} batch answered 2xx`).toBe(true);
    }
    await run.waitUntilIdle();
  }

  it('registers, activates and verifies one webhook per configured type with the deployed reconciler', () => {
    const types = run.config.eventTypes;
    const webhooks = run.simulator.store.all(CLIENT_ID);
    expect(webhooks.map((webhook) => webhook.type).sort()).toEqual([...types].sort());
    for (const webhook of webhooks) {
      expect(webhook.status, webhook.type).toBe('activated');
      expect(webhook.targetUrl).toBe(run.urls.endpoint);
      expect(webhook.authentication).toEqual({
        type: 'keyAuth',
        key: run.authHeaderName,
        passphrase: run.endpointKey,
      });
    }
    const [registration] = run.webhooks;
    expect(registration?.data.WebhookIds).toBe(
      webhooks.map((webhook) => `${webhook.type}=${webhook.id}`).join(','),
    );
    expect(registration?.data.Verification).toBe(
      `verified ${types.length} webhooks with mailing ${run.config.campaign.verifyMailingId}`,
    );
    // What the endpoint answered Campaign's test events (the verify call itself always answers 200).
    const verifications = run.simulator.verifications;
    expect(verifications.map((verification) => verification.type).sort()).toEqual([...types].sort());
    for (const verification of verifications) {
      expect(verification.httpStatusCode, verification.type).toBe(200);
      expect(verification.mailingId).toBe(run.config.campaign.verifyMailingId);
    }
  });

  it("publishes every accepted event exactly once to its type's topic, every configured type included", async () => {
    const items = await run.items();
    const accepted = items.filter((item) => item.status === 'accepted');
    for (const type of run.config.eventTypes) {
      const expected = accepted.filter((item) => item.eventType === type).map((item) => item.eventKey);
      const published = publishedKeys(type);
      expect(published.length, `${type} published`).toBeGreaterThan(0);
      expect(new Set(published).size, `${type} published once each`).toBe(published.length);
      expect([...published].sort(), type).toEqual([...expected].sort());
    }
    expect(allPublishedKeys()).toHaveLength(accepted.length);
    expect(run.counters.storedAccepted).toBe(accepted.length);
    expect(run.driver.stats.parked).toBe(0);
  });

  it('stores a redelivered batch once and publishes nothing for it', () => {
    const traffic = run.traffic?.stats;
    expect(traffic?.redeliveredBatches).toBe(1);
    // Each redelivered event rewrote its own item: a MODIFY on the stream, dropped by the fan-out's filter.
    expect(run.counters.redeliveredRecords).toBeGreaterThanOrEqual(traffic?.redeliveredEvents ?? Number.NaN);
    expect(run.counters.publishedTwice).toBe(0);
  });

  it('quarantines the invalid events, with their issues, and publishes none of them', async () => {
    expect(run.traffic?.stats.invalid).toBeGreaterThan(0);
    const quarantined = (await run.items()).filter((item) => item.status === 'quarantined');
    expect(quarantined.length).toBeGreaterThan(0);
    expect(quarantined).toHaveLength(run.counters.storedQuarantined);
    for (const item of quarantined) expect((item.issues as string[]).length).toBeGreaterThan(0);
    const published = new Set(allPublishedKeys());
    for (const item of quarantined) expect(published.has(item.eventKey as string)).toBe(false);
  });

  it('publishes each event with the attributes filter policies use, and the CRM-sync filter gets only hard bounces', () => {
    for (const [type, messages] of run.published) {
      for (const message of messages) {
        expect(message.attributes.eventType).toEqual({ dataType: 'String', stringValue: type });
        expect(message.attributes.clientId).toEqual({ dataType: 'Number', stringValue: String(CLIENT_ID) });
        expect(JSON.stringify(message.attributes)).not.toContain('@');
      }
    }
    const bounces = run.published.get('bounce') ?? [];
    const categories = bounces.map((message) => message.attributes.bounceCategory?.stringValue);
    for (const [index, message] of bounces.entries()) {
      expect(categories[index]).toBe(bounceCategoryOf(message.body.event as Record<string, unknown>));
    }
    expect(categories).toContain('hard');
    expect(categories).toContain('soft');
    expect(run.counters.crmHardBounces).toBe(categories.filter((category) => category === 'hard').length);
  });

  it('takes a batch Campaign sends now: each event once on its own topic, and a redelivery adds nothing', async () => {
    const factory = new CampaignEventFactory({ clientId: CLIENT_ID, seed: 4242 });
    const events = [
      factory.event('sent'),
      factory.event('sent'),
      factory.event('sent'),
      factory.event('open'),
      factory.event('click'),
      factory.event('bounce', { bounceCategory: 'hardbounce' }),
      factory.event('bounce', { bounceCategory: 'softbounce' }),
    ];
    const before = new Map(run.config.eventTypes.map((type) => [type, publishedKeys(type).length]));
    await deliver(events);
    for (const type of run.config.eventTypes) {
      const sent = events.filter((event) => typeOf(event) === type);
      const published = publishedKeys(type);
      expect(published.length - (before.get(type) ?? 0), type).toBe(sent.length);
      for (const event of sent)
        expect(
          published.filter((key) => key === keyOf(event)),
          type,
        ).toHaveLength(1);
    }
    const bounceAttributes = (run.published.get('bounce') ?? [])
      .filter((message) => events.some((event) => keyOf(event) === message.eventKey))
      .map((message) => message.attributes.bounceCategory?.stringValue)
      .sort();
    expect(bounceAttributes).toEqual(['hard', 'soft']);

    await deliver(events.filter((event) => event.type === 'sent'));
    for (const event of events)
      expect(allPublishedKeys().filter((key) => key === keyOf(event))).toHaveLength(1);
  });

  it('refuses a batch without the endpoint key, as the deployed endpoint does', async () => {
    const response = await run.post([new CampaignEventFactory({ seed: 99 }).event('open')], {
      key: 'not-the-key',
    });
    expect(response).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  });

  /** The alarm's state now (each test raises what it checks; another test may have evaluated before). */
  const alarmState = (slug: string) => {
    const alarm = run.alarms.alarms.find((candidate) => candidate.name === `${run.config.stackName}-${slug}`);
    if (alarm === undefined) throw new Error(`no local alarm ${slug}`);
    return alarm.state;
  };
  const slackTexts = () => run.alerts.slack.map((post: SlackPost) => post.body.text);

  it('raises the quarantine alarm from a quarantined event and delivers it to email and Slack', async () => {
    const [, , , badMailingId] = new CampaignEventFactory({
      clientId: CLIENT_ID,
      seed: 4343,
    }).invalidEvents();
    const quarantinedBefore = run.counters.storedQuarantined;
    await deliver([badMailingId as CampaignEvent]);
    expect(run.counters.storedQuarantined - quarantinedBefore).toBe(1);

    await run.evaluateAlarms();
    expect(alarmState('warning-events-quarantined')).toBe('ALARM');
    // Whichever evaluation raised it, its notification went through the alert path to both channels.
    expect(slackTexts()).toContain(':warning: [WARNING] ALARM: Events quarantined');
    const email = run.alerts.emails.find(
      (candidate) => candidate.subject === '[WARNING] ALARM: Events quarantined',
    );
    expect(email?.body).toContain('What it means: Campaign sent events that fail validation');
    expect(email?.body).toContain('evaluated locally by npm start');
  });

  it('raises the hard-bounce and spam-complaint alarms after a bad hour, and delivers them', async () => {
    await run.evaluateAlarms();
    expect(alarmState('warning-hard-bounce-rate'), 'before the bad hour').toBe('OK');
    expect(alarmState('warning-spam-complaints'), 'before the bad hour').toBe('OK');
    const postsBefore = run.alerts.slack.length;

    // A bad hour: hard bounces above 5% of at least 100 sent, more than 10 spam complaints.
    const factory = new CampaignEventFactory({ clientId: CLIENT_ID, seed: 5151 });
    await deliver([
      ...Array.from({ length: 100 }, () => factory.event('sent')),
      ...Array.from({ length: 10 }, () => factory.event('bounce', { bounceCategory: 'hardbounce' })),
      ...Array.from({ length: 11 }, () => factory.event('spamcomplaint')),
    ]);
    await run.evaluateAlarms();
    expect(alarmState('warning-hard-bounce-rate')).toBe('ALARM');
    expect(alarmState('warning-spam-complaints')).toBe('ALARM');
    expect(slackTexts().slice(postsBefore)).toEqual(
      expect.arrayContaining([
        ':warning: [WARNING] ALARM: Hard bounces above 5% of sent mail in an hour',
        ':warning: [WARNING] ALARM: More than 10 spam complaints in an hour',
      ]),
    );
  });

  it('retries what SNS refuses once in the fan-out, publishes it once, and alerts nobody', async () => {
    const sns = run.services.sns;
    if (sns === undefined) throw new Error('the built-in SNS stand-in is expected');
    const failuresBefore = run.counters.publishFailures;
    const postsBefore = run.alerts.slack.length;

    const event = new CampaignEventFactory({ clientId: CLIENT_ID, seed: 6161 }).event('open');
    let refused = 0;
    sns.failWhen((entry) => entry.message.includes(keyOf(event)) && refused++ === 0);
    try {
      await deliver([event]);
    } finally {
      sns.clearFailures();
    }
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(allPublishedKeys().filter((key) => key === keyOf(event))).toHaveLength(1);
    // Retried within the invocation: no record left unpublished, so nothing for on-call.
    expect(run.counters.publishFailures - failuresBefore).toBe(0);
    await run.evaluateAlarms();
    expect(alarmState('warning-publish-failures')).toBe('OK');
    expect(slackTexts().slice(postsBefore)).toEqual([]);
  });
});

describe('npm start (the command line)', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  /** Runs local/run/main.ts as `npm start` does (tsx), on this test's Node. */
  function start(args: string[]) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/run/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    const waiters: Array<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }> = [];
    const check = () => {
      for (const waiter of [...waiters]) {
        const match = stdout.match(waiter.pattern);
        if (match) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      check();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return {
      child,
      exited,
      output: () => ({ stdout, stderr }),
      /** Resolves when stdout matches; rejects if the process exits first. */
      waitFor: (pattern: RegExp) =>
        Promise.race([
          new Promise<RegExpMatchArray>((resolve) => {
            waiters.push({ pattern, resolve });
            check();
          }),
          exited.then((code) => {
            throw new Error(`exited with ${code} before printing ${pattern}:\n${stdout}\n${stderr}`);
          }),
        ]),
    };
  }

  it('--help prints the usage and exits 0', async () => {
    const cli = start(['--help']);
    expect(await cli.exited).toBe(0);
    expect(cli.output().stdout).toContain('Usage: npm start -- [options]');
    expect(cli.output().stdout).toContain('--data-dir <dir>');
    expect(cli.output().stdout).not.toContain('localstack');
  });

  it('a bad option is refused with the reason and exit code 2', async () => {
    const cli = start(['--rate', 'fast']);
    expect(await cli.exited).toBe(2);
    expect(cli.output().stderr).toContain('--rate must be a whole number from 0 to 100000, got "fast"');
  });

  it('runs the pipeline, shows events published, and stops cleanly on SIGINT (exit 0, no JVM left)', async () => {
    const cli = start(['--events', '40', '--rate', '0']);
    const [, jvmPid] = await cli.waitFor(/JVM pid (\d+)/);
    await cli.waitFor(/first event published/);
    await cli.waitFor(/Ready in/);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    const { stdout } = cli.output();
    expect(stdout).toContain('Stopped after');
    const published = Number(/published\s+(\d+) messages/.exec(stdout.slice(stdout.indexOf('Summary')))?.[1]);
    expect(published).toBeGreaterThan(0);
    expect(isRunning(Number(jvmPid))).toBe(false);
  }, 180_000);
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

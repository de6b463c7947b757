import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKeyFor } from '../../functions/ingest/event-key.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { type CampaignEvent, CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import type { Pipeline } from '../../local/pipeline/assemble.js';
import { AlarmEvaluator } from '../../local/run/alarm-evaluator.js';
import { LocalAlarms } from '../../local/run/alarms.js';
import { type LocalServices, startTestPipeline, startTestServices } from '../support/pipeline.js';

/**
 * The parked-events alarm's alert names the parked event, on the stack-derived pipeline: a poison message
 * (SNS refuses it as invalid) is parked by the fan-out, the stack's alarm on the parked-events queue is
 * evaluated against the queue's depth, its notification runs the alarm formatter (which reads the
 * fan-out's `Record parked` lines from the CloudWatch Logs stand-in, as its role allows in AWS), and the
 * email and the Slack post carry the event's key, code and reason.
 */
describe('parked-events alarm: the alert names the parked events', () => {
  let services: LocalServices;
  let pipeline: Pipeline;
  let poisonKey: string;
  const startedAt = Date.now();

  const typeOf = (event: CampaignEvent): CampaignEventType =>
    (event.type === 'archived' ? 'archive' : event.type) as CampaignEventType;

  beforeAll(async () => {
    services = await startTestServices();
    pipeline = await startTestPipeline(services, { config: { alerts: { emails: ['oncall@example.com'] } } });
    const events = new CampaignEventFactory({ seed: 4711, clientId: 100001 }).batch(20);
    const poison = events[7] as CampaignEvent;
    poisonKey = eventKeyFor(typeOf(poison), poison);
    pipeline.faults.sns.poison(poisonKey);
    expect(await pipeline.post(events)).toMatchObject({ status: 200, body: { accepted: 20 } });
    await pipeline.waitUntilIdle(60_000);
    pipeline.faults.sns.clear();
  });

  afterAll(async () => {
    await pipeline?.stop();
    await services?.stop();
  });

  /** Evaluates the stack's alarms once (fresh state: all OK) and returns the parked-events alarm's email. */
  async function parkedAlarmAlert() {
    (pipeline.emails as unknown[]).length = 0;
    pipeline.slack.posts.length = 0;
    const { model, provisioned } = pipeline;
    const alarms = new LocalAlarms(model.alarms, provisioned.resources, {
      region: model.region,
      accountId: model.accountId,
      startedAt,
    });
    // The queues' depth, sampled as CloudWatch samples SQS, a moment before the evaluation's window ends.
    pipeline.serviceMetrics.queueDepths(
      new Map([...provisioned.queues].map(([id, queue]) => [id, services.sqs.messages(queue.url).length])),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    const evaluator = new AlarmEvaluator(alarms, pipeline.metrics, services, {
      region: model.region,
      beforeEvaluation: () => undefined,
      onTransition: () => undefined,
    });
    let alarmName = '';
    try {
      const transitions = await evaluator.evaluate();
      const parked = transitions.find((transition) => transition.alarm.name.endsWith('-dlq-parked-events'));
      expect(parked?.alarm.state).toBe('ALARM');
      alarmName = parked?.alarm.name ?? '';
    } finally {
      await evaluator.stop();
    }
    const email = pipeline.emails.find((candidate) => candidate.body.includes(`Alarm: ${alarmName}\n`));
    const slack = pipeline.slack.posts.find((post) => JSON.stringify(post.body).includes(`\`${alarmName}\``));
    return { email, slack: JSON.stringify(slack?.body ?? null) };
  }

  it('names the parked event, its code and reason in the email and on Slack', async () => {
    const { email, slack } = await parkedAlarmAlert();
    expect(email?.body).toMatch(
      new RegExp(`^Parked: ${poisonKey} — InvalidParameter: Invalid parameter.*$`, 'm'),
    );
    expect(email?.body).not.toContain('… and');
    expect(slack).toContain(`Parked: ${poisonKey} — InvalidParameter: Invalid parameter`);
    expect(pipeline.logs.requests).toContain('FilterLogEvents');
  });

  it('still alerts when the log cannot be read, saying how to list the parked events', async () => {
    await pipeline.logs.stop();
    const { email } = await parkedAlarmAlert();
    expect(email?.body).toContain("Parked: the parked events' keys could not be read from the fan-out log");
    expect(email?.body).toContain('npm run redrive -- --parked');
    expect(email?.body).not.toContain(poisonKey);
  });
});

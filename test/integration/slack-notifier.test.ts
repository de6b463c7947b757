import { createServer, type Server } from 'node:http';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertPublishInput } from '../../functions/alarm-formatter/publish.js';
import { createObservability } from '../../functions/shared/observability.js';
import { SlackDeliveryError } from '../../functions/slack-notifier/slack-client.js';
import { createSlackNotifierHandler } from '../../functions/slack-notifier/slack-notifier-handler.js';
import { closeServer, LOOPBACK_HOST, listen } from '../../local/free-port.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import { cloudWatchAlarmMessage, snsEvent } from '../unit/alerts/fixtures.js';
import { capturedLogger } from '../unit/shared/logs.js';

/** What Slack would have received: one entry per HTTP request. */
interface ReceivedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: unknown;
}
interface CannedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** A stand-in for a Slack incoming webhook on 127.0.0.1: records requests, answers from a script. */
class SlackReceiver {
  readonly requests: ReceivedRequest[] = [];
  private script: CannedResponse[] = [];
  private readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        this.requests.push({
          method: request.method ?? '',
          path: request.url ?? '',
          contentType: request.headers['content-type'],
          body: text ? JSON.parse(text) : undefined,
        });
        const answer = this.script.shift() ?? { status: 200, body: 'ok' };
        response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        response.end(answer.body ?? '');
      });
    });
  }

  async start(): Promise<void> {
    this.port = await listen(this.server, 0, LOOPBACK_HOST);
  }
  stop(): Promise<void> {
    return closeServer(this.server);
  }
  /** The next requests get these answers, in order; after them, 200 "ok". */
  answer(...responses: CannedResponse[]): void {
    this.script = [...responses];
  }
  reset(): void {
    this.requests.length = 0;
    this.script = [];
  }
  webhookUrl(): string {
    return `http://${LOOPBACK_HOST}:${this.port}/services/T0000/B0000/SeCrEtToKeN`;
  }
}

describe('Slack sender against a local webhook receiver', () => {
  const receiver = new SlackReceiver();
  let sleeps: number[];
  let logs: ReturnType<typeof capturedLogger>;

  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  beforeEach(() => {
    receiver.reset();
    sleeps = [];
    logs = capturedLogger('slack-notifier');
  });
  afterEach(() => logs.restore());

  // Waits are recorded, not slept: nothing here depends on timing.
  // The deployed handler (middy, Powertools) with a 60 s invocation, as the stack configures it.
  const notifier = (secret: string = receiver.webhookUrl(), post = {}) => {
    const handler = createSlackNotifierHandler({
      ...createObservability(),
      logger: logs.logger,
      webhookSecret: async () => secret,
      post: { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5, ...post },
    });
    return (event: SNSEvent) =>
      handler(event, createLambdaContext({ functionName: 'slack-notifier', timeoutMs: 60_000 }));
  };

  const formattedAlert = () => {
    const input = alertPublishInput(
      {
        severity: 'critical',
        state: 'ALARM',
        title: 'No sent events for 60 minutes',
        meaning: 'Mail dispatch looks stopped.',
        firstAction: 'Check in Campaign whether mailings are running.',
        source: 'cloudwatch-alarm',
        alarmName: 'CampaignEvents-critical-dispatch-silence',
        occurredAt: '2026-05-04T10:05:00.000Z',
        region: 'eu-central-1',
        consoleUrl: 'https://eu-central-1.console.aws.amazon.com/cloudwatch/home',
        threadId: 'CampaignEvents-critical-dispatch-silence',
      },
      'arn:aws:sns:eu-central-1:123456789012:CampaignEvents-alerts',
    );
    // What a Lambda subscriber of the alerts topic receives: the `default` message and the attributes.
    return snsEvent([
      {
        message: JSON.parse(input.Message ?? '').default,
        subject: input.Subject ?? null,
        attributes: { severity: 'critical', state: 'ALARM', source: 'cloudwatch-alarm' },
      },
    ]);
  };

  it('posts a formatted alert as Block Kit JSON to the webhook URL', async () => {
    await notifier()(formattedAlert());
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/services/T0000/B0000/SeCrEtToKeN');
    expect(request?.contentType).toMatch(/^application\/json/);
    expect(request?.body).toMatchObject({
      text: ':rotating_light: [CRITICAL] ALARM: No sent events for 60 minutes',
      blocks: [
        { type: 'header', text: { text: ':rotating_light: CRITICAL ALARM: No sent events for 60 minutes' } },
        { type: 'section', text: { text: '*What it means:* Mail dispatch looks stopped.' } },
        {
          type: 'section',
          text: { text: '*First action:* Check in Campaign whether mailings are running.' },
        },
        { type: 'context' },
        {
          type: 'actions',
          elements: [{ type: 'button', url: 'https://eu-central-1.console.aws.amazon.com/cloudwatch/home' }],
        },
      ],
    });
  });

  it('posts a raw CloudWatch alarm (an alerting-health alarm) with the severity from its name', async () => {
    const raw = cloudWatchAlarmMessage({ AlarmName: 'CampaignEvents-critical-alarm-formatter-errors' });
    await notifier()(snsEvent([{ message: JSON.stringify(raw) }]));
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.body).toHaveProperty(
      'text',
      ':rotating_light: [CRITICAL] ALARM: Ingest API 5XX rate above 1%',
    );
  });

  it('reads the webhook URL from a JSON secret {"url": ...} as well', async () => {
    await notifier(JSON.stringify({ url: receiver.webhookUrl() }))(formattedAlert());
    expect(receiver.requests).toHaveLength(1);
  });

  it('retries after a 500 and succeeds on the next attempt', async () => {
    receiver.answer({ status: 500, body: 'rollup_error' });
    await notifier()(formattedAlert());
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]?.body).toEqual(receiver.requests[0]?.body);
    expect(sleeps).toEqual([375]); // first backoff: 500 ms ceiling, equal jitter at 0.5
  });

  it('gives up after its attempts when Slack keeps failing, and throws so Lambda retries then parks it', async () => {
    receiver.answer(...Array.from({ length: 10 }, () => ({ status: 500, body: 'rollup_error' })));
    const error = await notifier()(formattedAlert()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect((error as SlackDeliveryError).details).toEqual({
      attempts: 4,
      status: 500,
      retryable: true,
      slackError: 'rollup_error',
    });
    expect(receiver.requests).toHaveLength(4);
    expect(sleeps).toEqual([375, 750, 1500]);
    expect((error as Error).message).not.toContain('SeCrEtToKeN');
    expect(logs.lines().join('\n')).toContain('Could not post alert to Slack');
    expect(logs.lines().join('\n')).not.toContain('SeCrEtToKeN');
  });

  it('waits for Retry-After on a 429, then posts again', async () => {
    receiver.answer({ status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } });
    await notifier()(formattedAlert());
    expect(receiver.requests).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
  });

  it('leaves a long Retry-After to Lambda: fails at once, retryable', async () => {
    receiver.answer({ status: 429, body: 'rate_limited', headers: { 'retry-after': '120' } });
    const error = (await notifier()(formattedAlert()).catch(
      (caught: unknown) => caught,
    )) as SlackDeliveryError;
    expect(error.details).toMatchObject({ attempts: 1, status: 429, retryable: true });
    expect(receiver.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry an answer that cannot change (404 no_service)', async () => {
    receiver.answer({ status: 404, body: 'no_service' });
    const error = (await notifier()(formattedAlert()).catch(
      (caught: unknown) => caught,
    )) as SlackDeliveryError;
    expect(error.details).toEqual({ attempts: 1, status: 404, retryable: false, slackError: 'no_service' });
    expect(receiver.requests).toHaveLength(1);
  });

  it('retries when nothing listens, and reports the network error without the URL', async () => {
    const closed = new SlackReceiver();
    await closed.start();
    const deadUrl = closed.webhookUrl();
    await closed.stop();
    const error = (await notifier(deadUrl)(formattedAlert()).catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect(error.message).toMatch(/Could not reach Slack \(ECONNREFUSED\) on attempt 4 of 4/);
    expect(error.message).not.toContain('SeCrEtToKeN');
    expect(sleeps).toHaveLength(3);
  });

  it('fails with a clear error when the secret does not hold a usable URL, posting nothing', async () => {
    const error = (await notifier('{"webhook": "oops"}')(formattedAlert()).catch(
      (caught: unknown) => caught,
    )) as Error;
    expect(error.message).toBe('Slack webhook secret JSON must have a string "url" field');
    expect(receiver.requests).toHaveLength(0);
  });

  it('attempts every record of an event even when one fails', async () => {
    receiver.answer({ status: 400, body: 'invalid_payload' });
    const event = formattedAlert();
    event.Records.push(...formattedAlert().Records);
    const error = await notifier()(event).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect(receiver.requests).toHaveLength(2);
  });
});

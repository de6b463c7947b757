import { describe, expect, it } from 'vitest';
import { createObservability } from '../../../functions/shared/observability.js';
import {
  backoffMs,
  parseRetryAfter,
  postToSlack,
  SlackDeliveryError,
} from '../../../functions/slack-notifier/slack-client.js';
import type { SlackMessage } from '../../../functions/slack-notifier/slack-message.js';
import { createSlackNotifierHandler } from '../../../functions/slack-notifier/slack-notifier-handler.js';
import { parseWebhookSecret, WebhookSecretError } from '../../../functions/slack-notifier/webhook-secret.js';
import { createLambdaContext } from '../../../local/lambda-context.js';
import { cloudWatchAlarmMessage, snsEvent } from './fixtures.js';

const URL_TEXT = 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX';

describe('the Slack webhook secret', () => {
  it('may hold the URL itself or JSON {"url": ...}, with surrounding whitespace', () => {
    expect(parseWebhookSecret(URL_TEXT).href).toBe(URL_TEXT);
    expect(parseWebhookSecret(`  ${URL_TEXT}\n`).href).toBe(URL_TEXT);
    expect(parseWebhookSecret(JSON.stringify({ url: URL_TEXT })).href).toBe(URL_TEXT);
    expect(parseWebhookSecret(new TextEncoder().encode(URL_TEXT)).href).toBe(URL_TEXT);
  });

  it('must be https, except plain http to this machine (local testing)', () => {
    expect(parseWebhookSecret('http://127.0.0.1:8080/hook').port).toBe('8080');
    expect(() => parseWebhookSecret('http://hooks.slack.com/services/T/B/X')).toThrow(/must use https/);
  });

  it('is rejected with a precise error that never repeats the value', () => {
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /has no value/],
      ['   ', /is empty/],
      ['not a url SECRET', /is not a URL/],
      ['{"url": SECRET', /not valid JSON/],
      ['{"webhook": "https://x/SECRET"}', /string "url" field/],
    ];
    for (const [value, message] of cases) {
      let error: unknown;
      try {
        parseWebhookSecret(value);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(WebhookSecretError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('SECRET');
    }
  });
});

describe('Slack retry timing', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2026-05-04T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Mon, 04 May 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 04 May 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffMs(attempt, 500, 4000, () => 0))).toEqual([
      250, 500, 1000, 2000, 2000,
    ]);
    expect([1, 2, 3].map((attempt) => backoffMs(attempt, 500, 4000, () => 0.999999))).toEqual([
      500, 1000, 2000,
    ]);
  });
});

/**
 * A simulated clock and Slack: every request takes `requestMs` of simulated time and gets the next canned
 * answer; sleeping moves the clock. Nothing really waits, and nothing depends on real timing.
 */
function simulatedSlack(answers: Array<() => Response>, requestMs = 5000) {
  const start = Date.parse('2026-05-04T10:05:00.000Z');
  let clock = start;
  const requestsAt: number[] = [];
  const sleeps: number[] = [];
  const fetchImpl = (async () => {
    requestsAt.push(clock - start);
    clock += requestMs;
    const answer = answers[requestsAt.length - 1] ?? answers.at(-1);
    if (answer === undefined) throw new Error('no answer scripted');
    return answer();
  }) as unknown as typeof fetch;
  return {
    start,
    elapsed: () => clock - start,
    requestsAt,
    sleeps,
    post: {
      fetchImpl,
      now: () => clock,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock += ms;
      },
      random: () => 0.5,
    },
  };
}

const rateLimited = () => new Response('rate_limited', { status: 429, headers: { 'retry-after': '20' } });
const unavailable = () => new Response('service_unavailable', { status: 503 });
const hookUrl = new URL('https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX');
const message = { text: 'alert', blocks: [] } as unknown as SlackMessage;

describe('the Slack sender within its invocation', () => {
  it('without a deadline, 429s with Retry-After 20 s and slow attempts outlast a 60 s function', async () => {
    const slack = simulatedSlack([rateLimited]);
    const error = await postToSlack(hookUrl, message, slack.post).catch((caught: unknown) => caught);
    expect((error as SlackDeliveryError).details).toMatchObject({ attempts: 4, status: 429 });
    expect(slack.elapsed()).toBe(80_000);
  });

  it('stops before a wait and attempt that would pass the deadline, with a clean retryable error', async () => {
    const slack = simulatedSlack([rateLimited]);
    const deadline = slack.start + 55_000;
    const error = await postToSlack(hookUrl, message, { ...slack.post, deadline }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect((error as SlackDeliveryError).details).toEqual({
      attempts: 3,
      status: 429,
      retryable: true,
      slackError: 'rate_limited',
      outOfTime: true,
    });
    expect((error as Error).message).toBe(
      'Slack answered HTTP 429 (rate_limited) on attempt 3 of 4; not enough time left in this invocation ' +
        'to wait 20 s and try again; Lambda will retry',
    );
    expect((error as Error).message).not.toContain('SECRET');
    expect(slack.requestsAt).toEqual([0, 25_000, 50_000]);
    expect(slack.sleeps).toEqual([20_000, 20_000]);
    expect(slack.elapsed()).toBeLessThanOrEqual(55_000);
  });

  it('still uses every attempt that fits, and succeeds when Slack recovers in time', async () => {
    const slack = simulatedSlack([unavailable, unavailable, unavailable, () => new Response('ok')], 1000);
    // The fourth attempt starts at 5.625 s and may take its full 5 s timeout: it ends by 10.625 s.
    const result = await postToSlack(hookUrl, message, { ...slack.post, deadline: slack.start + 10_625 });
    expect(result).toEqual({ attempts: 4 });
    expect(slack.sleeps).toEqual([375, 750, 1500]);
    expect(slack.requestsAt).toEqual([0, 1375, 3125, 5625]);
  });

  it('does not start an attempt it cannot finish', async () => {
    const slack = simulatedSlack([() => new Response('ok')]);
    const error = await postToSlack(hookUrl, message, { ...slack.post, deadline: slack.start + 4_999 }).catch(
      (caught: unknown) => caught,
    );
    expect((error as SlackDeliveryError).details).toEqual({ attempts: 0, retryable: true, outOfTime: true });
    expect(slack.requestsAt).toEqual([]);
  });
});

describe('the Slack notifier', () => {
  const alertEvent = () => snsEvent([{ message: JSON.stringify(cloudWatchAlarmMessage()) }]);

  it("derives the deadline from the Lambda context's remaining time, minus a margin", async () => {
    for (const [remainingMs, attempts] of [
      [60_000, 3],
      [30_000, 1],
    ] as const) {
      const slack = simulatedSlack([rateLimited]);
      const notifier = createSlackNotifierHandler({
        ...createObservability(),
        webhookSecret: async () => hookUrl.href,
        post: slack.post,
      });
      const context = createLambdaContext({ timeoutMs: remainingMs, now: slack.post.now });
      const error = await notifier(alertEvent(), context).catch((caught: unknown) => caught);
      expect((error as SlackDeliveryError).details, `${remainingMs} ms left`).toMatchObject({
        attempts,
        outOfTime: true,
      });
      expect(slack.elapsed()).toBeLessThanOrEqual(remainingMs - 3000);
    }
  });
});

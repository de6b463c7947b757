import { describe, expect, it } from 'vitest';
import { backoffMs, parseRetryAfter } from '../../../functions/slack-notifier/slack-client.js';
import { parseWebhookSecret, WebhookSecretError } from '../../../functions/slack-notifier/webhook-secret.js';

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

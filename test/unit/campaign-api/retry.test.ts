import { describe, expect, it } from 'vitest';
import {
  type AttemptOutcome,
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  parseRetryAfterMs,
  resolveRetryPolicy,
  retryLoop,
} from '../../../functions/shared/campaign-api/retry.js';
import { fakeClock } from './fakes.js';

const policy = resolveRetryPolicy({
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  maxElapsedMs: 10_000,
});

function failing(retryable: boolean, retryAfterMs?: number): AttemptOutcome<string, Error> {
  return {
    ok: false,
    error: new Error('boom'),
    retryable,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

const giveUp = (error: Error, attempts: number, reason: string | undefined) =>
  new Error(`${error.message} after ${attempts}${reason ? `: ${reason}` : ''}`);

describe('backoffDelayMs (full jitter)', () => {
  it('draws from a window that doubles per retry and is capped', () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(1, policy, top)).toBe(99);
    expect(backoffDelayMs(2, policy, top)).toBe(199);
    expect(backoffDelayMs(3, policy, top)).toBe(399);
    expect(backoffDelayMs(5, policy, top)).toBe(999);
    expect(backoffDelayMs(12, policy, top)).toBe(999);
  });

  it('can be anywhere from zero (jitter spreads retries of parallel callers)', () => {
    expect(backoffDelayMs(4, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(4, policy, () => 0.5)).toBe(400);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfterMs('3', 0)).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent or malformed values', () => {
    expect(parseRetryAfterMs(null, 0)).toBeUndefined();
    expect(parseRetryAfterMs('', 0)).toBeUndefined();
    expect(parseRetryAfterMs('soon', 0)).toBeUndefined();
    expect(parseRetryAfterMs('-1', 0)).toBeUndefined();
  });
});

describe('resolveRetryPolicy', () => {
  it('fills in defaults and rejects nonsense', () => {
    expect(resolveRetryPolicy()).toEqual(DEFAULT_RETRY_POLICY);
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryPolicy({ baseDelayMs: -1 })).toThrow(/baseDelayMs/);
  });
});

describe('retryLoop', () => {
  it('returns the first success, waiting a jittered backoff between attempts', async () => {
    const clock = fakeClock(0.5);
    const outcomes = [failing(true), failing(true), { ok: true as const, value: 'done' }];
    const result = await retryLoop(async () => outcomes.shift() as AttemptOutcome<string, Error>, {
      policy,
      clock,
      giveUp,
    });
    expect(result).toBe('done');
    expect(clock.sleeps).toEqual([50, 100]);
  });

  it('does not retry a non-retryable failure', async () => {
    const clock = fakeClock();
    let attempts = 0;
    await expect(
      retryLoop(
        async () => {
          attempts++;
          return failing(false);
        },
        { policy, clock, giveUp },
      ),
    ).rejects.toThrow('boom after 1');
    expect(attempts).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('stops after maxAttempts and says so', async () => {
    const clock = fakeClock();
    let attempts = 0;
    await expect(
      retryLoop(
        async () => {
          attempts++;
          return failing(true);
        },
        { policy, clock, giveUp },
      ),
    ).rejects.toThrow('boom after 5: gave up after 5 attempts');
    expect(attempts).toBe(5);
    expect(clock.sleeps).toHaveLength(4);
  });

  it('honours Retry-After instead of its own backoff', async () => {
    const clock = fakeClock();
    const outcomes = [failing(true, 2500), { ok: true as const, value: 'ok' }];
    await retryLoop(async () => outcomes.shift() as AttemptOutcome<string, Error>, { policy, clock, giveUp });
    expect(clock.sleeps).toEqual([2500]);
  });

  it('gives up at once when Retry-After exceeds what it may wait', async () => {
    const clock = fakeClock();
    await expect(retryLoop(async () => failing(true, 120_000), { policy, clock, giveUp })).rejects.toThrow(
      /asked to retry after 120s, longer than the 30s allowed/,
    );
    expect(clock.sleeps).toEqual([]);
  });

  it('never starts a wait that would end after the time budget', async () => {
    const clock = fakeClock(0.999);
    const tight = resolveRetryPolicy({
      maxAttempts: 100,
      baseDelayMs: 1000,
      maxDelayMs: 1000,
      maxElapsedMs: 2500,
    });
    let attempts = 0;
    await expect(
      retryLoop(
        async () => {
          attempts++;
          return failing(true);
        },
        { policy: tight, clock, giveUp },
      ),
    ).rejects.toThrow(/retry budget of 3s exhausted/);
    expect(clock.sleeps).toEqual([999, 999]);
    expect(attempts).toBe(3);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(tight.maxElapsedMs);
  });

  it('reports each retry before waiting', async () => {
    const clock = fakeClock(0);
    const seen: number[] = [];
    const outcomes = [failing(true), failing(true), { ok: true as const, value: 'x' }];
    await retryLoop(async () => outcomes.shift() as AttemptOutcome<string, Error>, {
      policy,
      clock,
      giveUp,
      onRetry: (event) => seen.push(event.attempt),
    });
    expect(seen).toEqual([1, 2]);
  });
});

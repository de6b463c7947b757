/**
 * Retry timing for Campaign API calls: exponential backoff with full jitter, Retry-After honoured,
 * bounded both in attempts and in total time. Time is injected ({@link Clock}) so tests never wait.
 */

export interface RetryPolicy {
  /** Attempts per call, the first one included. */
  readonly maxAttempts: number;
  /** Cap of the first backoff window; doubles with each retry. */
  readonly baseDelayMs: number;
  /** Largest backoff window. */
  readonly maxDelayMs: number;
  /** Time budget for one call, retries and waits included; no retry starts that would end after it. */
  readonly maxElapsedMs: number;
  /** Longest Retry-After honoured; a longer one ends the retries (the budget could not cover it). */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 300,
  maxDelayMs: 10_000,
  maxElapsedMs: 60_000,
  maxRetryAfterMs: 30_000,
};

export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Full jitter: a uniform wait in [0, min(maxDelay, base * 2^(retry-1))). `retry` counts from 1. */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * window);
}

/** A Retry-After header (delay-seconds or an HTTP date) as milliseconds from `nowMs`; undefined if absent/bad. */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // HTTP-date only (e.g. "Wed, 21 Oct 2015 07:28:00 GMT"): Date.parse alone would take "-1" for a year.
  if (!/^[A-Za-z]{3},\s/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`Retry policy ${name} must be >= 0, got ${value}`);
  }
  if (policy.maxAttempts < 1) throw new Error('Retry policy maxAttempts must be at least 1');
  return policy;
}

/** The outcome of one attempt, as the caller classified it. */
export type AttemptOutcome<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E; readonly retryable: boolean; readonly retryAfterMs?: number };

export interface RetryEvent<E> {
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: E;
}

export interface RetryLoopOptions<E> {
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly onRetry?: (event: RetryEvent<E>) => void;
  /** Builds the final error: the last attempt's error, the attempts made, and why retrying stopped. */
  readonly giveUp: (error: E, attempts: number, reason: string | undefined) => Error;
}

/** Runs `attempt` until it succeeds, fails without retry, or the policy's bounds are reached. */
export async function retryLoop<T, E>(
  attempt: (attemptNumber: number) => Promise<AttemptOutcome<T, E>>,
  options: RetryLoopOptions<E>,
): Promise<T> {
  const { policy, clock } = options;
  const started = clock.now();
  for (let attemptNumber = 1; ; attemptNumber++) {
    const outcome = await attempt(attemptNumber);
    if (outcome.ok) return outcome.value;
    if (!outcome.retryable) throw options.giveUp(outcome.error, attemptNumber, undefined);
    if (attemptNumber >= policy.maxAttempts) {
      throw options.giveUp(outcome.error, attemptNumber, `gave up after ${policy.maxAttempts} attempts`);
    }
    if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > policy.maxRetryAfterMs) {
      throw options.giveUp(
        outcome.error,
        attemptNumber,
        `Campaign asked to retry after ${Math.ceil(outcome.retryAfterMs / 1000)}s, longer than the ${Math.ceil(policy.maxRetryAfterMs / 1000)}s allowed`,
      );
    }
    const delayMs = outcome.retryAfterMs ?? backoffDelayMs(attemptNumber, policy, clock.random);
    const elapsed = clock.now() - started;
    if (elapsed + delayMs > policy.maxElapsedMs) {
      throw options.giveUp(
        outcome.error,
        attemptNumber,
        `gave up: retry budget of ${Math.round(policy.maxElapsedMs / 1000)}s exhausted`,
      );
    }
    options.onRetry?.({ attempt: attemptNumber, delayMs, error: outcome.error });
    await clock.sleep(delayMs, options.signal);
  }
}

/**
 * Exponential backoff with full jitter (a delay drawn uniformly from 0 to min(cap, base·2^attempt)):
 * retries of many concurrent callers spread out instead of arriving together, and the expected wait
 * stays half the exponential's.
 */
export interface BackoffPolicy {
  /** The first retry's delay bound. */
  readonly baseMs: number;
  /** The largest delay bound. */
  readonly capMs: number;
}

/** 50 ms doubling to 2 s: ten attempts wait about 5 s on average, well inside a 60 s invocation. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 50, capMs: 2_000 };

/** The delay before retry number `attempt` (0 for the first retry); `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const bound = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * bound);
}

export interface RetryClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export const SYSTEM_CLOCK: RetryClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * Waits before retry number `attempt`, unless the wait would end after `deadline` (epoch ms): then it
 * returns false at once and the caller stops retrying.
 */
export async function waitForRetry(
  attempt: number,
  deadline: number,
  policy: BackoffPolicy,
  clock: RetryClock,
): Promise<boolean> {
  const delay = backoffDelay(attempt, policy, clock.random);
  if (clock.now() + delay >= deadline) return false;
  await clock.sleep(delay);
  return true;
}

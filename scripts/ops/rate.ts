/**
 * A token bucket: at most `perSecond` units a second on average, bursts of one second's worth. The
 * operator commands take read units from one (the scan) and writes or publishes from another, so a run
 * never takes more of the table's or topic's capacity than the operator allowed.
 */
export interface RateLimiter {
  /** Waits until `units` may be spent (a request larger than a second's worth waits for the debt). */
  take(units: number): Promise<void>;
}

export interface Clock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function createRateLimiter(perSecond: number, clock: Clock = REAL_CLOCK): RateLimiter {
  if (!(perSecond > 0)) throw new RangeError(`A rate must be positive, got ${perSecond}`);
  let tokens = perSecond;
  let last = clock.now();
  let queue: Promise<void> = Promise.resolve();
  const refill = () => {
    const now = clock.now();
    tokens = Math.min(perSecond, tokens + ((now - last) / 1000) * perSecond);
    last = now;
  };
  return {
    take(units) {
      // Takers queue up, so concurrent segments share the rate instead of each getting it.
      const turn = queue.then(async () => {
        refill();
        tokens -= units;
        if (tokens < 0) await clock.sleep((-tokens / perSecond) * 1000);
      });
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}

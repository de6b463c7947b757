import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  type RetryClock,
  waitForRetry,
} from '../../../functions/fan-out/backoff.js';
import { publishFailureKind } from '../../../functions/fan-out/publish-errors.js';
import { publishWithRetry } from '../../../functions/fan-out/publish-with-retry.js';
import type { MessageToPublish, Publisher, PublishFailure } from '../../../functions/fan-out/publisher.js';

/** A clock that only moves when the code under test sleeps. */
function fakeClock(random: () => number = () => 0.5): RetryClock & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    random,
  };
}

describe('backoff with full jitter', () => {
  test.prop([fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 0.999999, noNaN: true })])(
    'draws each delay from 0 up to min(cap, base·2^attempt)',
    (attempt, random) => {
      const delay = backoffDelay(attempt, DEFAULT_BACKOFF, () => random);
      const bound = Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(bound);
      expect(delay).toBe(Math.floor(random * bound));
    },
  );

  it('doubles the bound until the cap', () => {
    const bounds = [0, 1, 2, 3, 4, 5, 6, 10].map((attempt) =>
      backoffDelay(attempt, { baseMs: 50, capMs: 2000 }, () => 0.999999),
    );
    expect(bounds).toEqual([49, 99, 199, 399, 799, 1599, 1999, 1999]);
  });

  it('does not wait past the deadline: it says stop instead', async () => {
    const clock = fakeClock(() => 0.999);
    expect(await waitForRetry(5, clock.now() + 10_000, DEFAULT_BACKOFF, clock)).toBe(true);
    expect(await waitForRetry(5, clock.now() + 100, DEFAULT_BACKOFF, clock)).toBe(false);
    expect(clock.slept).toHaveLength(1);
  });
});

describe('SNS publish failure classification', () => {
  // Codes of PublishBatch's Failed[] entries and errors (docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html).
  it.each([
    'InvalidParameter',
    'InvalidParameterValue',
    'InvalidParameterException',
    'InvalidParameterValueException',
    'ValidationException',
    'ValidationError',
    'MessageTooLarge',
  ])('%s is the message itself: permanent, park it', (code) => {
    expect(publishFailureKind(code)).toBe('permanent');
  });

  it.each([
    'InternalError',
    'InternalErrorException',
    'Throttled',
    'ThrottlingException',
    'ServiceUnavailable',
    'KMSThrottling',
    'KMSThrottlingException',
    // Sender faults that fail every message alike and a deploy fixes: the shard waits instead.
    'AuthorizationError',
    'AuthorizationErrorException',
    'NotFound',
    'NotFoundException',
    'KMSDisabled',
    'KMSInvalidState',
    'KMSNotFound',
    'KMSAccessDenied',
    'KMSOptInRequired',
    'InvalidSecurity',
    'TimeoutError',
    'MissingFromResponse',
    'SomethingNew',
  ])('%s is transient: wait and retry', (code) => {
    expect(publishFailureKind(code)).toBe('transient');
  });
});

describe('publishWithRetry', () => {
  const messages = (count: number): MessageToPublish[] =>
    Array.from({ length: count }, (_, index) => ({ id: String(index), body: `m${index}`, attributes: {} }));

  /** SNS that answers each entry with `answer(body, attempt)`: undefined publishes it. */
  function sns(
    answer: (body: string, attempt: number, batchSize: number) => Omit<PublishFailure, 'id'> | undefined,
  ) {
    const attempts = new Map<string, number>();
    const sent: string[][] = [];
    const publisher: Publisher = {
      async publish(_topic, batch) {
        sent.push(batch.map((message) => message.body));
        const failures: PublishFailure[] = [];
        const publishedIds: string[] = [];
        for (const message of batch) {
          const attempt = (attempts.get(message.body) ?? 0) + 1;
          attempts.set(message.body, attempt);
          const failure = answer(message.body, attempt, batch.length);
          if (failure) failures.push({ id: message.id, ...failure });
          else publishedIds.push(message.id);
        }
        return { publishedIds, failures, requests: Math.ceil(batch.length / 10) };
      },
    };
    return { publisher, sent, attempts };
  }

  it('retries transient refusals with growing delays until every message is out, publishing none twice', async () => {
    const { publisher, attempts } = sns((_body, attempt) =>
      attempt <= 3 ? { code: 'InternalError', message: 'try again' } : undefined,
    );
    const clock = fakeClock();
    const outcome = await publishWithRetry(publisher, 'topic', messages(5), {
      deadline: clock.now() + 50_000,
      policy: DEFAULT_BACKOFF,
      clock,
    });
    expect(outcome.publishedIds.size).toBe(5);
    expect([...attempts.values()]).toEqual([4, 4, 4, 4, 4]);
    expect(clock.slept).toEqual([25, 50, 100]);
    expect(outcome.retries).toBe(15);
  });

  it('stops at the deadline and reports what is still failing as transient', async () => {
    const { publisher } = sns(() => ({ code: 'Throttled', message: 'slow down' }));
    const clock = fakeClock();
    const start = clock.now();
    const outcome = await publishWithRetry(publisher, 'topic', messages(3), {
      deadline: start + 10_000,
      policy: DEFAULT_BACKOFF,
      clock,
    });
    expect(outcome.publishedIds.size).toBe(0);
    expect([...outcome.transient.keys()]).toEqual(['0', '1', '2']);
    expect(clock.now()).toBeLessThan(start + 10_000);
    expect(clock.slept.length).toBeGreaterThan(5);
  });

  it('does not retry a message SNS calls invalid', async () => {
    const { publisher, attempts } = sns((body) =>
      body === 'm1' ? { code: 'InvalidParameter', message: 'Invalid parameter: Message' } : undefined,
    );
    const clock = fakeClock();
    const outcome = await publishWithRetry(publisher, 'topic', messages(3), {
      deadline: clock.now() + 50_000,
      policy: DEFAULT_BACKOFF,
      clock,
    });
    expect([...outcome.permanent.keys()]).toEqual(['1']);
    expect(attempts.get('m1')).toBe(1);
    expect(outcome.publishedIds).toEqual(new Set(['0', '2']));
  });

  it('isolates a message whose call was refused as a whole, so its neighbours are not condemned with it', async () => {
    // SNS refuses any call that carries m2 (the whole call), as it does for some request-level errors.
    const { publisher, sent } = sns(() => undefined);
    const wholeCall: Publisher = {
      async publish(topic, batch) {
        if (batch.some((message) => message.body === 'm2')) {
          return {
            publishedIds: [],
            failures: batch.map((message) => ({
              id: message.id,
              code: 'InvalidParameterException',
              message: 'bad attribute',
              wholeCall: true,
            })),
            requests: 1,
          };
        }
        return publisher.publish(topic, batch);
      },
    };
    const clock = fakeClock();
    const outcome = await publishWithRetry(wholeCall, 'topic', messages(4), {
      deadline: clock.now() + 50_000,
      policy: DEFAULT_BACKOFF,
      clock,
    });
    expect([...outcome.permanent.keys()]).toEqual(['2']);
    expect(outcome.publishedIds).toEqual(new Set(['0', '1', '3']));
    expect(sent.flat().filter((body) => body === 'm0')).toHaveLength(1);
  });

  it('at 30% transient entry failures, 10 attempts are almost always enough (0.3^10 ≈ 6e-6 per entry)', async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const { publisher } = sns(() => (random() < 0.3 ? { code: 'InternalError', message: '' } : undefined));
    const clock = fakeClock(random);
    const outcome = await publishWithRetry(publisher, 'topic', messages(1000), {
      deadline: clock.now() + 50_000,
      policy: DEFAULT_BACKOFF,
      clock,
    });
    expect(outcome.publishedIds.size).toBe(1000);
    // Expected attempts per message: 1 / 0.7.
    expect((1000 + outcome.retries) / 1000).toBeLessThan(1.5);
  });
});

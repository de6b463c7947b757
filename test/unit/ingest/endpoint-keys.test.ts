import { describe, expect, it } from 'vitest';
import {
  createEndpointKeyVerifier,
  EndpointKeySecretError,
} from '../../../functions/ingest/endpoint-keys.js';

/**
 * A loader that behaves like Powertools getSecret with a long cache: the same object until a forced
 * fetch, which returns the value stored now.
 */
function secretStore(initial: unknown) {
  let stored = initial;
  let cached: unknown;
  const fetches: boolean[] = [];
  return {
    fetches,
    rotate(next: unknown) {
      stored = next;
    },
    load: async ({ forceFetch }: { forceFetch: boolean }) => {
      fetches.push(forceFetch);
      if (cached === undefined || forceFetch) cached = structuredClone(stored);
      return cached;
    },
  };
}

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('createEndpointKeyVerifier', () => {
  it('accepts the current and the previous key and nothing else', async () => {
    const secret = secretStore({ current: 'new-key', previous: 'old-key' });
    const time = clock();
    const verifier = createEndpointKeyVerifier({ load: secret.load, now: time.now });
    expect(await verifier.verify('new-key')).toBe(true);
    expect(await verifier.verify('old-key')).toBe(true);
    expect(await verifier.verify('new-ke')).toBe(false);
    expect(await verifier.verify('new-key ')).toBe(false);
    expect(await verifier.verify('')).toBe(false);
  });

  it('never matches an empty previous key', async () => {
    const secret = secretStore({ current: 'key', previous: '' });
    const verifier = createEndpointKeyVerifier({ load: secret.load });
    expect(await verifier.verify('')).toBe(false);
    expect(await verifier.verify('key')).toBe(true);
  });

  it('accepts a secret given as JSON text', async () => {
    const verifier = createEndpointKeyVerifier({ load: async () => '{"current":"k","previous":null}' });
    expect(await verifier.verify('k')).toBe(true);
  });

  it('picks up a rotated key at once, with one forced fetch, once the cache is 30 s old', async () => {
    const secret = secretStore({ current: 'first', previous: '' });
    const time = clock();
    const verifier = createEndpointKeyVerifier({ load: secret.load, now: time.now });
    expect(await verifier.verify('first')).toBe(true);
    secret.rotate({ current: 'second', previous: 'first' });

    time.advance(10_000);
    expect(await verifier.verify('second')).toBe(false);
    expect(secret.fetches).toEqual([false, false]);

    time.advance(25_000);
    expect(await verifier.verify('second')).toBe(true);
    expect(secret.fetches).toEqual([false, false, false, true]);
    expect(await verifier.verify('first')).toBe(true);
  });

  it('lets a stream of wrong keys force at most one fetch per 30 s', async () => {
    const secret = secretStore({ current: 'key', previous: '' });
    const time = clock();
    const verifier = createEndpointKeyVerifier({ load: secret.load, now: time.now });
    await verifier.verify('key');
    time.advance(31_000);
    for (let attempt = 0; attempt < 20; attempt++) {
      expect(await verifier.verify(`wrong-${attempt}`)).toBe(false);
      time.advance(1_000);
    }
    // 20 s of wrong keys after the cache turned 31 s old: exactly one forced fetch.
    expect(secret.fetches.filter(Boolean)).toHaveLength(1);
    time.advance(10_000);
    await verifier.verify('wrong-again');
    expect(secret.fetches.filter(Boolean)).toHaveLength(2);
  });

  it('accepts what the reconciler and rotate-key accept: null previous, spaces inside a key', async () => {
    const verifier = createEndpointKeyVerifier({
      load: async () => ({ current: 'key with spaces', previous: null }),
    });
    expect(await verifier.verify('key with spaces')).toBe(true);
    expect(await verifier.verify('')).toBe(false);
  });

  it('refuses a secret without the expected shape', async () => {
    for (const value of [
      { previous: 'x' },
      { current: '' },
      { current: 'k', previous: 3 },
      { current: ' padded-key' },
      'not json',
      null,
    ]) {
      const verifier = createEndpointKeyVerifier({ load: async () => value });
      await expect(verifier.verify('k'), JSON.stringify(value)).rejects.toBeInstanceOf(
        EndpointKeySecretError,
      );
    }
  });
});

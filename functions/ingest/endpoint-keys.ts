import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks a presented endpoint key against the secret `{"current": "<key>", "previous": "<key or empty>"}`.
 *
 * Both keys are accepted, so a rotation (new key in `current`, old one moved to `previous`) never drops
 * traffic that Campaign still signs with the old key. The secret is read through a cached loader
 * (Powertools Parameters in production); when a key matches neither cached value and the cached value
 * is older than `refetchAfterMs`, the secret is fetched once more, bypassing the cache, so a rotation
 * takes effect at once while a stream of bad keys costs at most one fetch per `refetchAfterMs`.
 */
export type SecretLoader = (options: { readonly forceFetch: boolean }) => Promise<unknown>;

export interface EndpointKeyVerifierOptions {
  readonly load: SecretLoader;
  /** @default 30_000 */
  readonly refetchAfterMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface EndpointKeyVerifier {
  /** True when `presented` equals the current or the previous key (compared in constant time). */
  verify(presented: string): Promise<boolean>;
}

/** The secret does not hold the expected JSON; no request can be authenticated until it is fixed. */
export class EndpointKeySecretError extends Error {
  override readonly name = 'EndpointKeySecretError';
}

export function createEndpointKeyVerifier(options: EndpointKeyVerifierOptions): EndpointKeyVerifier {
  const refetchAfterMs = options.refetchAfterMs ?? 30_000;
  const now = options.now ?? (() => Date.now());
  let lastValue: unknown;
  let lastDigests: readonly Buffer[] = [];
  let freshSince = Number.NEGATIVE_INFINITY;

  async function keyDigests(forceFetch: boolean): Promise<readonly Buffer[]> {
    const value = await options.load({ forceFetch });
    // The loader returns its cached object until it fetches again, so a new object means a fresh value.
    if (forceFetch || value !== lastValue) {
      freshSince = now();
    }
    if (value !== lastValue) {
      lastDigests = parseKeys(value).map(digest);
      lastValue = value;
    }
    return lastDigests;
  }

  return {
    async verify(presented) {
      if (presented === '') return false;
      const presentedDigest = digest(presented);
      if (matchesAny(presentedDigest, await keyDigests(false))) return true;
      if (now() - freshSince < refetchAfterMs) return false;
      return matchesAny(presentedDigest, await keyDigests(true));
    },
  };
}

function parseKeys(value: unknown): string[] {
  let secret = value;
  if (typeof secret === 'string') {
    try {
      secret = JSON.parse(secret);
    } catch {
      throw new EndpointKeySecretError('The endpoint key secret is not JSON');
    }
  }
  const { current, previous } = (secret ?? {}) as { current?: unknown; previous?: unknown };
  if (typeof current !== 'string' || current === '') {
    throw new EndpointKeySecretError('The endpoint key secret has no non-empty "current" key');
  }
  if (previous !== undefined && previous !== null && typeof previous !== 'string') {
    throw new EndpointKeySecretError('The endpoint key secret\'s "previous" key must be a string');
  }
  // An empty previous key means "none": it must never match an empty or missing header.
  return typeof previous === 'string' && previous !== '' ? [current, previous] : [current];
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Compares against every key (no early exit), each in constant time over equal-length digests. */
function matchesAny(presented: Buffer, keys: readonly Buffer[]): boolean {
  let matched = false;
  for (const key of keys) matched = timingSafeEqual(presented, key) || matched;
  return matched;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { parseEndpointKeySecret } from '../shared/endpoint-key-secret.js';

export { EndpointKeySecretError } from '../shared/endpoint-key-secret.js';

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

/** The keys to accept; the secret is parsed by the one parser every reader of it uses. */
function parseKeys(value: unknown): string[] {
  const { current, previous } = parseEndpointKeySecret(value);
  // An empty previous key means "none": it must never match an empty or missing header.
  return previous === '' ? [current] : [current, previous];
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

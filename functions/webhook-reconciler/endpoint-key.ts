import { randomBytes } from 'node:crypto';
import type { EndpointKeys } from '../shared/endpoint-key-secret.js';

// The secret's writer, kept importable from here for the local runner (local/run/run.ts).
export { serializeEndpointKeys } from '../shared/endpoint-key-secret.js';

/**
 * Rotation of the endpoint-key secret (`functions/shared/endpoint-key-secret.ts` reads and writes it): a
 * new key becomes `current` while the old one stays valid as `previous`, until the rotation is finished.
 */

export class EndpointKeyError extends Error {
  override readonly name = 'EndpointKeyError';
}

/** A new random key: 32 bytes, base64url (43 characters, safe in a header). */
export function generateEndpointKey(): string {
  return randomBytes(32).toString('base64url');
}

/** Step 1 of a rotation: a new current key, the old one kept as previous so both are accepted meanwhile. */
export function rotatedKeys(keys: EndpointKeys, newKey: string = generateEndpointKey()): EndpointKeys {
  if (newKey === keys.current) throw new EndpointKeyError('The new endpoint key equals the current one');
  return { current: newKey, previous: keys.current };
}

/** Step 3 of a rotation: only the current key is accepted. */
export function retiredPreviousKey(keys: EndpointKeys): EndpointKeys {
  return { current: keys.current, previous: '' };
}

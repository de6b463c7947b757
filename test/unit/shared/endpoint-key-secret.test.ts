import { describe, expect, it } from 'vitest';
import {
  EndpointKeySecretError,
  parseEndpointKeySecret,
  serializeEndpointKeys,
} from '../../../functions/shared/endpoint-key-secret.js';

/** The error a value raises, so a test can check both its class and that it never quotes a key. */
function failureOf(value: unknown, secretId?: string): Error {
  try {
    parseEndpointKeySecret(value, secretId);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('parseEndpointKeySecret: the one reading of the endpoint-key secret', () => {
  it('reads the JSON text and the object parsed from it alike', () => {
    const keys = { current: 'new-key', previous: 'old-key' };
    expect(parseEndpointKeySecret(JSON.stringify(keys))).toEqual(keys);
    expect(parseEndpointKeySecret(keys)).toEqual(keys);
  });

  it('takes a missing, empty or null previous key as "none"', () => {
    for (const previous of [undefined, '', null]) {
      expect(parseEndpointKeySecret({ current: 'k', previous }), String(previous)).toEqual({
        current: 'k',
        previous: '',
      });
    }
    expect(parseEndpointKeySecret('{"current":"k","previous":null}')).toEqual({ current: 'k', previous: '' });
  });

  it('accepts any key without surrounding whitespace, spaces inside included, and ignores other fields', () => {
    expect(parseEndpointKeySecret({ current: 'key with spaces', previous: 'äöü-key' })).toEqual({
      current: 'key with spaces',
      previous: 'äöü-key',
    });
    expect(parseEndpointKeySecret({ current: 'k', note: 'rotated 2026-05-04' })).toEqual({
      current: 'k',
      previous: '',
    });
  });

  it('refuses what no request could ever match, naming what is wrong and never a key', () => {
    const cases: Array<[unknown, string]> = [
      [{ current: '' }, '"current" must be a non-empty string without surrounding whitespace'],
      [{ current: ' SECRET' }, '"current" must be a non-empty string without surrounding whitespace'],
      [{ current: 'SECRET\n' }, '"current" must be a non-empty string without surrounding whitespace'],
      [{ previous: 'SECRET' }, '"current" must be a non-empty string without surrounding whitespace'],
      [{ current: 42 }, '"current" must be a non-empty string without surrounding whitespace'],
      [{ current: 'SECRET', previous: 3 }, '"previous" must be a string (empty when there is none) or null'],
      [null, 'it is not a JSON object'],
      ['"SECRET"', 'it is not a JSON object'],
    ];
    for (const [value, problem] of cases) {
      const error = failureOf(value, 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:ek-AbCdEf');
      expect(error, JSON.stringify(value)).toBeInstanceOf(EndpointKeySecretError);
      expect(error.message).toBe(
        'Endpoint-key secret arn:aws:secretsmanager:eu-central-1:123456789012:secret:ek-AbCdEf must hold ' +
          `{"current": "<key>", "previous": "<older key, empty or null>"}: ${problem}`,
      );
      expect(error.message).not.toContain('SECRET');
    }
  });

  it('says when the text is not JSON at all, without repeating it', () => {
    const error = failureOf('SECRET-not-json');
    expect(error).toBeInstanceOf(EndpointKeySecretError);
    expect(error.message).toBe(
      'The endpoint-key secret is not JSON; it must hold {"current": "<key>", "previous": "<older key, empty or null>"}',
    );
  });

  it('writes what it reads', () => {
    const keys = { current: 'c', previous: '' };
    expect(JSON.parse(serializeEndpointKeys(keys))).toEqual(keys);
    expect(parseEndpointKeySecret(serializeEndpointKeys(keys))).toEqual(keys);
  });
});

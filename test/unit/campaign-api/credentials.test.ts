import { describe, expect, it } from 'vitest';
import { credentialsFromEnv, parseCredentials } from '../../../functions/shared/campaign-api/credentials.js';

describe('parseCredentials', () => {
  it('reads {"username", "password"} and ignores other fields', () => {
    expect(parseCredentials('{"username":"api-user","password":"pw","note":"x"}', 'campaign/api')).toEqual({
      username: 'api-user',
      password: 'pw',
    });
  });

  it.each([
    ['', /has no SecretString/],
    ['not json', /is not JSON/],
    ['{"user":"a","password":"b"}', /check: username/],
    ['{"username":"a:b","password":"b"}', /check: username/],
    ['{"username":"a","password":""}', /check: password/],
  ])('rejects %j with a message naming the secret and the shape', (value, pattern) => {
    expect(() => parseCredentials(value, 'campaign/api')).toThrow(pattern);
    expect(() => parseCredentials(value, 'campaign/api')).toThrow(/campaign\/api/);
  });

  it('never repeats the secret content in its error', () => {
    const value = '{"username":"","password":"Very-Secret-Value"}';
    expect(() => parseCredentials(value, 'campaign/api')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('Very-Secret-Value') }),
    );
  });
});

describe('credentialsFromEnv', () => {
  it('needs both variables', () => {
    expect(credentialsFromEnv({ CAMPAIGN_API_USER: 'u', CAMPAIGN_API_PASSWORD: 'p' })).toEqual({
      username: 'u',
      password: 'p',
    });
    expect(credentialsFromEnv({ CAMPAIGN_API_USER: 'u' })).toBeUndefined();
  });
});

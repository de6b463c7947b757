import { describe, expect, it } from 'vitest';
import { CampaignApiClient } from '../../../../functions/shared/campaign-api/client.js';
import { ConfigError, parseConfig } from '../../../../infra/config.js';

const credentials = { username: 'api-user', password: 'api-secret' };

describe('the Campaign API base URL', () => {
  it('is refused at synth unless https (the credentials travel with every request)', () => {
    const withBaseUrl = (apiBaseUrl: string) => () =>
      parseConfig({ campaign: { clientIds: [1], apiBaseUrl } });
    expect(withBaseUrl('http://api.campaign.episerver.net/rest')).toThrow(ConfigError);
    expect(withBaseUrl('http://api.campaign.episerver.net/rest')).toThrow(
      /campaign\.apiBaseUrl.*must be an https URL/s,
    );
    expect(withBaseUrl('ftp://example.com')).toThrow(/must be an https URL/);
    expect(withBaseUrl('not a url')).toThrow(/is not a URL/);
    expect(withBaseUrl('https://api.campaign.episerver.net/rest')()).toMatchObject({
      campaign: { apiBaseUrl: 'https://api.campaign.episerver.net/rest' },
    });
  });

  it('may be plain http to a loopback address only (the local run’s simulator)', () => {
    for (const url of [
      'http://127.0.0.1:4010/rest',
      'http://localhost:4010/rest',
      'http://[::1]:4010/rest',
    ]) {
      expect(parseConfig({ campaign: { clientIds: [1], apiBaseUrl: url } }).campaign.apiBaseUrl).toBe(url);
      expect(() => new CampaignApiClient({ credentials, baseUrl: url })).not.toThrow();
    }
  });

  it('is refused by the client too, before any request', () => {
    for (const url of [
      'http://api.campaign.episerver.net/rest',
      'http://10.0.0.8/rest',
      'http://127.evil.example/rest',
    ]) {
      expect(() => new CampaignApiClient({ credentials, baseUrl: url })).toThrow(/must be an https URL/);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { CAMPAIGN_EVENT_TYPES } from '../../functions/shared/campaign-event-types.js';
import { ConfigError, configFromContext, parseConfig } from '../../infra/config.js';

const minimal = { campaign: { clientIds: [100001] } };

describe('deployment configuration', () => {
  it('applies the documented defaults to a minimal configuration', () => {
    const config = parseConfig(minimal);
    expect(config.stackName).toBe('CampaignEvents');
    expect(config.eventTypes).toEqual([...CAMPAIGN_EVENT_TYPES]);
    expect(config.retentionDays).toBe(30);
    expect(config.retainData).toBe(true);
    expect(config.api.allowedSourceIps).toEqual(['193.169.180.1/32']);
    expect(config.api.allowAnySourceIp).toBe(false);
    expect(config.api.authHeaderName).toBe('X-Campaign-Webhook-Key');
    expect(config.campaign.apiBaseUrl).toBe('https://api.campaign.episerver.net/rest');
    expect(config.campaign.registerWebhooks).toBe(true);
    expect(config.campaign.verifyMailingId).toBeUndefined();
    expect(config.alerts.emails).toEqual([]);
  });

  it('names every bad value by its path', () => {
    const attempt = () =>
      parseConfig({
        retentionDays: 0,
        eventTypes: ['sent', 'teleport'],
        api: { allowedSourceIps: ['300.1.1.1/32'], authHeaderName: 'bad header' },
        campaign: { clientIds: [] },
      });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toContain('campaignEvents.retentionDays');
    expect(message).toContain('campaignEvents.eventTypes.1');
    expect(message).toContain('campaignEvents.api.allowedSourceIps.0');
    expect(message).toContain('campaignEvents.api.authHeaderName');
    expect(message).toContain('campaignEvents.campaign.clientIds');
  });

  it('rejects unknown options instead of ignoring a typo', () => {
    expect(() => parseConfig({ ...minimal, retentionDay: 7 })).toThrow(/retentionDay/);
  });

  it('rejects a repeated event type', () => {
    expect(() => parseConfig({ ...minimal, eventTypes: ['sent', 'sent'] })).toThrow(/must not repeat/);
  });

  it('accepts the context as a JSON string (cdk -c campaignEvents=...)', () => {
    expect(configFromContext(JSON.stringify({ ...minimal, retentionDays: 7 })).retentionDays).toBe(7);
    expect(() => configFromContext('{not json')).toThrow(/not valid JSON/);
    expect(() => configFromContext(undefined)).toThrow(/Missing cdk.json context/);
  });
});

describe('cross-field rules', () => {
  it('reports a burst limit below the rate limit by its path', () => {
    expect(() =>
      parseConfig({ ...minimal, api: { throttlingRateLimit: 100, throttlingBurstLimit: 10 } }),
    ).toThrow(/campaignEvents\.api\.throttlingBurstLimit: got 10; must be at least throttlingRateLimit/);
  });

  it('reports equal active hours by path', () => {
    expect(() =>
      parseConfig({
        ...minimal,
        alerts: { dispatchSilence: { activeHoursUtc: { startHour: 6, endHour: 6 } } },
      }),
    ).toThrow(/campaignEvents\.alerts\.dispatchSilence\.activeHoursUtc/);
  });
});

import { describe, expect, it } from 'vitest';
import { CAMPAIGN_EVENT_TYPES } from '../../functions/shared/campaign-event-types.js';
import { CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';

describe('CampaignEventFactory', () => {
  it('spreads a batch over every requested type', () => {
    const counts = new Map<string, number>();
    for (const event of new CampaignEventFactory({ seed: 7 }).batch(1200)) {
      counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
    }
    expect(counts.size).toBe(CAMPAIGN_EVENT_TYPES.length);
    for (const count of counts.values()) expect(count).toBeGreaterThan(50);
  });

  it('mixes hard and soft bounces', () => {
    const categories = new CampaignEventFactory({ seed: 3 })
      .batch(200, ['bounce'])
      .map((e) => e.bounceCategory);
    expect(categories).toContain('hardbounce');
    expect(categories).toContain('softbounce');
  });

  it('gives the same stream for the same seed', () => {
    const now = () => new Date('2026-11-26T12:00:00Z');
    const first = new CampaignEventFactory({ seed: 11, now }).batch(20);
    const second = new CampaignEventFactory({ seed: 11, now }).batch(20);
    expect(second).toEqual(first);
  });
});

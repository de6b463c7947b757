import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../infra/config.js';
import { retentionFromDays } from '../../infra/log-retention.js';

/** The periods CloudWatch Logs' PutRetentionPolicy accepts (its API reference), written out independently. */
const OFFERED = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

describe('log retention (logRetentionDays)', () => {
  it('maps every value from 1 to 3653 days to the shortest CloudWatch period that keeps logs that long', () => {
    for (let days = 1; days <= 3653; days++) {
      const expected = OFFERED.find((offered) => offered >= days);
      expect(retentionFromDays(days), `${days} days`).toBe(expected);
    }
  });

  it('refuses more than CloudWatch keeps (10 years) at synth, naming the limit', () => {
    expect(parseConfig({ campaign: { clientIds: [1] }, logRetentionDays: 3653 }).logRetentionDays).toBe(3653);
    expect(() => parseConfig({ campaign: { clientIds: [1] }, logRetentionDays: 3654 })).toThrow(
      'campaignEvents.logRetentionDays: got 3654; must be at most 3653 (10 years)',
    );
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDrillPipeline } from '../../scripts/drill/drill-pipeline.js';
import { runScenario } from '../../scripts/drill/runner.js';
import { SCENARIOS } from '../../scripts/drill/scenarios.js';
import { type LocalServices, startTestServices, testStackName } from '../support/pipeline.js';

/**
 * `npm run drill`'s fan-out-side scenarios (SNS transient failures at 1% and 30%, an SNS outage, one
 * poison message) at small sizes, each on a fresh stack-derived pipeline. Each must meet every target the
 * drill holds it to: no loss, nothing parked but the poison, the duplicate ratios.
 */
const SMALL = { events: 200, outageSeconds: 5 };

describe('fault drill: fan-out-side scenarios', () => {
  let services: LocalServices;

  beforeAll(async () => {
    services = await startTestServices();
  });
  afterAll(async () => {
    await services?.stop();
  });

  for (const scenario of SCENARIOS.filter((candidate) => candidate.side === 'fan-out')) {
    it(`${scenario.name}: ${scenario.summary}`, { timeout: 150_000 }, async () => {
      const pipeline = await startDrillPipeline(services, scenario, {
        stackName: testStackName(),
        freshModules: () => vi.resetModules(),
      });
      try {
        const result = await runScenario(scenario, pipeline, SMALL);
        console.info(`${scenario.name}: ${JSON.stringify(result.row)}`);
        expect(result.missed, result.notes.join('\n')).toEqual([]);
        expect(result.row.sent).toBeGreaterThan(0);
        expect(result.row).toMatchObject({ acknowledged: result.row.sent, stored: result.row.sent, lost: 0 });
      } finally {
        await pipeline.stop();
        services.sns.reset();
      }
    });
  }
});

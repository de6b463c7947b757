import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDrillPipeline } from '../../scripts/drill/drill-pipeline.js';
import { runScenario } from '../../scripts/drill/runner.js';
import { SCENARIOS } from '../../scripts/drill/scenarios.js';
import { type LocalServices, startTestServices, testStackName } from '../support/pipeline.js';

/**
 * `npm run drill`'s ingest-side scenarios at small sizes, each on a fresh stack-derived pipeline (a cold
 * start: fresh handler modules) over services on a data directory (DynamoDB Local is killed and restarted
 * in one of them). Each must meet every target the drill holds it to.
 */
const SMALL = { events: 60, outageSeconds: 5 };

describe('fault drill: ingest-side scenarios', () => {
  let services: LocalServices;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'drill-test-'));
    services = await startTestServices({ dataDir });
  });
  afterAll(async () => {
    await services?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  for (const scenario of SCENARIOS.filter((candidate) => candidate.side === 'ingest')) {
    it(`${scenario.name}: ${scenario.summary}`, { timeout: 150_000 }, async () => {
      const pipeline = await startDrillPipeline(services, scenario, {
        stackName: testStackName(),
        freshModules: () => vi.resetModules(),
      });
      try {
        const result = await runScenario(scenario, pipeline, SMALL);
        expect(result.missed, result.notes.join('\n')).toEqual([]);
        expect(result.row.sent).toBeGreaterThan(0);
        expect(result.row).toMatchObject({ acknowledged: result.row.sent, stored: result.row.sent, lost: 0 });
      } finally {
        await pipeline.stop();
      }
    });
  }
});

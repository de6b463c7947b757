import type { Pipeline } from '../../local/pipeline/assemble.js';
import { type DrillRow, measure } from './measure.js';
import type { DrillSize, Scenario } from './scenario.js';

export interface ScenarioResult {
  readonly scenario: string;
  readonly summary: string;
  readonly row: DrillRow;
  readonly missed: readonly string[];
  readonly notes: readonly string[];
  readonly seconds: number;
}

/** Runs one scenario on a fresh pipeline, waits for the pipeline to settle, measures and judges it. */
export async function runScenario(
  scenario: Scenario,
  pipeline: Pipeline,
  size: DrillSize,
): Promise<ScenarioResult> {
  const started = Date.now();
  const run = await scenario.run(pipeline, size);
  const notes = [...(run.notes ?? [])];
  try {
    await pipeline.waitUntilIdle(settleMs(size));
  } catch (error) {
    notes.push(`did not settle: ${String((error as Error).message ?? error).slice(0, 300)}`);
  }
  const measurement = await measure(pipeline, run.sent, run.delivery.acknowledged);
  const statuses = countStatuses(run.delivery.statuses);
  notes.push(`answers: ${statuses}`);
  return {
    scenario: scenario.name,
    summary: scenario.summary,
    row: measurement.row,
    missed: scenario.missed(measurement.row, run, measurement),
    notes,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

/** Long enough for an outage and the mapping's retries after it. */
function settleMs(size: DrillSize): number {
  return (size.outageSeconds + 120) * 1000;
}

function countStatuses(statuses: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status === 0 ? 'no answer' : status} x${count}`)
    .join(', ');
}

import { startDrillPipeline, startDrillServices } from './drill-pipeline.js';
import { runScenario } from './runner.js';
import { scenarioNamed } from './scenarios.js';

/**
 * One scenario in a process of its own (`main.ts` starts one per scenario): its own services, and the
 * handler modules loaded once, so each scenario starts cold, as a new Lambda environment does.
 * Prints the result as one line: `RESULT_PREFIX<json>`.
 */
export const RESULT_PREFIX = 'DRILL-RESULT ';

async function main(): Promise<void> {
  const [name = '', events = '', outageSeconds = ''] = process.argv.slice(2);
  const scenario = scenarioNamed(name);
  const drill = await startDrillServices();
  try {
    const pipeline = await startDrillPipeline(drill.services, scenario);
    try {
      const size = { events: Number(events), outageSeconds: Number(outageSeconds) };
      const result = await runScenario(scenario, pipeline, size);
      process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
    } finally {
      await pipeline.stop();
    }
  } finally {
    await drill.stop();
  }
}

if (process.argv[1]?.endsWith('scenario-process.ts')) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

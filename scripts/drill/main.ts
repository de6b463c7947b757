import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ScenarioResult } from './runner.js';
import { RESULT_PREFIX } from './scenario-process.js';
import { SCENARIOS, scenarioNamed } from './scenarios.js';
import { formatResult, formatSummary } from './table.js';

/**
 * `npm run drill`: the local fault drill. Each scenario runs on the stack-derived pipeline in a process
 * of its own; one table per scenario, or JSON; the exit code is 1 when any event is lost or any target
 * missed, 2 for a usage error.
 */
const HELP = `Usage: npm run drill -- [options]

Runs fault scenarios on the local pipeline derived from the stack (DynamoDB Local, s3rver, the SNS/SQS/
Secrets Manager stand-ins) and prints, per scenario: sent, acknowledged (2xx), stored, published,
duplicates, parked, lost, and messages per event. Exits 1 on any loss or missed target.

Options:
  --scenario <name>      run only this scenario (repeatable); default: all
  --events <n>           events per scenario (default 1000)
  --outage-seconds <n>   length of the SNS outage (default 30)
  --json                 print the results as JSON
  --list                 list the scenarios and exit
  --help                 this text

Scenarios:
${SCENARIOS.map((scenario) => `  ${scenario.name.padEnd(22)} ${scenario.summary}`).join('\n')}
`;

interface DrillArgs {
  readonly scenarios: readonly string[];
  readonly events: number;
  readonly outageSeconds: number;
  readonly json: boolean;
}

function parse(argv: readonly string[]): DrillArgs | 'help' | 'list' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenario: { type: 'string', multiple: true },
      events: { type: 'string', default: '1000' },
      'outage-seconds': { type: 'string', default: '30' },
      json: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  if (values.list) return 'list';
  const events = positive(values.events, '--events');
  const outageSeconds = positive(values['outage-seconds'], '--outage-seconds');
  const scenarios = values.scenario ?? SCENARIOS.map((scenario) => scenario.name);
  for (const name of scenarios) scenarioNamed(name);
  return { scenarios, events, outageSeconds, json: values.json };
}

function positive(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${option} must be a positive integer, got ${text}`);
  return value;
}

function runInChild(name: string, args: DrillArgs): Promise<ScenarioResult> {
  const child = fileURLToPath(new URL('./scenario-process.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const process_ = spawn(
      process.execPath,
      ['--import', 'tsx', child, name, String(args.events), String(args.outageSeconds)],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } },
    );
    let stdout = '';
    let stderr = '';
    process_.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    process_.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    process_.on('error', reject);
    process_.on('close', (code) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_PREFIX));
      if (line !== undefined) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ScenarioResult);
      else reject(new Error(`Scenario ${name} exited ${code} without a result:\n${stderr}`));
    });
  });
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (args === 'list') {
    process.stdout.write(`${SCENARIOS.map((scenario) => scenario.name).join('\n')}\n`);
    return 0;
  }
  const results: ScenarioResult[] = [];
  for (const name of args.scenarios) {
    if (!args.json) process.stderr.write(`running ${name}...\n`);
    const result = await runInChild(name, args);
    results.push(result);
    if (!args.json) process.stdout.write(`\n${formatResult(result)}\n`);
  }
  const failed = results.some((result) => result.missed.length > 0);
  if (args.json) process.stdout.write(`${JSON.stringify({ ok: !failed, results }, null, 2)}\n`);
  else process.stdout.write(`\n${formatSummary(results)}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

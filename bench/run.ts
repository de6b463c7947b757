/**
 * `npm run bench`: the deployed path, measured. Synthesizes the stack with real bundling, then runs the
 * shipped `index.mjs` bundles with the real AWS SDK against a stub AWS endpoint in another process
 * (bench/aws-stub.ts), with logging, metrics and tracing as deployed (bench/lambda-environment.ts):
 *
 * - cold starts of the ingest and fan-out bundles against a bundle that only constructs a DynamoDB client
 *   (same esbuild settings), one new process per sample (bench/init.ts);
 * - warm CPU per event of each handler against the bare SDK making the same calls with the same inputs
 *   (captured by the stub) and against JSON.parse of the request (bench/warm-worker.ts). The fan-out gets
 *   real stream records: the ingest bundle writes them to DynamoDB Local and the stream is read back.
 *
 * CPU is process.cpuUsage() of the measuring process (the stub's work is not in it). Every ratio is the
 * median of paired samples taken side by side, so the machine's load of the moment cancels out.
 *
 * Options: --init-rounds 21  --rounds 15  --sample-ms 20  --sns-latency-ms 20  --profile (where the CPU
 * goes: the ingest at 100 and 1,000 events, the fan-out at 100 records)
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FAN_OUT_MEMORY_MB } from '../infra/constructs/fan-out.js';
import { INGEST_MEMORY_MB } from '../infra/constructs/ingest-api.js';
import { synthesizeBenchBundles } from './assembly.js';
import { ENDPOINT_KEY, fanOutCase, ingestCase, MIXED_TYPES } from './cases.js';
import { costReport, measureItems } from './cost.js';
import { benchInit, initReport } from './init.js';
import { fanOutFilterPatterns, lambdaEnvironment } from './lambda-environment.js';
import { startStub } from './processes.js';
import { profileHandler, profileReport } from './profile.js';
import { sizingReport } from './sizing.js';
import { streamRecordsFromIngest } from './stream-events.js';
import { runWorker, warmReport } from './warm.js';

const { values: options } = parseArgs({
  options: {
    'init-rounds': { type: 'string', default: '21' },
    rounds: { type: 'string', default: '15' },
    'sample-ms': { type: 'string', default: '20' },
    'sns-latency-ms': { type: 'string', default: '20' },
    profile: { type: 'boolean', default: false },
    'skip-throughput': { type: 'boolean', default: false },
  },
});

const outdir = mkdtempSync(path.join(tmpdir(), 'bench-cdk-out-'));
const load = () => execSync('uptime').toString().trim();
const header = [
  `Node ${process.version} ${process.arch}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
  `load before: ${load()}`,
];
process.stderr.write('Synthesizing with bundling...\n');
const bundles = synthesizeBenchBundles(outdir);
const stub = await startStub(JSON.stringify({ current: ENDPOINT_KEY, previous: '' }));
try {
  const envOf = (bundle: typeof bundles.ingest, overrides?: Record<string, string>) =>
    lambdaEnvironment(outdir, bundle, { endpoint: stub.url, xrayPort: stub.xrayPort, overrides });
  const ingestEnv = envOf(bundles.ingest);
  const fanOutEnv = envOf(bundles.fanOut);

  process.stderr.write('Cold starts...\n');
  const init = await benchInit(
    { label: 'DynamoDB client only (floor)', bundle: bundles.dynamodbClientOnly, env: ingestEnv },
    [
      { label: 'ingest', bundle: bundles.ingest, env: ingestEnv },
      { label: 'fan-out', bundle: bundles.fanOut, env: fanOutEnv },
    ],
    Number(options['init-rounds']),
  );

  process.stderr.write('Storing events in DynamoDB Local for real stream records...\n');
  const stored = [ingestCase('bounce', 100, ['bounce'], 7), ingestCase('mixed', 100, MIXED_TYPES, 8)];
  const records = await streamRecordsFromIngest(
    (endpoint, tableName) =>
      runWorker({
        kind: 'ingest',
        mode: 'invoke',
        handler: bundles.ingest,
        env: envOf(bundles.ingest, { AWS_ENDPOINT_URL_DYNAMODB: endpoint, TABLE_NAME: tableName }),
        cases: stored,
      }).then(() => undefined),
    fanOutFilterPatterns(outdir, bundles.fanOut),
  );
  if (records.length !== 200) throw new Error(`expected 200 stream records, read ${records.length}`);

  const measure = { rounds: Number(options.rounds), sampleMicros: Number(options['sample-ms']) * 1000 };
  process.stderr.write('Ingest, warm...\n');
  const ingest = await runWorker({
    kind: 'ingest',
    mode: 'measure',
    handler: bundles.ingest,
    floor: bundles.bareSdk,
    env: ingestEnv,
    stubUrl: stub.url,
    cases: [1, 10, 100, 1000].map((size) => ingestCase('bounce', size, ['bounce'], size)),
    ...measure,
  });
  process.stderr.write('Fan-out, warm...\n');
  const fanOut = await runWorker({
    kind: 'fanOut',
    mode: 'measure',
    handler: bundles.fanOut,
    floor: bundles.bareSdk,
    env: fanOutEnv,
    stubUrl: stub.url,
    cases: [
      fanOutCase('bounce', records.slice(0, 1)),
      fanOutCase('bounce', records.slice(0, 10)),
      fanOutCase('bounce', records.slice(0, 100)),
      fanOutCase('mixed', records.slice(100, 200)),
    ],
    ...measure,
  });

  const profiles: string[] = [];
  if (options.profile) {
    process.stderr.write('Profiles...\n');
    for (const size of [100, 1000]) {
      const shares = await profileHandler(
        'ingest',
        bundles.ingest,
        ingestEnv,
        ingestCase('bounce', size, ['bounce'], size),
        3000,
      );
      profiles.push(profileReport(`ingest, ${size} events`, shares), '');
    }
    const fanOutShares = await profileHandler(
      'fanOut',
      bundles.fanOut,
      fanOutEnv,
      fanOutCase('bounce', records.slice(0, 100)),
      3000,
    );
    profiles.push(profileReport('fan-out, 100 records', fanOutShares), '');
  }
  header.push(`load after: ${load()}`);
  const fanOut100 = fanOut.results.find((r) => r.name === 'bounce' && r.events === 100);
  const ingest100 = ingest.results.find((r) => r.events === 100);
  const cost =
    ingest100 === undefined || fanOut100 === undefined
      ? ''
      : costReport({
          items: measureItems(),
          ingest: ingest100,
          fanOut: fanOut100,
          ingestMemoryMb: INGEST_MEMORY_MB,
          fanOutMemoryMb: FAN_OUT_MEMORY_MB,
        });
  process.stdout.write(
    [
      header.join('\n'),
      '',
      initReport(init),
      '',
      `Warm, per event (${measure.rounds} rounds of interleaved samples of ≥ ${options['sample-ms']} ms CPU each):`,
      '',
      warmReport('ingest', ingest.results, ingest.rssBytes),
      '',
      warmReport('fan-out', fanOut.results, fanOut.rssBytes),
      '',
      fanOut100 === undefined ? '' : sizingReport(fanOut100, Number(options['sns-latency-ms'])),
      '',
      'Cost per million events (batches of 100, us-east-1 list prices):',
      '',
      cost,
      '',
      ...profiles,
    ].join('\n'),
  );
  if (!options['skip-throughput']) {
    process.stderr.write('Local throughput...\n');
    const script = path.join(import.meta.dirname, 'throughput.ts');
    process.stdout.write(
      `\n${execFileSync(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] })}`,
    );
  }
} finally {
  stub.stop();
  rmSync(outdir, { recursive: true, force: true });
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionBundle } from '../local/bundles.js';
import type { BenchCase } from './cases.js';
import { runNode } from './processes.js';
import { fixed, median, pairedRatio, ratioQuartiles, times } from './statistics.js';

export interface WarmResult {
  readonly name: string;
  readonly events: number;
  /** CPU µs per event, one value per sample, in round order. */
  readonly samples: { handler: number[]; floor: number[]; parse: number[] };
  readonly logBytesPerEvent: number;
  readonly awsCalls: { batchWriteItem: number; publishBatch: number };
}

export interface WorkerRun {
  readonly kind: 'ingest' | 'fanOut';
  readonly mode: 'measure' | 'invoke' | 'profile';
  /** Extra `node` options, e.g. --cpu-prof. */
  readonly nodeOptions?: readonly string[];
  readonly handler: FunctionBundle;
  readonly floor?: FunctionBundle;
  readonly env: Record<string, string>;
  readonly stubUrl?: string;
  readonly cases: readonly BenchCase[];
  readonly rounds?: number;
  readonly sampleMicros?: number;
}

/** Runs bench/warm-worker.ts: one warm execution environment of the handler (and the floor). */
export async function runWorker(run: WorkerRun): Promise<{ results: WarmResult[]; rssBytes: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-spec-'));
  const specFile = path.join(dir, 'spec.json');
  writeFileSync(
    specFile,
    JSON.stringify({
      mode: run.mode,
      kind: run.kind,
      handlerEntry: pathToFileURL(run.handler.entry).href,
      floorEntry: run.floor === undefined ? undefined : pathToFileURL(run.floor.entry).href,
      functionName: run.env.AWS_LAMBDA_FUNCTION_NAME,
      stubUrl: run.stubUrl,
      cases: run.cases,
      rounds: run.rounds ?? 0,
      sampleMicros: run.sampleMicros ?? 20_000,
    }),
  );
  try {
    return await runNode('warm-worker.ts', [specFile], run.env, run.nodeOptions);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function warmReport(label: string, results: readonly WarmResult[], rssBytes: number): string {
  const lines = [
    `| ${label} | events | AWS calls | µs/event | bare SDK µs/event | ÷ bare SDK | JSON.parse µs/event | ÷ JSON.parse | log bytes/event |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const [q1, q3] = ratioQuartiles(r.samples.handler, r.samples.floor);
    const calls = r.awsCalls.batchWriteItem > 0 ? `${r.awsCalls.batchWriteItem} BatchWriteItem` : '';
    const publishes = r.awsCalls.publishBatch > 0 ? `${r.awsCalls.publishBatch} PublishBatch` : '';
    lines.push(
      `| ${r.name} | ${r.events} | ${[calls, publishes].filter(Boolean).join(', ')} | ` +
        `${fixed(median(r.samples.handler))} | ${fixed(median(r.samples.floor))} | ` +
        `${times(pairedRatio(r.samples.handler, r.samples.floor))} [${fixed(q1, 2)}–${fixed(q3, 2)}] | ` +
        `${fixed(median(r.samples.parse), 2)} | ${fixed(pairedRatio(r.samples.handler, r.samples.parse), 0)}× | ` +
        `${fixed(r.logBytesPerEvent, 0)} |`,
    );
  }
  lines.push('', `Worker RSS at the end: ${fixed(rssBytes / 2 ** 20)} MiB.`);
  return lines.join('\n');
}

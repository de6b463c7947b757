import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionBundle } from '../local/bundles.js';
import { loadSourceMap } from '../scripts/stack-trace/resolve.js';
import type { BenchCase } from './cases.js';
import { fixed } from './statistics.js';
import { runWorker } from './warm.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

/**
 * Where a handler's warm CPU goes: runs it under `node --cpu-prof` and attributes each sample's self
 * time to its original source (through the bundle's source map): a file of functions/, or a package of
 * node_modules, or V8's own work (garbage collector, program).
 */
export async function profileHandler(
  kind: 'ingest' | 'fanOut',
  bundle: FunctionBundle,
  env: Record<string, string>,
  item: BenchCase,
  cpuMs: number,
): Promise<Array<[string, number]>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-profile-'));
  try {
    await runWorker({
      kind,
      mode: 'profile',
      handler: bundle,
      env,
      cases: [item],
      sampleMicros: cpuMs * 1000,
      nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('node --cpu-prof wrote no profile');
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
    return attribute(profile.nodes, bundle);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function attribute(nodes: readonly ProfileNode[], bundle: FunctionBundle): Array<[string, number]> {
  const source = loadSourceMap(bundle);
  const bundleUrl = pathToFileURL(bundle.entry).href;
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    const count = node.hitCount ?? 0;
    // Idle time is not CPU; structuredClone is the worker copying events for the handler, not the handler.
    if (count === 0 || node.callFrame.functionName === '(idle)') continue;
    if (node.callFrame.url.includes('internal/worker/js_transferable')) continue;
    total += count;
    const frame = node.callFrame;
    let where = frame.url === '' ? frame.functionName : `node:${frame.url.replace(/^node:/, '')}`;
    if (frame.url.startsWith(bundleUrl)) {
      const origin = source.map.findOrigin(frame.lineNumber + 1, frame.columnNumber + 1);
      where = 'fileName' in origin ? sourceLabel(origin.fileName) : 'bundle (unmapped)';
    }
    hits.set(where, (hits.get(where) ?? 0) + count);
  }
  return [...hits]
    .map(([where, count]): [string, number] => [where, (100 * count) / total])
    .sort((a, b) => b[1] - a[1]);
}

/** `node_modules/@aws-sdk/core/...` → `@aws-sdk/core`; `functions/ingest/x.ts` stays as it is. */
function sourceLabel(fileName: string): string {
  const modules = fileName.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [scope, name] = fileName.slice(modules + 'node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? fileName);
  }
  const functions = fileName.indexOf('functions/');
  return functions >= 0 ? fileName.slice(functions) : fileName;
}

export function profileReport(label: string, shares: ReadonlyArray<[string, number]>, top = 12): string {
  const rows = shares.slice(0, top).map(([where, share]) => `| ${where} | ${fixed(share)} % |`);
  return [`| ${label}: self time by source | share |`, '| --- | --- |', ...rows].join('\n');
}

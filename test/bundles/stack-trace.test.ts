import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadSourceMap, resolveStackTrace } from '../../scripts/stack-trace/resolve.js';
import { bundleAt } from '../support/bundles.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The stack trace the shipped ingest bundle prints when it starts without its environment. */
async function coldStartFailure(): Promise<string> {
  const bundle = bundleAt('IngestApi/IngestFunction');
  const script = `import(${JSON.stringify(pathToFileURL(bundle.entry).href)}).catch((e) => console.log(e.stack))`;
  const { stdout } = await run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH } });
  return stdout;
}

describe('npm run stack-trace: a deployed bundle’s stack trace, resolved offline', () => {
  it('maps every bundle position of a real failure to the TypeScript source that threw', async () => {
    const trace = await coldStartFailure();
    expect(trace).toContain('Missing required environment variable');
    expect(trace).not.toMatch(/\.ts:\d+/); // the bundle runs without its map, as deployed

    const result = resolveStackTrace(trace, loadSourceMap(bundleAt('IngestApi/IngestFunction')), ROOT);
    expect(result.positions).toBeGreaterThan(1);
    expect(result.resolved).toBe(result.positions);
    expect(result.text).toMatch(/at \S+ \(functions\/shared\/contracts\/env\.ts:\d+:\d+\)/);
    expect(result.text).toMatch(/functions\/ingest\/handler\.ts:\d+:\d+/);
  });

  it('reads a stack copied out of a JSON log line (escaped line breaks, /var/task paths)', async () => {
    const trace = (await coldStartFailure()).replace(
      /file:\/\/\/\S+\/index\.mjs/g,
      'file:///var/task/index.mjs',
    );
    const logLine = JSON.stringify({ level: 'ERROR', error: { stack: trace } });

    const result = resolveStackTrace(logLine, loadSourceMap(bundleAt('IngestApi/IngestFunction')), ROOT);
    expect(result.resolved).toBeGreaterThan(1);
    expect(result.text.split('\n').filter((line) => line.includes('functions/')).length).toBe(
      result.resolved,
    );
  });
});

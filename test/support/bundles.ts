import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { inject } from 'vitest';
import { type FunctionBundle, readBundles } from '../../local/bundles.js';
import type { AnyHandler, HandlerLoader } from '../../local/pipeline/handlers.js';

/**
 * The functions' bundles as `cdk synth` builds them, from the assembly the global setup synthesized for
 * this run (bundles-setup.ts). Pick one by its construct path, e.g. `IngestApi/IngestFunction`.
 */
export function synthesizedBundles(): Map<string, FunctionBundle> {
  return readBundles(inject('bundlesDir'));
}

export function bundleAt(constructPathSuffix: string): FunctionBundle {
  const bundle = [...synthesizedBundles().values()].find((candidate) =>
    candidate.constructPath.endsWith(`/${constructPathSuffix}`),
  );
  if (bundle === undefined) throw new Error(`No synthesized bundle at …/${constructPathSuffix}`);
  return bundle;
}

/**
 * A handler loader for the pipeline assembler (its `loadHandler` option): each function's synthesized
 * bundle, found by the function's logical id, imported by `node` itself as Lambda imports it (a test
 * runner cannot import it natively), in a new process per invocation (each one a cold start) with the
 * environment the pipeline set for the function. Its logs are dropped.
 */
export function bundledHandlerLoader(
  bundles: ReadonlyMap<string, FunctionBundle> = synthesizedBundles(),
): HandlerLoader {
  return async (fn) => {
    const bundle = bundles.get(fn.logicalId);
    if (bundle === undefined) {
      throw new Error(
        `No synthesized bundle for the function ${fn.logicalId} (test/support/bundles-setup.ts)`,
      );
    }
    const environment = { ...process.env };
    return ((event: unknown, context: Context) =>
      invokeInNewProcess(bundle, environment, event, context)) as AnyHandler;
  };
}

/** Imports the bundle, calls its handler with the event and the context's values, prints the result on fd 3. */
const INVOKE = `
import { readFileSync, writeSync } from 'node:fs';
const [entry, exportName] = process.argv.slice(1);
const { event, context, remainingMs } = JSON.parse(readFileSync(0, 'utf8'));
const deadline = Date.now() + remainingMs;
const handler = (await import(entry))[exportName];
const result = await handler(event, { ...context, getRemainingTimeInMillis: () => deadline - Date.now() });
writeSync(3, JSON.stringify(result ?? null));
`;

function invokeInNewProcess(
  bundle: FunctionBundle,
  env: NodeJS.ProcessEnv,
  event: unknown,
  context: Context,
): Promise<unknown> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', INVOKE, pathToFileURL(bundle.entry).href, bundle.exportName],
    { env, stdio: ['pipe', 'ignore', 'pipe', 'pipe'] },
  );
  const result: Buffer[] = [];
  const errors: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk));
  child.stdio[3]?.on('data', (chunk: Buffer) => result.push(chunk));
  child.stdin?.end(JSON.stringify({ event, context, remainingMs: context.getRemainingTimeInMillis() }));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(Buffer.concat(result).toString('utf8')));
      else reject(new Error(`${bundle.constructPath} exited with ${code}: ${Buffer.concat(errors)}`));
    });
  });
}

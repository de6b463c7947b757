import { inject } from 'vitest';
import { type FunctionBundle, importBundledHandler, readBundles } from '../../local/bundles.js';
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
 * bundle, found by the function's logical id, imported by Node itself as Lambda imports it, as a fresh
 * module instance (a cold start, with the environment the pipeline set for the function), then invoked
 * warm like a Lambda instance; its logs and metrics reach the pipeline as a source module's do.
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
    return importBundledHandler<AnyHandler>(bundle);
  };
}

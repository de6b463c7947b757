import { inject } from 'vitest';
import { type FunctionBundle, readBundles } from '../../local/bundles.js';

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

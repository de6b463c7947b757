/**
 * Bundling hook of every project function (esbuild's `afterBundling`, run with the Node that runs the CDK
 * app): moves `index.mjs.map` out of the bundle directory into `<maps dir>/<sha256 of index.mjs>.map`, so
 * the deployed asset holds the code alone and the map is found again from the code it belongs to.
 *
 * Plain JavaScript on purpose: when the construct is a dependency, this file sits under node_modules,
 * where Node refuses to strip TypeScript types, and the app's Node may be one without type stripping.
 *
 * Usage: node stash-source-map.mjs <bundle dir> <maps dir>
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const [bundleDir, mapsDir] = process.argv.slice(2);
if (bundleDir === undefined || mapsDir === undefined) {
  throw new Error('usage: stash-source-map.mjs <bundle dir> <maps dir>');
}
const code = readFileSync(join(bundleDir, 'index.mjs'));
const digest = createHash('sha256').update(code).digest('hex');
mkdirSync(mapsDir, { recursive: true });
renameSync(join(bundleDir, 'index.mjs.map'), join(mapsDir, `${digest}.map`));

/**
 * Bundling hook of a project function with lazy modules (esbuild's `afterBundling`, run with the Node that
 * runs the CDK app): bundles one module of the function on its own, beside `index.mjs`, with the same
 * settings, for the handler to import on first use (a rare path whose dependencies should not be parsed
 * at every cold start). esbuild is the one the CDK app bundles with.
 *
 * Plain JavaScript on purpose (see stash-source-map.mjs).
 *
 * Usage: node bundle-lazy-module.mjs <module .ts> <output .mjs> <esbuild options as base64 JSON>
 */
import { createRequire } from 'node:module';

const [entry, outfile, options] = process.argv.slice(2);
if (entry === undefined || outfile === undefined || options === undefined) {
  throw new Error(
    'usage: bundle-lazy-module.mjs <module .ts> <output .mjs> <esbuild options as base64 JSON>',
  );
}
const esbuild = createRequire(entry)('esbuild');
const settings = JSON.parse(Buffer.from(options, 'base64').toString('utf8'));
esbuild.buildSync({ ...settings, entryPoints: [entry], outfile, bundle: true, logLevel: 'warning' });

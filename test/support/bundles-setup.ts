import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { parseConfig } from '../../infra/config.js';
import { synthesizeBundles } from '../../local/bundles.js';
import { BUNDLES_CONFIG } from './bundles-config.js';

/**
 * Vitest global setup: synthesizes the stack with real esbuild bundling once per test run (tests then
 * load the shipped `index.mjs` files, see bundles.ts). The assembly is cached under
 * node_modules/.cache, keyed by the content of everything that goes into a bundle, so a run with
 * unchanged code reuses it instead of bundling again.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = path.join(ROOT, 'node_modules/.cache/campaign-events-bundles');
const INPUTS = [
  'functions',
  'infra',
  'local/bundles.ts',
  'test/support/bundles-config.ts',
  'test/support/synth.ts',
  'package-lock.json',
  'cdk.json',
];

export default function setup(project: TestProject): void {
  project.provide('bundlesDir', cachedAssembly());
}

function cachedAssembly(): string {
  const outdir = path.join(CACHE, inputsDigest());
  if (existsSync(path.join(outdir, 'manifest.json'))) return outdir;
  mkdirSync(CACHE, { recursive: true });
  // Older assemblies go; another run's assembly still being built (".building-<pid>") stays.
  for (const old of readdirSync(CACHE).filter((name) => !name.includes('.building-'))) {
    rmSync(path.join(CACHE, old), { recursive: true, force: true });
  }
  const building = `${outdir}.building-${process.pid}`;
  synthesizeBundles(parseConfig(BUNDLES_CONFIG), { outdir: building });
  // Another run may have finished the same assembly meanwhile: either copy is the same.
  if (!existsSync(outdir)) renameSync(building, outdir);
  return outdir;
}

function inputsDigest(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => filesUnder(path.join(ROOT, input)))) {
    hash.update(path.relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function filesUnder(target: string): string[] {
  if (!existsSync(target)) return [];
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target)
    .sort()
    .flatMap((name) => filesUnder(path.join(target, name)));
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The cloud assembly synthesized with bundling for this test run. */
    bundlesDir: string;
  }
}

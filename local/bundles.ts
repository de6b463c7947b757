import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { CampaignEventsStack } from '../infra/campaign-events-stack.js';
import type { Config } from '../infra/config.js';
import { SOURCE_MAPS_DIR } from '../infra/constructs/project-function.js';
import { cdkJsonFeatureFlags } from '../infra/feature-flags.js';

/**
 * The Lambda bundles as `cdk synth` builds them (esbuild, the stack's bundling options), read back from a
 * cloud assembly: per function, the asset directory that is zipped and deployed, its `index.mjs`, and the
 * source map kept beside the assets (not deployed) under `source-maps/<sha256 of index.mjs>.map`.
 */
export interface FunctionBundle {
  /** The function's logical id in the template (what the stack model names functions by). */
  readonly logicalId: string;
  /** The construct path, e.g. `CampaignEvents/IngestApi/IngestFunction`. */
  readonly constructPath: string;
  /** The asset directory: exactly what is deployed. */
  readonly dir: string;
  /** The handler module, e.g. `<dir>/index.mjs`. */
  readonly entry: string;
  /** The exported handler's name (the part of `Handler` after the file name). */
  readonly exportName: string;
  /** The source map of `entry` (absent from `dir`), if the assembly has it. */
  readonly sourceMap: string | undefined;
}

export interface SynthesizeOptions {
  readonly outdir: string;
  readonly stackId?: string;
  readonly region?: string;
  readonly accountId?: string;
  /** Adds more stacks to the app before synthesis (the benchmark's SDK-only floor functions). */
  readonly extend?: (app: App) => void;
}

/** Synthesizes the stack with real bundling into `outdir` (takes seconds: esbuild runs per function). */
export function synthesizeBundles(config: Config, opts: SynthesizeOptions): Map<string, FunctionBundle> {
  // cdk.json's feature flags, and path and asset metadata as the CLI adds them (they tie each function to
  // its construct and its asset).
  const app = new App({
    outdir: opts.outdir,
    context: {
      ...cdkJsonFeatureFlags(),
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:enable-path-metadata': true,
    },
  });
  new CampaignEventsStack(app, opts.stackId ?? config.stackName, {
    config,
    env: { account: opts.accountId ?? '123456789012', region: opts.region ?? 'eu-central-1' },
  });
  opts.extend?.(app);
  app.synth();
  return readBundles(opts.outdir);
}

interface TemplateFunction {
  Type: string;
  Properties?: { Handler?: string; Runtime?: string };
  Metadata?: Record<string, unknown>;
}

/** Every Node.js function of the assembly's stacks whose code is a bundled asset, by logical id. */
export function readBundles(outdir: string): Map<string, FunctionBundle> {
  const bundles = new Map<string, FunctionBundle>();
  const templates = readdirSync(outdir).filter((file) => file.endsWith('.template.json'));
  if (templates.length === 0) throw new Error(`${outdir} holds no synthesized stack (*.template.json)`);
  for (const file of templates) {
    const template = JSON.parse(readFileSync(path.join(outdir, file), 'utf8')) as {
      Resources?: Record<string, TemplateFunction>;
    };
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      const bundle = bundleOf(outdir, logicalId, resource);
      if (bundle !== undefined) bundles.set(logicalId, bundle);
    }
  }
  return bundles;
}

function bundleOf(outdir: string, logicalId: string, resource: TemplateFunction): FunctionBundle | undefined {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  const handler = resource.Properties?.Handler;
  if (resource.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') return undefined;
  if (handler === undefined || !resource.Properties?.Runtime?.startsWith('nodejs')) return undefined;
  const dir = path.resolve(outdir, assetPath);
  const entry = path.join(dir, 'index.mjs');
  if (!existsSync(entry)) return undefined;
  const map = path.join(outdir, SOURCE_MAPS_DIR, `${sha256(readFileSync(entry))}.map`);
  return {
    logicalId,
    constructPath: String(resource.Metadata?.['aws:cdk:path'] ?? logicalId).replace(/\/Resource$/, ''),
    dir,
    entry,
    exportName: handler.slice(handler.lastIndexOf('.') + 1),
    sourceMap: existsSync(map) ? map : undefined,
  };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Node's own import of the bundle (it is under node_modules/.cache or a temporary directory, which test
 * runners leave to Node untransformed): the bundle runs as shipped.
 */
const nativeImport = (specifier: string): Promise<Record<string, unknown>> =>
  import(/* @vite-ignore */ specifier);

let instances = 0;
const imported = new Set<string>();

/** The bundle entries this process has imported (tests check that what ran is what ships). */
export function importedBundles(): string[] {
  return [...imported];
}

/**
 * Imports the bundle's handler as Lambda's runtime does (a plain ESM import of `index.mjs`), as a fresh
 * module instance each call: it reads the environment of the moment at module scope, like a cold start.
 */
export async function importBundledHandler<T>(bundle: FunctionBundle): Promise<T> {
  instances++;
  const module = await nativeImport(`${pathToFileURL(bundle.entry).href}?instance=${instances}`);
  imported.add(bundle.entry);
  const handler = module[bundle.exportName];
  if (typeof handler !== 'function') {
    throw new Error(`${bundle.entry} exports no function "${bundle.exportName}" (${bundle.constructPath})`);
  }
  return handler as T;
}

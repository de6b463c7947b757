import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledLazyModule, LAZY_MODULE_NAMES } from '../../functions/ingest/lazy-modules.js';

/**
 * The construct as a platform team gets it: this repository packed with `npm pack`, unpacked into another
 * app's node_modules (its dependencies linked from ours, as a hoisted install leaves them), and the README's
 * embedding example synthesized there with real bundling by that app's own `node --import tsx`.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PACKAGE = 'campaign-events';

const CONSUMER_MAIN = `import { App } from 'aws-cdk-lib';
import { CrmStack } from './crm-stack.js';

// Asset metadata as cdk synth asks for it: each function names its asset directory.
const app = new App({ outdir: 'cdk.out', context: { 'aws:cdk:enable-asset-metadata': true } });
new CrmStack(app, 'Crm', { env: { account: '123456789012', region: 'eu-central-1' } });
app.synth();
`;

let appDir: string;
let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'campaign-events-consumer-'));
  appDir = path.join(workDir, 'app');
  const installed = path.join(appDir, 'node_modules', PACKAGE);
  mkdirSync(installed, { recursive: true });
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', workDir], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  const tarball = readdirSync(workDir).find((name) => name.endsWith('.tgz'));
  execFileSync('tar', [
    '-xzf',
    path.join(workDir, tarball as string),
    '-C',
    installed,
    '--strip-components=1',
  ]);
  for (const dependency of readdirSync(path.join(ROOT, 'node_modules'))) {
    symlinkSync(path.join(ROOT, 'node_modules', dependency), path.join(appDir, 'node_modules', dependency));
  }
  writeFileSync(
    path.join(appDir, 'package.json'),
    JSON.stringify({ name: 'crm', private: true, type: 'module' }),
  );
  // NodejsFunction takes the directory of the app's lock file as the project root.
  writeFileSync(path.join(appDir, 'package-lock.json'), JSON.stringify({ name: 'crm', lockfileVersion: 3 }));
  const example = readFileSync(path.join(ROOT, 'examples/embed-in-your-app.ts'), 'utf8');
  writeFileSync(
    path.join(appDir, 'crm-stack.ts'),
    example.replace("'../infra/campaign-events.js'", `'${PACKAGE}/infra/campaign-events.js'`),
  );
  writeFileSync(path.join(appDir, 'main.ts'), CONSUMER_MAIN);
}, 120_000);

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

describe('CampaignEvents installed in another app (from node_modules)', () => {
  it('synthesizes with bundled functions whose source maps are kept out of the deployed assets', () => {
    execFileSync(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: appDir, stdio: 'pipe' });

    const outdir = path.join(appDir, 'cdk.out');
    const template = JSON.parse(readFileSync(path.join(outdir, 'Crm.template.json'), 'utf8'));
    type Resource = { Type: string; Properties: { Handler?: string }; Metadata: Record<string, string> };
    // The project's functions (NodejsFunction: index.handler), not the CDK's custom-resource framework.
    const functions = Object.values(template.Resources as Record<string, Resource>)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .filter((resource) => resource.Properties.Handler === 'index.handler')
      .map((resource) => resource.Metadata['aws:asset:path']);
    expect(functions.length).toBeGreaterThanOrEqual(3);
    const files = functions.map((assetDir) => readdirSync(path.join(outdir, assetDir as string)).sort());
    const lazy = LAZY_MODULE_NAMES.map(bundledLazyModule);
    // index.mjs alone, but for the ingest: its lazy modules too, bundled from node_modules as well.
    expect(files.filter((names) => names.length > 1)).toEqual([['index.mjs', ...lazy].sort()]);
    for (const names of files) expect(names).toContain('index.mjs');
    expect(readdirSync(path.join(outdir, 'source-maps')).length).toBe(functions.length);
    expect(existsSync(path.join(outdir, 'Crm.assets.json'))).toBe(true);
  }, 180_000);
});

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { bundledLazyModule, LAZY_MODULE_NAMES } from '../../functions/ingest/lazy-modules.js';
import { bundleAt, synthesizedBundles } from '../support/bundles.js';

describe('the synthesized Lambda bundles', () => {
  it('deploy index.mjs alone (and the ingest its lazy modules); each source map is kept beside the assets', () => {
    const bundles = [...synthesizedBundles().values()];
    expect(bundles.map((bundle) => bundle.constructPath).sort()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\/FanOut\/FanOutFunction$/),
        expect.stringMatching(/\/IngestApi\/IngestFunction$/),
      ]),
    );
    for (const bundle of bundles) {
      const lazy = bundle.constructPath.endsWith('/IngestApi/IngestFunction')
        ? LAZY_MODULE_NAMES.map(bundledLazyModule)
        : [];
      expect(readdirSync(bundle.dir).sort()).toEqual(['index.mjs', ...lazy].sort());
      expect(bundle.sourceMap).toBeDefined();
    }
  });

  it('start without Node reading source maps (no --enable-source-maps in any function)', () => {
    const dir = inject('bundlesDir');
    const [templateFile] = readdirSync(dir).filter((file) => file.endsWith('.template.json'));
    const template = JSON.parse(readFileSync(path.join(dir, templateFile ?? ''), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { Environment?: { Variables?: object } } }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(2);
    for (const fn of functions)
      expect(fn.Properties.Environment?.Variables ?? {}).not.toHaveProperty('NODE_OPTIONS');
  });

  it('name the handler the template points Lambda at', () => {
    expect(bundleAt('IngestApi/IngestFunction').exportName).toBe('handler');
  });
});

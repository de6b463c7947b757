import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROJECT_BUNDLING } from '../../infra/constructs/project-function.js';
import { synthStack } from '../support/synth.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('the Node versions the README names', () => {
  it("are package.json's: the machine's minimum (engines) and the project's own Node (the node package)", () => {
    const machine = /Node\.js (\d+) or newer with npm \(`engines` in package\.json\)/.exec(readme)?.[1];
    expect(pkg.engines.node).toBe(`>=${machine}`);
    const own = /installs the project's own Node (\d+)\.(\d+)/.exec(readme);
    expect(pkg.devDependencies.node).toMatch(new RegExp(`^${own?.[1]}\\.${own?.[2]}\\.\\d+$`));
  });

  it("run the Lambda functions: the project's Node major is the runtime and the bundles' target", () => {
    const major = String(pkg.devDependencies.node).split('.')[0];
    expect(PROJECT_BUNDLING.target).toBe(`node${major}`);
    const runtimes = Object.values(synthStack().template.findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Runtime,
    );
    expect(new Set(runtimes.filter((runtime) => String(runtime).startsWith('nodejs')))).toEqual(
      new Set([`nodejs${major}.x`]),
    );
  });
});

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type FunctionBundle, readBundles } from '../local/bundles.js';
import { loadSourceMap, resolveStackTrace } from './stack-trace/resolve.js';

const USAGE = `Usage: npm run stack-trace -- --function <name> [--cdk-out <dir>] [file]

Turns the positions in a stack trace copied from CloudWatch (file:///var/task/index.mjs:1:23456, the deployed
bundle has no source map) into TypeScript source positions, with the source map that \`cdk synth\` / \`cdk deploy\`
kept beside the bundle in the cloud assembly (<cdk-out>/source-maps/<sha256 of index.mjs>.map).
Reads the trace from the file, or from stdin. The assembly must be the one that was deployed (or one
synthesized from the same commit): the tool says so when no map matches.

  --function <name>   the function: part of its logical id or construct path, e.g. IngestFunction, FanOut
  --cdk-out <dir>     the cloud assembly (default: cdk.out)`;

function main(): void {
  const { values, positionals } = parseArgs({
    options: { function: { type: 'string' }, 'cdk-out': { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (values.help || values.function === undefined) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const bundle = pickBundle(values['cdk-out'] ?? 'cdk.out', values.function);
  const input = readFileSync(positionals[0] ?? 0, 'utf8');
  const result = resolveStackTrace(input, loadSourceMap(bundle));
  process.stdout.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
  process.stderr.write(
    `${result.resolved} of ${result.positions} positions resolved with the map of ${bundle.constructPath}\n`,
  );
}

function pickBundle(cdkOut: string, name: string): FunctionBundle {
  const matches = [...readBundles(cdkOut).values()].filter(
    (bundle) => bundle.logicalId.includes(name) || bundle.constructPath.includes(name),
  );
  if (matches.length !== 1) {
    const all = [...readBundles(cdkOut).values()].map((bundle) => bundle.constructPath);
    throw new Error(
      `--function ${name} matches ${matches.length} functions of ${cdkOut}; one of: ${all.join(', ')}`,
    );
  }
  return matches[0] as FunctionBundle;
}

try {
  main();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

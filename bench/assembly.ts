import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { type ConfigInput, parseConfig } from '../infra/config.js';
import { PROJECT_BUNDLING } from '../infra/constructs/project-function.js';
import { type FunctionBundle, synthesizeBundles } from '../local/bundles.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The configuration the benchmark synthesizes: the defaults, one client. */
export const BENCH_CONFIG: ConfigInput = { campaign: { clientIds: [100001] } };

export interface BenchBundles {
  readonly ingest: FunctionBundle;
  readonly fanOut: FunctionBundle;
  /** Constructs a DynamoDB client and nothing else. */
  readonly dynamodbClientOnly: FunctionBundle;
  /** Makes given DynamoDB and SNS calls with the bare SDK. */
  readonly bareSdk: FunctionBundle;
  readonly outdir: string;
}

/**
 * Synthesizes the product's stack with real bundling, and a stack of floor functions bundled with the
 * same esbuild settings (PROJECT_BUNDLING, runtime, architecture), so that ratios compare like with like.
 */
export function synthesizeBenchBundles(outdir: string): BenchBundles {
  const bundles = synthesizeBundles(parseConfig(BENCH_CONFIG), {
    outdir,
    stackId: 'BenchProduct',
    extend: (app) => {
      const floor = new Stack(app, 'BenchFloor');
      for (const [id, file] of [
        ['DynamodbClientOnly', 'dynamodb-client.ts'],
        ['BareSdk', 'bare-sdk.ts'],
      ] as const) {
        new nodejs.NodejsFunction(floor, id, {
          entry: path.join(HERE, 'floor', file),
          handler: 'handler',
          runtime: lambda.Runtime.NODEJS_24_X,
          architecture: lambda.Architecture.ARM_64,
          bundling: PROJECT_BUNDLING,
        });
      }
    },
  });
  const at = (suffix: string): FunctionBundle => {
    const bundle = [...bundles.values()].find((candidate) => candidate.constructPath.endsWith(suffix));
    if (bundle === undefined) throw new Error(`the synthesized assembly has no function …${suffix}`);
    return bundle;
  };
  return {
    ingest: at('/IngestApi/IngestFunction'),
    fanOut: at('/FanOut/FanOutFunction'),
    dynamodbClientOnly: at('BenchFloor/DynamodbClientOnly'),
    bareSdk: at('BenchFloor/BareSdk'),
    outdir,
  };
}

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { bundledLazyModule } from '../../functions/ingest/lazy-modules.js';
import { type EnvVar, envEntry } from '../../functions/shared/contracts/env.js';
import { type FunctionService, RUNTIME_ENV } from '../../functions/shared/contracts/environment.js';
import { retentionFromDays } from '../log-retention.js';

const FUNCTIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../functions');

/** Memory, timeout and reserved concurrency of a function, as a deployer may override them. */
export interface FunctionSizing {
  /** @default the function's own default */
  readonly memorySize?: number;
  /** @default the function's own default */
  readonly timeout?: Duration;
  /** @default no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
}

export interface ProjectFunctionProps {
  /** The function: its folder under functions/ (holding `handler.ts`) and its Powertools service name. */
  readonly service: FunctionService;
  /** Short description shown in the Lambda console. */
  readonly description: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** Metrics namespace for Powertools Metrics. */
  readonly metricsNamespace: string;
  /**
   * Modules of the function (`<name>.ts` in its folder, named without the extension) bundled on their
   * own beside `index.mjs`, for a rare path to import on first use (functions/ingest/lazy-modules.ts).
   * @default none
   */
  readonly lazyModules?: readonly string[];
}

/** Where the synthesized functions' source maps go: beside the assets in the cloud assembly, never in one. */
export const SOURCE_MAPS_DIR = 'source-maps';

const STASH_SOURCE_MAP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'stash-source-map.mjs');
const BUNDLE_LAZY_MODULE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  'bundle-lazy-module.mjs',
);

/**
 * esbuild settings of every project function (the benchmark builds its SDK-only floor bundle with them).
 * The source map is written, then moved out of the asset (see stash-source-map.mjs), so the deployed
 * code is `index.mjs` alone and a stack trace from CloudWatch is resolved with `npm run stack-trace`.
 */
export const PROJECT_BUNDLING = {
  format: nodejs.OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: true,
  // No sourceMappingURL comment: the map is not deployed, and nothing at runtime should look for it.
  sourceMapMode: nodejs.SourceMapMode.EXTERNAL,
  // The AWS SDK v3 ships in the runtime, but bundling pins the version we tested with.
  externalModules: [],
  mainFields: ['module', 'main'],
  // ESM bundles need `require` for the few CommonJS dependencies that call it.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => [
      `"${process.execPath}" "${STASH_SOURCE_MAP}" "${outputDir}" "${path.join(outputDir, '..', SOURCE_MAPS_DIR)}"`,
    ],
  },
} satisfies nodejs.BundlingOptions;

/**
 * The house Lambda function: Node.js 24 on arm64, esbuild-bundled ESM (source maps kept beside the asset, not deployed), X-Ray
 * tracing, JSON logs into a log group with retention, and Powertools configured by environment.
 * Its role starts with nothing but writing to its own log group (no AWS-managed policy); grants add the rest.
 */
export class ProjectFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: retentionFromDays(props.logRetentionDays ?? 30),
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
      inlinePolicies: {
        WriteOwnLogs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    super(scope, id, {
      role,
      entry: path.join(FUNCTIONS_DIR, props.service, 'handler.ts'),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      // No NODE_OPTIONS=--enable-source-maps: reading the map at load cost ~25 % more init CPU and 13-15 MiB.
      // Stack traces are resolved offline instead (`npm run stack-trace`, docs/PERFORMANCE.md).
      // The function's own variables are added by the `bind*` helpers of what it uses (setEnvironment).
      environment: Object.fromEntries([
        envEntry(RUNTIME_ENV.serviceName, props.service),
        envEntry(RUNTIME_ENV.metricsNamespace, props.metricsNamespace),
        envEntry(RUNTIME_ENV.logLevel, 'INFO'),
      ]),
      bundling: withLazyModules(props.service, props.lazyModules ?? []),
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.',
    });
    for (const kmsActionFamily of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${kmsActionFamily}]`,
        reason:
          "CDK grants on the stack's customer-managed key use KMS action families; the resource is that one key " +
          '(asserted in test/infra), never *.',
      });
    }
  }
}

/** PROJECT_BUNDLING, plus a hook bundling each lazy module beside `index.mjs` with the same esbuild settings. */
function withLazyModules(service: FunctionService, modules: readonly string[]): nodejs.BundlingOptions {
  if (modules.length === 0) return PROJECT_BUNDLING;
  // Base64, so the banner's quotes survive the shell the hook runs in.
  const options = Buffer.from(
    JSON.stringify({
      format: 'esm',
      platform: 'node',
      target: PROJECT_BUNDLING.target,
      minify: PROJECT_BUNDLING.minify,
      mainFields: PROJECT_BUNDLING.mainFields,
      banner: { js: PROJECT_BUNDLING.banner },
    }),
  ).toString('base64');
  return {
    ...PROJECT_BUNDLING,
    commandHooks: {
      ...PROJECT_BUNDLING.commandHooks,
      afterBundling: (inputDir: string, outputDir: string) => [
        ...modules.map((name) => {
          const entry = path.join(FUNCTIONS_DIR, service, `${name}.ts`);
          const outfile = path.join(outputDir, bundledLazyModule(name));
          return `"${process.execPath}" "${BUNDLE_LAZY_MODULE}" "${entry}" "${outfile}" ${options}`;
        }),
        ...PROJECT_BUNDLING.commandHooks.afterBundling(inputDir, outputDir),
      ],
    },
  };
}

/** Sets one of the function's contract variables (functions/shared/contracts), written as the function reads it. */
export function setEnvironment<T>(fn: lambda.Function, variable: EnvVar<T>, value: T): void {
  fn.addEnvironment(...envEntry(variable, value));
}

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FunctionBundle } from '../local/bundles.js';
import { LocalResources } from '../local/pipeline/intrinsics.js';

/**
 * The environment a bundle runs with in Lambda: the variables the template gives the function (its
 * references resolved to plausible names and ARNs, as a deployment would), the ones the Lambda runtime
 * sets (region, function name and memory, log format, X-Ray daemon), and SDK endpoints pointing at the
 * benchmark's stub.
 */
export const REGION = 'eu-central-1';
const ACCOUNT = '123456789012';

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface LambdaEnvironmentOptions {
  readonly endpoint: string;
  readonly xrayPort: number;
  /** Overrides (e.g. a real table name for DynamoDB Local). */
  readonly overrides?: Readonly<Record<string, string>>;
}

export function lambdaEnvironment(
  outdir: string,
  bundle: FunctionBundle,
  opts: LambdaEnvironmentOptions,
): Record<string, string> {
  const { resources, resource } = findResource(outdir, bundle.logicalId);
  const local = new LocalResources({ region: REGION, accountId: ACCOUNT, stackName: 'Bench' });
  for (const [logicalId, other] of Object.entries(resources)) defineLike(local, logicalId, other);
  const variables =
    (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {};
  const deployed = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, local.resolveString(value, name)]),
  );
  const memory = String(resource.Properties?.MemorySize ?? 128);
  const functionName = `bench-${bundle.logicalId}`;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'ASIABENCHBENCHBENCH0',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key-bench-secret-access',
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/01/[$LATEST]bench',
    LAMBDA_TASK_ROOT: bundle.dir,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${opts.xrayPort}`,
    _AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1',
    _AWS_XRAY_DAEMON_PORT: String(opts.xrayPort),
    AWS_ENDPOINT_URL_DYNAMODB: opts.endpoint,
    AWS_ENDPOINT_URL_SNS: opts.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: opts.endpoint,
    ...deployed,
    ...opts.overrides,
  };
}

function findResource(outdir: string, logicalId: string) {
  for (const file of readdirSync(outdir).filter((name) => name.endsWith('.template.json'))) {
    const template = JSON.parse(readFileSync(path.join(outdir, file), 'utf8')) as {
      Resources?: Record<string, TemplateResource>;
    };
    const resource = template.Resources?.[logicalId];
    if (resource !== undefined) return { resources: template.Resources ?? {}, resource };
  }
  throw new Error(`no template of ${outdir} has ${logicalId}`);
}

function defineLike(local: LocalResources, logicalId: string, resource: TemplateResource): void {
  const name = String(
    resource.Properties?.TopicName ?? resource.Properties?.TableName ?? `bench-${logicalId}`,
  );
  switch (resource.Type) {
    case 'AWS::SNS::Topic':
      local.define(logicalId, `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`);
      return;
    case 'AWS::SecretsManager::Secret':
      local.define(logicalId, `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`);
      return;
    case 'AWS::DynamoDB::GlobalTable':
    case 'AWS::DynamoDB::Table': {
      const arn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      local.define(logicalId, name, { Arn: arn, StreamArn: `${arn}/stream/2026-12-01T00:00:00.000` });
      return;
    }
    case 'AWS::SQS::Queue':
      local.define(logicalId, `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`, {
        Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
        QueueName: name,
      });
      return;
    default:
      local.define(logicalId, name, { Arn: `arn:aws:bench:${REGION}:${ACCOUNT}:${name}` });
  }
}

/** The fan-out's event source mapping filter patterns, from the template. */
export function fanOutFilterPatterns(outdir: string, fanOut: FunctionBundle): string[] {
  const { resources } = findResource(outdir, fanOut.logicalId);
  const mapping = Object.values(resources).find(
    (resource) =>
      resource.Type === 'AWS::Lambda::EventSourceMapping' &&
      (resource.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === fanOut.logicalId,
  );
  const filters = (
    mapping?.Properties?.FilterCriteria as { Filters?: Array<{ Pattern: string }> } | undefined
  )?.Filters;
  return (filters ?? []).map((filter) => filter.Pattern);
}

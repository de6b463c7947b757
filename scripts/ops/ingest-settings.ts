import {
  DescribeStackResourcesCommand,
  type DescribeStackResourcesCommandOutput,
  GetTemplateCommand,
  type GetTemplateCommandOutput,
} from '@aws-sdk/client-cloudformation';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { readEnvironment } from '../../functions/shared/contracts/env.js';
import { INGEST_ENV } from '../../functions/shared/contracts/environment.js';
import { buildStackModel } from '../../local/pipeline/stack-model.js';
import { loadLocalConfig } from '../../local/run/local-config.js';
import type { StackClient } from '../redrive/targets.js';
import { UsageError } from './cli.js';

/**
 * The settings the ingest reads events with (its reader and item builders), taken from where the ingest
 * takes them: the deployed ingest function's environment in the stack's template (--stack), or the
 * stack that a configuration file (cdk.json's `campaignEvents`, what `cdk deploy` and `npm start` use)
 * would deploy. Either way they go through the ingest's own environment contract (INGEST_ENV).
 */
export interface IngestReaderSettings {
  /** Where they came from, for the output. */
  readonly source: string;
  readonly eventTypes: readonly CampaignEventType[];
  readonly requiredFields: Readonly<Partial<Record<CampaignEventType, readonly string[]>>>;
  readonly verifyMailingId?: number;
  readonly publishVerificationEvents: boolean;
  readonly retentionDays: number;
  /** The large-event bucket, when it could be resolved (a deployed stack; else --large-event-bucket). */
  readonly largeEventBucket?: string;
}

const READER_ENV = {
  eventTypes: INGEST_ENV.eventTypes,
  requiredFields: INGEST_ENV.requiredFields,
  verifyMailingId: INGEST_ENV.verifyMailingId,
  publishVerificationEvents: INGEST_ENV.publishVerificationEvents,
  retentionDays: INGEST_ENV.retentionDays,
} as const;

type TemplateResources = Record<string, { Type?: string; Properties?: Record<string, unknown> }>;

/** The ingest function of a template: the one whose environment carries the ingest's own variables. */
function ingestEnvironment(resources: TemplateResources): Record<string, unknown> {
  const marker = [INGEST_ENV.endpointKeySecretId.name, INGEST_ENV.requiredFields.name];
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> })
      ?.Variables;
    if (variables !== undefined && marker.every((name) => name in variables)) return variables;
  }
  throw new UsageError('The template has no ingest function (none has the ingest environment variables)');
}

function settingsFrom(
  variables: Record<string, unknown>,
  source: string,
  resolve: (value: unknown) => string | undefined,
): IngestReaderSettings {
  const env: Record<string, string | undefined> = {};
  for (const variable of Object.values(READER_ENV)) env[variable.name] = resolve(variables[variable.name]);
  const values = readEnvironment(READER_ENV, env);
  const bucket = resolve(variables[INGEST_ENV.largeEventBucket.name]);
  return {
    source,
    eventTypes: values.eventTypes,
    requiredFields: values.requiredFields,
    ...(values.verifyMailingId !== undefined && { verifyMailingId: values.verifyMailingId }),
    publishVerificationEvents: values.publishVerificationEvents,
    retentionDays: values.retentionDays,
    ...(bucket !== undefined && { largeEventBucket: bucket }),
  };
}

/** The deployed ingest's settings: the stack's template, its `Ref`s resolved to the stack's resources. */
export async function deployedIngestSettings(
  client: StackClient,
  stackName: string,
): Promise<IngestReaderSettings> {
  const template = (await client.send(
    new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Processed' }),
  )) as GetTemplateCommandOutput;
  const resources = (JSON.parse(template.TemplateBody ?? '{}') as { Resources?: TemplateResources })
    .Resources;
  const variables = ingestEnvironment(resources ?? {});
  const described = (await client.send(
    new DescribeStackResourcesCommand({ StackName: stackName }),
  )) as DescribeStackResourcesCommandOutput;
  const physical = new Map(
    (described.StackResources ?? []).map((resource) => [
      resource.LogicalResourceId,
      resource.PhysicalResourceId,
    ]),
  );
  return settingsFrom(variables, `the deployed ingest function of stack ${stackName}`, (value) => {
    if (typeof value === 'string') return value;
    const ref = (value as { Ref?: string } | undefined)?.Ref;
    return ref === undefined ? undefined : physical.get(ref);
  });
}

/** The settings the configuration file's stack gives its ingest (cdk.json's shape: context.campaignEvents). */
export function configuredIngestSettings(configPath: string | undefined): IngestReaderSettings {
  const { config, source } = loadLocalConfig(undefined, configPath);
  const model = buildStackModel(config, {
    region: process.env.AWS_REGION || 'eu-central-1',
    accountId: '000000000000',
  });
  const variables = model.functions.get('ingest')?.environment ?? {};
  return settingsFrom(variables, `the ingest of the stack ${source} describes`, (value) =>
    typeof value === 'string' ? value : undefined,
  );
}

export function describeSettings(settings: IngestReaderSettings): string {
  const required = Object.entries(settings.requiredFields)
    .map(([type, fields]) => `${type}: ${(fields ?? []).join('+')}`)
    .join(', ');
  return (
    `Reading events as ${settings.source}: types ${settings.eventTypes.join(', ')}; required fields ` +
    `${required || 'none'}; verify mailing ${settings.verifyMailingId ?? 'none'}` +
    `${settings.publishVerificationEvents ? ' (published)' : ''}; retention ${settings.retentionDays} days`
  );
}

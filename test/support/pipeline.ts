import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { type Config, type ConfigInput, parseConfig } from '../../infra/config.js';
import { assemblePipeline, type Pipeline, type PipelineOptions } from '../../local/pipeline/assemble.js';
import { type LocalServices, startLocalServices } from '../../local/pipeline/services.js';
import { buildStackModel, type StackModel } from '../../local/pipeline/stack-model.js';
import { createTable, eventTableModel } from '../../local/pipeline/tables.js';

/**
 * The tests' way to the one pipeline assembler (local/pipeline/assemble.ts): their own configuration
 * (never cdk.json's example values), the services started once per file and shared by the pipelines of
 * its tests (each under its own stack name), and fresh handler modules per pipeline (vi.resetModules:
 * the handlers read their environment at load, like a cold start).
 */

export type { Pipeline } from '../../local/pipeline/assemble.js';
export type { LocalServices } from '../../local/pipeline/services.js';

/** The configuration the tests deploy: every Campaign type, one client, webhooks registered. */
export const TEST_CONFIG: ConfigInput = {
  campaign: { clientIds: [100001], verifyMailingId: 900001 },
  alerts: {
    emails: ['oncall@example.com'],
    emailMinSeverity: 'warning',
    slackWebhookSecretName: 'campaign-events/slack-webhook',
  },
};

/** What a test changes in TEST_CONFIG: any part, each section merged over the test configuration's. */
export type TestConfigInput = {
  [K in keyof ConfigInput]?: NonNullable<ConfigInput[K]> extends
    | readonly unknown[]
    | string
    | number
    | boolean
    ? ConfigInput[K]
    : Partial<NonNullable<ConfigInput[K]>>;
};

export interface TestPipelineOptions extends Omit<PipelineOptions, 'config' | 'services' | 'freshModules'> {
  /** Merged over TEST_CONFIG (one level deep: api, campaign, alerts). */
  readonly config?: TestConfigInput;
}

let pipelines = 0;

/** A unique stack name, so pipelines sharing the services never share a table, topic or queue. */
export function testStackName(): string {
  pipelines++;
  return `Test${process.pid}x${pipelines}`;
}

export function testConfig(input: TestConfigInput = {}): Config {
  const merged = {
    ...TEST_CONFIG,
    ...input,
    api: { ...TEST_CONFIG.api, ...input.api },
    campaign: { ...TEST_CONFIG.campaign, ...input.campaign },
    alerts: { ...TEST_CONFIG.alerts, ...input.alerts },
  } as ConfigInput;
  return parseConfig({ stackName: testStackName(), ...merged });
}

/** The services for one test file (DynamoDB Local, SNS, SQS, Secrets Manager, S3). */
export function startTestServices(options: { dataDir?: string } = {}): Promise<LocalServices> {
  return startLocalServices({
    region: process.env.AWS_REGION || 'eu-central-1',
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
}

/** A pipeline as the stack describes it, on the file's services. */
export function startTestPipeline(
  services: LocalServices,
  options: TestPipelineOptions = {},
): Promise<Pipeline> {
  const { config, ...rest } = options;
  return assemblePipeline({
    ...rest,
    config: testConfig(config),
    services,
    region: services.region,
    freshModules: () => vi.resetModules(),
  });
}

/**
 * The hooks most pipeline test files share: the file's services, started once, and one pipeline per test
 * (`start`), stopped after its test, with the SNS stand-in's record cleared for the next one.
 */
export function pipelinePerTest(): {
  readonly services: LocalServices;
  start(options?: TestPipelineOptions): Promise<Pipeline>;
} {
  let services: LocalServices | undefined;
  let pipeline: Pipeline | undefined;
  beforeAll(async () => {
    services = await startTestServices();
  });
  afterAll(async () => {
    await services?.stop();
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    services?.sns.reset();
  });
  const started = (): LocalServices => {
    if (services === undefined) throw new Error('pipelinePerTest: the services start in beforeAll');
    return services;
  };
  return {
    get services() {
      return started();
    },
    async start(options = {}) {
      pipeline = await startTestPipeline(started(), options);
      return pipeline;
    },
  };
}

/** The stack's model for the test configuration (no services). */
export function testStackModel(input: TestConfigInput = {}): StackModel {
  return buildStackModel(testConfig(input), {
    region: process.env.AWS_REGION || 'eu-central-1',
    accountId: '000000000000',
  });
}

let eventTable: StackModel['tables'][number] | undefined;

/** The stack's events table (as its template declares it) under `name`, for harness tests. */
export async function createStackEventTable(
  client: DynamoDBClient,
  name: string,
): Promise<{ tableName: string; streamArn: string }> {
  eventTable ??= eventTableModel(testStackModel());
  const { streamArn } = await createTable(client, name, eventTable);
  if (streamArn === undefined) throw new Error('The events table has no stream');
  return { tableName: name, streamArn };
}

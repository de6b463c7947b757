import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { Template } from 'aws-cdk-lib/assertions';
import { CampaignEventsStack } from '../../infra/campaign-events-stack.js';
import type { ConfigInput } from '../../infra/config.js';
import type { PublishedMessage } from '../../local/sns-stand-in.js';
import { STACK_OUTPUTS, type StackClient } from '../../scripts/redrive/targets.js';
import { testApp } from './app.js';
import type { Pipeline } from './pipeline.js';
import { TEST_CONFIG } from './pipeline.js';

/** What the operator-command tests share: a cdk.json to read settings from, the CLI's output, bodies. */

/** Writes a cdk.json-shaped file (context.campaignEvents) over the test configuration; returns its path. */
export function writeCdkJson(input: Partial<ConfigInput>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ops-config-'));
  const file = path.join(dir, 'cdk.json');
  writeFileSync(file, JSON.stringify({ context: { campaignEvents: { ...TEST_CONFIG, ...input } } }));
  return file;
}

export type Cli = (
  argv: readonly string[],
  io: { stdout: (line: string) => void; stderr: (line: string) => void },
) => Promise<number>;

/** Runs an operator CLI in process; the pipeline's AWS_ENDPOINT_URL_* reach the local services. */
export async function runOperation(cli: Cli, ...argv: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await cli(argv, {
    stdout: (line) => lines.push(line),
    stderr: (line) => lines.push(`stderr: ${line}`),
  });
  return { code, output: lines.join('\n') };
}

/** The large-event bucket of the pipeline's ingest (its LARGE_EVENT_BUCKET, resolved locally). */
export function largeEventBucketOf(p: Pipeline): string {
  const ref = (p.model.functions.get('ingest')?.environment.LARGE_EVENT_BUCKET as { Ref?: string })?.Ref;
  const bucket = ref === undefined ? undefined : p.provisioned.buckets.get(ref);
  if (bucket === undefined) throw new Error('The pipeline has no large-event bucket');
  return bucket;
}

export const bodyOf = (message: PublishedMessage) =>
  JSON.parse(message.message) as { eventKey: string; eventType: string; event?: Record<string, unknown> };

/**
 * What CloudFormation answers about the pipeline's stack, from the stack itself: its template as `cdk
 * deploy` would deploy it (synthesized from the pipeline's configuration), its resources' physical names
 * as the local run provisioned them, and its outputs (EventTableName, TopicArn<Type>). It lets a test run
 * an operator command with `--stack` (DescribeStacks, GetTemplate, DescribeStackResources).
 */
export function stackAnswers(p: Pipeline): { send(command: object): Promise<unknown> } {
  const stack = new CampaignEventsStack(testApp(), p.config.stackName, {
    config: p.config,
    env: { account: p.model.accountId, region: p.model.region },
  });
  const template = JSON.stringify(Template.fromStack(stack).toJSON());
  const physical: Array<[string, string]> = [
    [p.model.tableLogicalId, p.tableName],
    ...p.provisioned.buckets,
    ...p.model.eventTopics.map(({ type, logicalId }): [string, string] => [
      logicalId,
      p.topicArns[type] as string,
    ]),
  ];
  const outputs = [
    { OutputKey: STACK_OUTPUTS.tableName, OutputValue: p.tableName },
    ...p.model.eventTopics.map(({ type }) => ({
      OutputKey: STACK_OUTPUTS.topicArn(type),
      OutputValue: p.topicArns[type],
    })),
  ];
  return {
    async send(command) {
      if (command instanceof DescribeStacksCommand)
        return { Stacks: [{ StackName: p.config.stackName, Outputs: outputs }] };
      if (command instanceof GetTemplateCommand) return { TemplateBody: template };
      if (command instanceof DescribeStackResourcesCommand) {
        return {
          StackResources: physical.map(([LogicalResourceId, PhysicalResourceId]) => ({
            LogicalResourceId,
            PhysicalResourceId,
          })),
        };
      }
      throw new Error(`Not answered here: ${command.constructor.name}`);
    },
  };
}

type StackCli = (
  argv: readonly string[],
  io: {
    stdout: (line: string) => void;
    stderr: (line: string) => void;
    clients?: { cloudFormation?: StackClient };
  },
) => Promise<number>;

/** Runs an operator CLI with `--stack <the pipeline's stack>`, CloudFormation answered by {@link stackAnswers}. */
export async function runWithStack(
  cli: StackCli,
  p: Pipeline,
  ...argv: string[]
): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await cli(['--stack', p.config.stackName, ...argv], {
    stdout: (line) => lines.push(line),
    stderr: (line) => lines.push(`stderr: ${line}`),
    clients: { cloudFormation: stackAnswers(p) as unknown as StackClient },
  });
  return { code, output: lines.join('\n') };
}

import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { ENV } from '../../functions/shared/contracts/environment.js';

/** What the replay reads and writes. */
export interface RedriveTargets {
  readonly queueUrl: string;
  readonly tableName: string;
  readonly topicArns: ReadonlyMap<CampaignEventType, string>;
}

/** The stack outputs the targets come from (infra/campaign-events-stack.ts and infra/constructs/event-topics.ts). */
export const STACK_OUTPUTS = {
  queueUrl: 'FanOutDeadLetterQueueUrl',
  /** With --parked: the queue of events the fan-out parked one by one. */
  parkedQueueUrl: 'ParkedEventsQueueUrl',
  tableName: 'EventTableName',
  /** One per configured type: `TopicArn` + the type with its first letter capitalized, e.g. TopicArnBounce. */
  topicArn: (eventType: CampaignEventType) =>
    `TopicArn${eventType.charAt(0).toUpperCase()}${eventType.slice(1)}`,
} as const;

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/** The part of the CloudFormation client the replay uses. */
export type StackClient = Pick<CloudFormationClient, 'send'>;

/** A stack's outputs, by key. */
export async function readStackOutputs(
  client: StackClient,
  stackName: string,
): Promise<Record<string, string>> {
  let output: DescribeStacksCommandOutput;
  try {
    output = (await client.send(
      new DescribeStacksCommand({ StackName: stackName }),
    )) as DescribeStacksCommandOutput;
  } catch (error) {
    const { name, message } = error as Error;
    throw new TargetError(`Cannot read the outputs of stack ${stackName}: ${name}: ${message}`);
  }
  const [stack] = output.Stacks ?? [];
  if (stack === undefined) throw new TargetError(`Stack ${stackName} was not found`);
  const outputs: Record<string, string> = {};
  for (const { OutputKey, OutputValue } of stack.Outputs ?? []) {
    if (OutputKey !== undefined && OutputValue !== undefined) outputs[OutputKey] = OutputValue;
  }
  return outputs;
}

export interface TargetInputs {
  /** Outputs of the stack given with --stack. */
  readonly stackOutputs?: Readonly<Record<string, string>>;
  readonly stackName?: string;
  /** Explicit values; each one overrides the stack's output. */
  readonly queueUrl?: string;
  readonly tableName?: string;
  /** A JSON object of event type -> topic ARN, as the fan-out's TOPIC_ARNS. */
  readonly topicArnsJson?: string;
  /** The parked-events queue instead of the dead-letter queue (the table is not needed then). */
  readonly parked?: boolean;
}

/** The targets from explicit values and the stack's outputs, or an error naming everything missing. */
export function resolveTargets(inputs: TargetInputs): RedriveTargets {
  const outputs = inputs.stackOutputs ?? {};
  const from = inputs.stackName === undefined ? '' : ` (stack ${inputs.stackName} has no output`;
  const missing: string[] = [];
  const queueOutput = inputs.parked ? STACK_OUTPUTS.parkedQueueUrl : STACK_OUTPUTS.queueUrl;
  const queueUrl = inputs.queueUrl ?? outputs[queueOutput];
  if (queueUrl === undefined) missing.push(`--queue-url${from && `${from} ${queueOutput})`}`);
  const tableName = inputs.tableName ?? outputs[STACK_OUTPUTS.tableName] ?? (inputs.parked ? '' : undefined);
  if (tableName === undefined) missing.push(`--table-name${from && `${from} ${STACK_OUTPUTS.tableName})`}`);

  let topicArns: ReadonlyMap<CampaignEventType, string>;
  if (inputs.topicArnsJson !== undefined) {
    try {
      topicArns = ENV.topicArns.parse(inputs.topicArnsJson);
    } catch (error) {
      throw new TargetError(`--topic-arns: ${(error as Error).message}`);
    }
  } else {
    const fromOutputs = new Map<CampaignEventType, string>();
    for (const eventType of CAMPAIGN_EVENT_TYPES) {
      const arn = outputs[STACK_OUTPUTS.topicArn(eventType)];
      if (arn !== undefined) fromOutputs.set(eventType, arn);
    }
    topicArns = fromOutputs;
  }
  if (topicArns.size === 0) {
    missing.push(`--topic-arns${from && `${from}s named ${STACK_OUTPUTS.topicArn('bounce')} and the like)`}`);
  }
  if (missing.length > 0) {
    throw new TargetError(`Missing ${missing.join(', ')}. Pass --stack <name>, or each of these.`);
  }
  if (!/^https?:\/\/[^/]+\/\d{12}\/[A-Za-z0-9_-]{1,80}$/.test(queueUrl as string)) {
    throw new TargetError(
      `--queue-url is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>): ${queueUrl}`,
    );
  }
  return { queueUrl: queueUrl as string, tableName: tableName as string, topicArns };
}

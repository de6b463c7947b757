import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../functions/shared/campaign-event-types.js';
import { ENV } from '../functions/shared/contracts/environment.js';
import {
  type CliIo,
  COMMON_OPTIONS,
  COMMON_USAGE,
  commonSettings,
  numberOption,
  runCommand,
  type StackSource,
  stackSource,
  stringOption,
  tableNameFrom,
  timeOption,
  typesOption,
  UsageError,
} from './ops/cli.js';
import { STACK_OUTPUTS, type StackClient } from './redrive/targets.js';
import { REPLAY_ATTRIBUTE, runReplay } from './replay/run.js';
import { createSender, isQueueArn, isTopicArn, type ReplayTarget } from './replay/targets.js';

/** Operator CLI to republish a time window of stored events: `npm run replay -- --help`. Steps: scripts/replay/. */

const USAGE = `Usage: npm run replay -- --from <time> --to <time> (--stack <name> | --table-name <name> --topic-arns <json>) [options]

Republishes the accepted events the table holds that were received in [--from, --to), with the fan-out's
own message (the same body and attributes as the first delivery) plus a "${REPLAY_ATTRIBUTE}" attribute
naming this replay, so subscribers can tell and filter ({"${REPLAY_ATTRIBUTE}": [{"exists": false}]} keeps them
away). The table keeps events for retentionDays; an event Campaign redelivered carries its latest receivedAt.

  --from <time> --to <time>   ISO-8601 (a date alone is midnight UTC); --from included, --to excluded
  --types <a,b>               only these event types
  --client <id>               only this Campaign client (repeatable)
  --target topics             to the type topics: every subscriber of each type gets them (the default)
  --target-topic <arn>        to this one topic (e.g. a subscriber's own)
  --target-queue <arn>        to this one subscriber's queue only, as SNS delivers it (notification envelope)
  --raw                       with --target-queue: the subscription has raw message delivery
  --topic-arns <json>         {"bounce": "arn:…", …} (overrides the stack's TopicArn<Type> outputs)
  --replay-id <text>          the ${REPLAY_ATTRIBUTE} attribute's value (default: this run's start time)
  --limit <n>                 events listed one a line (default 50)

${COMMON_USAGE}`;

export interface ReplayIo extends CliIo {
  readonly clients?: {
    dynamodb?: DynamoDBClient;
    sns?: SNSClient;
    sqs?: SQSClient;
    cloudFormation?: StackClient;
  };
}

export function runCli(argv: readonly string[], io: ReplayIo): Promise<number> {
  return runCommand('replay', io, async (own) => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...COMMON_OPTIONS,
        from: { type: 'string' },
        to: { type: 'string' },
        types: { type: 'string', multiple: true },
        client: { type: 'string', multiple: true },
        target: { type: 'string' },
        'target-topic': { type: 'string' },
        'target-queue': { type: 'string' },
        raw: { type: 'boolean' },
        'topic-arns': { type: 'string' },
        'replay-id': { type: 'string' },
        limit: { type: 'string' },
      },
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    const from = timeOption(values.from, '--from');
    const to = timeOption(values.to, '--to');
    if (from === undefined || to === undefined) throw new UsageError('--from and --to are required');
    if (from >= to) throw new UsageError('--from must be before --to');
    const clientIds = values.client?.map((id) => {
      if (!/^\d{1,38}$/.test(id.trim()))
        throw new UsageError(`--client must be a Campaign client id, got "${id}"`);
      return id.trim();
    });
    const types = typesOption(values.types, '--types');
    const common = commonSettings(values);
    const stack = await stackSource(stringOption(values.stack), io.clients?.cloudFormation, own);
    const tableName = tableNameFrom(values, stack);
    const target = targetFrom(values, topicArnsFrom(stringOption(values['topic-arns']), stack));
    const replayId = stringOption(values['replay-id']) ?? new Date().toISOString();
    const sender = createSender(
      target,
      { sns: io.clients?.sns ?? own(new SNSClient({})), sqs: io.clients?.sqs ?? own(new SQSClient({})) },
      common.writeLimiter,
    );
    io.stdout(
      `Replay ${replayId} of ${tableName}${common.dryRun ? ' (DRY RUN: nothing is sent; --yes to send)' : ''}`,
    );
    return runReplay(
      {
        ...common,
        tableName,
        window: { from, to, ...(types && { types }), ...(clientIds && { clientIds }) },
        target,
        replayId,
        listLimit: numberOption(values.limit, '--limit', { min: 0, integer: true }) ?? 50,
      },
      { table: io.clients?.dynamodb ?? own(new DynamoDBClient({})), sender },
      io.stdout,
    );
  });
}

function topicArnsFrom(json: string | undefined, stack: StackSource): Map<CampaignEventType, string> {
  if (json !== undefined) {
    try {
      return new Map(ENV.topicArns.parse(json));
    } catch (error) {
      throw new UsageError(`--topic-arns: ${(error as Error).message}`);
    }
  }
  const arns = new Map<CampaignEventType, string>();
  for (const type of CAMPAIGN_EVENT_TYPES) {
    const arn = stack.outputs[STACK_OUTPUTS.topicArn(type)];
    if (arn !== undefined) arns.set(type, arn);
  }
  return arns;
}

function targetFrom(
  values: Record<string, unknown>,
  topicArns: Map<CampaignEventType, string>,
): ReplayTarget {
  const topic = stringOption(values['target-topic'] as string | undefined);
  const queue = stringOption(values['target-queue'] as string | undefined);
  const named = stringOption(values.target as string | undefined);
  if ([topic, queue, named].filter((given) => given !== undefined).length > 1) {
    throw new UsageError('Choose one of --target topics, --target-topic and --target-queue');
  }
  if (named !== undefined && named !== 'topics')
    throw new UsageError(`--target is "topics" or absent, not "${named}"`);
  if (values.raw === true && queue === undefined) throw new UsageError('--raw goes with --target-queue');
  if (topic !== undefined) {
    if (!isTopicArn(topic)) throw new UsageError(`--target-topic is not an SNS topic ARN: ${topic}`);
    return { kind: 'topic', topicArn: topic };
  }
  if (topicArns.size === 0) throw new UsageError('No topics: pass --stack or --topic-arns');
  if (queue !== undefined) {
    if (!isQueueArn(queue)) throw new UsageError(`--target-queue is not an SQS queue ARN: ${queue}`);
    return { kind: 'queue', queueArn: queue, raw: values.raw === true, topicArns };
  }
  return { kind: 'topics', topicArns };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  });
}

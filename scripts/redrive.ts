import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createPublisher } from '../functions/fan-out/publisher.js';
import { createDeadLetterQueue } from './redrive/dead-letter-queue.js';
import { replayParkedEvents } from './redrive/parked-events.js';
import { type RedriveClients, type RedriveSettings, runRedrive } from './redrive/run.js';
import { DEFAULT_WINDOW_MARGIN_SECONDS } from './redrive/table-window.js';
import { readStackOutputs, resolveTargets, type StackClient, TargetError } from './redrive/targets.js';

/**
 * Operator CLI: replays the events of the stream batches the fan-out parked in its dead-letter queue.
 * Run `npm run redrive -- --help`. The replay itself is scripts/redrive/run.ts.
 */

const USAGE = `Usage: npm run redrive -- (--stack <name> | --queue-url <url> --table-name <name> --topic-arns <json>) [options]
       npm run redrive -- --parked (--stack <name> | --queue-url <url> --topic-arns <json>) [--yes] [--max-messages <n>]

--parked replays the parked-events queue: one message per event the fan-out could never publish as it was
(SNS called it invalid, no topic for its type, an unreadable item), each with its content and reason. After
the fix, each event's message is built again from its stored image with today's fan-out code and published to
its type's topic; the message is deleted once SNS took it, kept (with the reason printed) otherwise.

Without --parked:

Replays the events of the stream batches the fan-out could not publish (its dead-letter queue): reads each
batch again from the table's stream (or, past the stream's 24 h, the events received around it from the
table), publishes them to their SNS topics exactly as the fan-out does, and deletes a message only when every
event of its batch was published. A batch read from the table cannot be proven complete (a redelivered event
has a newer receivedAt): its message is kept unless --accept-table-window is given. Without --yes it is a dry
run that changes nothing. See docs/REPLAY.md.

Targets:
  --stack <name>              read the queue, table and topics from the stack's outputs
                              (FanOutDeadLetterQueueUrl, EventTableName, TopicArn<Type>)
  --queue-url <url>           the fan-out dead-letter queue (overrides the stack output)
  --table-name <name>         the events table (overrides the stack output)
  --topic-arns <json>         {"bounce": "arn:aws:sns:…", …}, as the fan-out's TOPIC_ARNS (overrides the outputs)

Options:
  --parked                    the parked-events queue (stack output ParkedEventsQueueUrl) instead of the
                              dead-letter queue of stream batches
  --yes                       replay: publish and delete (default: dry run)
  --max-messages <n>          handle at most n messages (default: every message in the queue)
  --window-margin <seconds>   when the table is read: widen the batch's arrival span by this much on each
                              side (default ${DEFAULT_WINDOW_MARGIN_SECONDS})
  --accept-table-window       when the table is read: delete the message once the window's events are all
                              published and at least as many as the batch's records, although the table
                              cannot prove they include every event of the batch (check first: docs/REPLAY.md)
  --help                      this text

AWS credentials and region come from the usual AWS environment (AWS_PROFILE, AWS_REGION, ...);
AWS_ENDPOINT_URL_SQS, _DYNAMODB, _DYNAMODB_STREAMS, _SNS and _CLOUDFORMATION point it at other endpoints.
Exit code: 0 when every message was (or would be) replayed and deleted, 1 when some was (or would be) left in
the queue, 2 for a usage error.`;

/** Long-poll wait per receive: an empty receive ends the run, so it should not end it early. */
const WAIT_TIME_SECONDS = 5;
/** Longer than replaying one message takes (a table scan included); kept messages are released sooner. */
const VISIBILITY_TIMEOUT_SECONDS = 900;

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** AWS clients to use instead of ones built from the environment (tests). */
  readonly clients?: Partial<RedriveClients & { cloudFormation: StackClient }>;
}

class UsageError extends Error {}

/** Runs the replay; resolves with the exit code (0 all replayed, 1 something was not, 2 usage error). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(argv);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\nRun "npm run redrive -- --help" for usage.`);
    return 2;
  }
  if (options.help) {
    io.stdout(USAGE);
    return 0;
  }
  const owned: Array<{ destroy(): void }> = [];
  const own = <T extends { destroy(): void }>(made: T): T => {
    owned.push(made);
    return made;
  };
  try {
    const stackOutputs =
      options.stack === undefined
        ? undefined
        : await readStackOutputs(
            io.clients?.cloudFormation ?? own(new CloudFormationClient({})),
            options.stack,
          );
    const targets = resolveTargets({ ...options, stackName: options.stack, stackOutputs });
    const given = io.clients ?? {};
    if (options.parked) {
      const sqs = given.sqs ?? own(new SQSClient({}));
      const sns = given.sns ?? own(new SNSClient({}));
      const queue = createDeadLetterQueue(sqs, {
        queueUrl: targets.queueUrl,
        waitTimeSeconds: WAIT_TIME_SECONDS,
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      });
      const { exitCode } = await replayParkedEvents(
        {
          queue,
          publisher: createPublisher({ client: sns }),
          topicArns: targets.topicArns,
          dryRun: !options.yes,
          ...(options.maxMessages !== undefined && { maxMessages: options.maxMessages }),
        },
        io.stdout,
      );
      return exitCode;
    }
    const settings: RedriveSettings = {
      ...targets,
      dryRun: !options.yes,
      ...(options.maxMessages !== undefined && { maxMessages: options.maxMessages }),
      windowMarginSeconds: options.windowMargin ?? DEFAULT_WINDOW_MARGIN_SECONDS,
      acceptTableWindow: options.acceptTableWindow,
      waitTimeSeconds: WAIT_TIME_SECONDS,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    };
    const clients: RedriveClients = {
      sqs: given.sqs ?? own(new SQSClient({})),
      streams: given.streams ?? own(new DynamoDBStreamsClient({})),
      dynamodb: given.dynamodb ?? own(new DynamoDBClient({})),
      sns: given.sns ?? own(new SNSClient({})),
    };
    const { exitCode } = await runRedrive(settings, clients, io.stdout);
    return exitCode;
  } catch (error) {
    if (error instanceof TargetError) {
      io.stderr(`${error.message}\n\nRun "npm run redrive -- --help" for usage.`);
      return 2;
    }
    const { name, message } = error as Error;
    io.stderr(`Error: ${name}: ${message}`);
    return 1;
  } finally {
    for (const made of owned) made.destroy();
  }
}

function parseOptions(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      stack: { type: 'string' },
      'queue-url': { type: 'string' },
      'table-name': { type: 'string' },
      'topic-arns': { type: 'string' },
      yes: { type: 'boolean' },
      'max-messages': { type: 'string' },
      'window-margin': { type: 'string' },
      'accept-table-window': { type: 'boolean' },
      parked: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
  return {
    help: values.help ?? false,
    yes: values.yes ?? false,
    acceptTableWindow: values['accept-table-window'] ?? false,
    parked: values.parked ?? false,
    stack: values.stack,
    queueUrl: values['queue-url'],
    tableName: values['table-name'],
    topicArnsJson: values['topic-arns'],
    maxMessages: optionalNumber(values['max-messages'], '--max-messages', { integer: true, min: 1 }),
    windowMargin: optionalNumber(values['window-margin'], '--window-margin', { integer: false, min: 0 }),
  };
}

function optionalNumber(
  raw: string | undefined,
  name: string,
  rule: { integer: boolean; min: number },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const valid = raw.trim() !== '' && Number.isFinite(value) && value >= rule.min;
  if (!valid || (rule.integer && !Number.isInteger(value))) {
    const kind = rule.integer ? 'an integer' : 'a number';
    throw new UsageError(`${name} must be ${kind} of at least ${rule.min}, got "${raw}"`);
  }
  return value;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const code = await runCli(process.argv.slice(2), {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  });
  process.exitCode = code;
}

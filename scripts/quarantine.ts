import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { CAMPAIGN_EVENT_TYPES } from '../functions/shared/campaign-event-types.js';
import type { StackSource } from './ops/cli.js';
import {
  type CliIo,
  COMMON_OPTIONS,
  COMMON_USAGE,
  commonSettings,
  numberOption,
  runCommand,
  stackSource,
  stringOption,
  tableNameFrom,
  timeOption,
  typesOption,
  UsageError,
} from './ops/cli.js';
import {
  configuredIngestSettings,
  deployedIngestSettings,
  describeSettings,
  type IngestReaderSettings,
} from './ops/ingest-settings.js';
import { createLargeEventStore } from './ops/large-event-store.js';
import { runList, runShow } from './quarantine/list.js';
import { runRequeue } from './quarantine/requeue.js';
import { STACK_OUTPUTS, type StackClient } from './redrive/targets.js';

/** Operator CLI for quarantined events: `npm run quarantine -- --help`. Steps: scripts/quarantine/. */

const USAGE = `Usage: npm run quarantine -- <list | show <eventKey> | requeue> (--stack <name> | --table-name <name>) [options]

  list      quarantined events by type and reason (count, first and last arrival), then the newest one a line
  show      one quarantined event: its issues, what the current settings make of it, its fields' names
  requeue   read every quarantined event again with the ingest's own reader under the current settings;
            promote the ones that pass to accepted items (the fan-out publishes each once, as a new event;
            one Campaign already redelivered is not published again) and update the reasons of the rest

The current settings are the ingest's (event types, required fields, verify mailing, retention): with
--stack, the deployed ingest function's environment (the stack's template); otherwise those of the stack
--config describes (default: the repository's cdk.json, as cdk deploy and npm start use it). Deploy the
relaxed configuration first, then requeue: the ingest then accepts the same events when Campaign resends them.

Options:
  --config <cdk.json>         take the settings from this configuration (its context.campaignEvents)
  --large-event-bucket <name> where a promoted event too large for an item is kept (default: the stack's)
  --types <a,b>               requeue or show only events whose type could be read as one of these
  --since <time> --until <time>  list: events received in [since, until)
  --limit <n>                 single events listed (default 50; the counts cover all)
  --reveal                    show: print the event's text too (it holds the recipient's address)

${COMMON_USAGE}`;

export interface QuarantineIo extends CliIo {
  readonly clients?: { dynamodb?: DynamoDBClient; s3?: S3Client; cloudFormation?: StackClient };
}

export function runCli(argv: readonly string[], io: QuarantineIo): Promise<number> {
  return runCommand('quarantine', io, async (own) => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...COMMON_OPTIONS,
        config: { type: 'string' },
        'large-event-bucket': { type: 'string' },
        types: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
        reveal: { type: 'boolean' },
      },
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    const [action, ...rest] = positionals;
    if (action !== 'list' && action !== 'show' && action !== 'requeue') {
      throw new UsageError(
        `Say list, show <eventKey> or requeue${action === undefined ? '' : `, not "${action}"`}`,
      );
    }
    const common = commonSettings(values);
    const stack = await stackSource(stringOption(values.stack), io.clients?.cloudFormation, own);
    const tableName = tableNameFrom(values, stack);
    const table = io.clients?.dynamodb ?? own(new DynamoDBClient({}));
    const store = createLargeEventStore(io.clients?.s3 ?? own(new S3Client({})));
    const listLimit = numberOption(values.limit, '--limit', { min: 0, integer: true }) ?? 50;
    if (action === 'list') {
      return runList(
        {
          ...common,
          tableName,
          listLimit,
          since: timeOption(values.since, '--since'),
          until: timeOption(values.until, '--until'),
        },
        table,
        io.stdout,
      );
    }
    const settings = await readerSettings(values, stack);
    io.stdout(describeSettings(settings));
    const topicTypes =
      stack.stackName === undefined
        ? undefined
        : new Set(
            CAMPAIGN_EVENT_TYPES.filter((type) => stack.outputs[STACK_OUTPUTS.topicArn(type)] !== undefined),
          );
    if (topicTypes === undefined && action === 'requeue') {
      io.stdout(
        'Without --stack the deployed topics are not checked: deploy these settings before requeueing.',
      );
    }
    if (action === 'show') {
      const [eventKey] = rest;
      if (eventKey === undefined) throw new UsageError('show needs the event key (quarantine#…)');
      return runShow(
        eventKey,
        { tableName, settings, reveal: values.reveal === true },
        { table, store },
        io.stdout,
      );
    }
    if (rest.length > 0) throw new UsageError(`Unexpected argument "${rest[0]}"`);
    const types = typesOption(values.types, '--types');
    return runRequeue(
      {
        ...common,
        tableName,
        settings,
        listLimit,
        ...(types && { types }),
        ...(topicTypes && { topicTypes }),
      },
      { table, store },
      io.stdout,
    );
  });
}

async function readerSettings(
  values: Record<string, unknown>,
  stack: StackSource,
): Promise<IngestReaderSettings> {
  const config = stringOption(values.config as string | undefined);
  const fromStack =
    config === undefined && stack.stackName !== undefined && stack.cloudFormation !== undefined;
  const settings = fromStack
    ? await deployedIngestSettings(stack.cloudFormation as StackClient, stack.stackName as string)
    : configuredIngestSettings(config);
  const bucket = stringOption(values['large-event-bucket'] as string | undefined);
  return bucket === undefined ? settings : { ...settings, largeEventBucket: bucket };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  });
}

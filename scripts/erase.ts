import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { parseRecipients } from './erase/recipients.js';
import { runErase } from './erase/run.js';
import {
  type CliIo,
  COMMON_OPTIONS,
  COMMON_USAGE,
  commonSettings,
  runCommand,
  stackSource,
  stringOption,
  tableNameFrom,
  UsageError,
} from './ops/cli.js';
import { deployedIngestSettings } from './ops/ingest-settings.js';
import { createLargeEventStore } from './ops/large-event-store.js';
import type { StackClient } from './redrive/targets.js';

/** Operator CLI for erasure requests: `npm run erase -- --help`. Steps: scripts/erase/. */

const USAGE = `Usage: npm run erase -- --recipient <address or id> [--recipient …] [--file <list>] (--stack <name> | --table-name <name>) [options]

Deletes every stored event of the recipients (GDPR Art. 17): accepted, quarantined and verification items
holding one of them, found by a strongly consistent parallel scan of the whole table (the key is a content
hash, so nothing cheaper finds them), and their text in the large-event bucket (an object shared with other
events keeps theirs: only the recipient's bytes are blanked). Many recipients cost one scan. At the end an
audit record goes into the table: the time, the counts and a salted hash per recipient, never an address.
Output names event keys (content hashes) and counts only. What erasure cannot reach: docs/OPERATIONS.md.

  --recipient <value>         an address (has an @; compared without case) or a recipient id (exact); repeatable
  --file <path>               more recipients, one a line (# comments and empty lines skipped)
  --large-event-bucket <name> a bucket to sweep besides those items point to (with --stack: the ingest's)

${COMMON_USAGE}`;

export interface EraseIo extends CliIo {
  readonly clients?: { dynamodb?: DynamoDBClient; s3?: S3Client; cloudFormation?: StackClient };
}

export function runCli(argv: readonly string[], io: EraseIo): Promise<number> {
  return runCommand('erase', io, async (own) => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...COMMON_OPTIONS,
        recipient: { type: 'string', multiple: true },
        file: { type: 'string' },
        'large-event-bucket': { type: 'string', multiple: true },
      },
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    const recipients = parseRecipients(values.recipient ?? [], stringOption(values.file));
    if (recipients.length === 0) throw new UsageError('Name at least one recipient (--recipient or --file)');
    const common = commonSettings(values);
    const stack = await stackSource(stringOption(values.stack), io.clients?.cloudFormation, own);
    const tableName = tableNameFrom(values, stack);
    const buckets = [...(values['large-event-bucket'] ?? [])];
    if (stack.stackName !== undefined && stack.cloudFormation !== undefined) {
      const bucket = (await deployedIngestSettings(stack.cloudFormation, stack.stackName)).largeEventBucket;
      if (bucket !== undefined && !buckets.includes(bucket)) buckets.push(bucket);
    }
    io.stdout(
      `Erasing ${recipients.length} recipient(s) from ${tableName}${common.dryRun ? ' (DRY RUN: nothing is deleted; --yes to act)' : ''}`,
    );
    return runErase(
      { ...common, tableName, recipients, buckets },
      {
        table: io.clients?.dynamodb ?? own(new DynamoDBClient({})),
        store: createLargeEventStore(io.clients?.s3 ?? own(new S3Client({}))),
      },
      io.stdout,
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  });
}

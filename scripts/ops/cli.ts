import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { type CampaignEventType, isCampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { readStackOutputs, STACK_OUTPUTS, type StackClient } from '../redrive/targets.js';
import { createRateLimiter, type RateLimiter } from './rate.js';

/**
 * What the operator commands (quarantine, erase, replay) share on their command line: the table from
 * --stack or --table-name, a dry run unless --yes, parallel segments, bounded rates, a cursor file, and
 * the exit codes (0 done, 1 something was left undone, 2 usage error).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

/** Options every command accepts (node:util parseArgs shape). */
export const COMMON_OPTIONS = {
  stack: { type: 'string' },
  'table-name': { type: 'string' },
  yes: { type: 'boolean' },
  segments: { type: 'string' },
  'read-rate': { type: 'string' },
  'write-rate': { type: 'string' },
  cursor: { type: 'string' },
  'page-size': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const DEFAULT_SEGMENTS = 4;
/** Read units a second the scan may take (an on-demand table's new-table baseline is 12,000). */
export const DEFAULT_READ_RATE = 1000;
/** Writes (or publishes) a second. */
export const DEFAULT_WRITE_RATE = 100;

export const COMMON_USAGE = `Where:
  --stack <name>          read the table (and topics) from the stack's outputs (EventTableName, TopicArn<Type>)
  --table-name <name>     the events table (overrides the stack's output; for npm start's local pipeline)

Run:
  --yes                   act (default: a dry run that changes nothing and prints what would change)
  --segments <n>          parallel scan segments (default ${DEFAULT_SEGMENTS}; 1 to 1000000)
  --read-rate <units/s>   read units a second the scan may take (default ${DEFAULT_READ_RATE})
  --write-rate <n/s>      writes or publishes a second (default ${DEFAULT_WRITE_RATE})
  --cursor <file>         keep the scan's position here and resume from it (removed when the run completes)
  --page-size <n>         items a scan page reads (default 100): the cursor moves once per page
  --help                  this text

AWS credentials and region come from the usual environment (AWS_PROFILE, AWS_REGION, ...);
AWS_ENDPOINT_URL_DYNAMODB, _S3, _SNS, _SQS and _CLOUDFORMATION point it at other endpoints (npm start's
local pipeline prints them). Exit code: 0 done, 1 something was (or would be) left undone, 2 usage error.`;

export interface CommonSettings {
  readonly dryRun: boolean;
  readonly segments: number;
  readonly readLimiter: RateLimiter;
  readonly writeLimiter: RateLimiter;
  readonly readRate: number;
  readonly writeRate: number;
  readonly cursorPath: string | undefined;
  readonly pageSize: number;
}

type Values = Record<string, string | boolean | string[] | undefined>;

export function commonSettings(values: Values): CommonSettings {
  const readRate = numberOption(values['read-rate'], '--read-rate', { min: 1 }) ?? DEFAULT_READ_RATE;
  const writeRate = numberOption(values['write-rate'], '--write-rate', { min: 0.1 }) ?? DEFAULT_WRITE_RATE;
  return {
    dryRun: values.yes !== true,
    segments:
      numberOption(values.segments, '--segments', { min: 1, max: 1_000_000, integer: true }) ??
      DEFAULT_SEGMENTS,
    readRate,
    writeRate,
    readLimiter: createRateLimiter(readRate),
    writeLimiter: createRateLimiter(writeRate),
    cursorPath: stringOption(values.cursor),
    pageSize: numberOption(values['page-size'], '--page-size', { min: 1, max: 1000, integer: true }) ?? 100,
  };
}

export function stringOption(value: Values[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function numberOption(
  raw: Values[string],
  name: string,
  rule: { min: number; max?: number; integer?: boolean },
): number | undefined {
  if (raw === undefined || typeof raw !== 'string') return undefined;
  const value = Number(raw);
  const valid =
    raw.trim() !== '' &&
    Number.isFinite(value) &&
    value >= rule.min &&
    value <= (rule.max ?? Number.POSITIVE_INFINITY) &&
    (!rule.integer || Number.isInteger(value));
  if (!valid) {
    const range = rule.max === undefined ? `at least ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    throw new UsageError(
      `${name} must be ${rule.integer ? 'an integer' : 'a number'} ${range}, got "${raw}"`,
    );
  }
  return value;
}

/** An ISO-8601 time (a date alone is midnight UTC). */
export function timeOption(raw: Values[string], name: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms)) {
    throw new UsageError(`${name} must be an ISO-8601 time (e.g. 2026-11-26T20:00:00Z), got "${raw}"`);
  }
  return new Date(ms).toISOString();
}

/** A comma-separated list of event types (each option may be repeated). */
export function typesOption(raw: Values[string], name: string): CampaignEventType[] | undefined {
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const names = (Array.isArray(raw) ? raw : [raw]).flatMap((text) => text.split(',')).map((t) => t.trim());
  const unknown = names.filter((type) => !isCampaignEventType(type));
  if (unknown.length > 0) throw new UsageError(`${name}: not Campaign event types: ${unknown.join(', ')}`);
  return names as CampaignEventType[];
}

export interface StackSource {
  readonly stackName?: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly cloudFormation?: StackClient;
}

/** The stack's outputs when --stack was given (none otherwise). */
export async function stackSource(
  stackName: string | undefined,
  given: StackClient | undefined,
  own: <T extends { destroy(): void }>(made: T) => T,
): Promise<StackSource> {
  if (stackName === undefined) return { outputs: {} };
  const cloudFormation = given ?? own(new CloudFormationClient({}));
  return { stackName, cloudFormation, outputs: await readStackOutputs(cloudFormation, stackName) };
}

/** The events table: --table-name, else the stack's EventTableName output. */
export function tableNameFrom(values: Values, stack: StackSource): string {
  const tableName = stringOption(values['table-name']) ?? stack.outputs[STACK_OUTPUTS.tableName];
  if (tableName === undefined) {
    throw new UsageError(
      stack.stackName === undefined
        ? 'Missing --stack <name> or --table-name <name>'
        : `Stack ${stack.stackName} has no output ${STACK_OUTPUTS.tableName}; pass --table-name`,
    );
  }
  return tableName;
}

/** Runs a command: usage errors print the usage hint and give 2, other errors give 1; clients are closed. */
export async function runCommand(
  command: string,
  io: CliIo,
  body: (own: <T extends { destroy(): void }>(made: T) => T) => Promise<number>,
): Promise<number> {
  const owned: Array<{ destroy(): void }> = [];
  const own = <T extends { destroy(): void }>(made: T): T => {
    owned.push(made);
    return made;
  };
  try {
    return await body(own);
  } catch (error) {
    const { name, message } = error as Error;
    if (
      error instanceof UsageError ||
      name === 'TargetError' ||
      name === 'CursorError' ||
      isParseArgsError(error)
    ) {
      io.stderr(`${message}\n\nRun "npm run ${command} -- --help" for usage.`);
      return 2;
    }
    io.stderr(`Error: ${name}: ${message}`);
    return 1;
  } finally {
    for (const made of owned) made.destroy();
  }
}

function isParseArgsError(error: unknown): boolean {
  return String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
}

/** Progress at most every `intervalMs`, as "<what>: n of about N (p %)". */
export function progressPrinter(print: (line: string) => void, total: number, intervalMs = 5000) {
  let last = 0;
  return (what: string, done: number, extra = '') => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    const percent = total > 0 ? ` (${Math.min(100, Math.round((done / total) * 100))} %)` : '';
    print(`  … ${what}: ${done} of about ${total}${percent}${extra && `; ${extra}`}`);
  };
}

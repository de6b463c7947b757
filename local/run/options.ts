import { parseArgs } from 'node:util';
import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import type { LocalRunOptions } from './run.js';
import type { TrafficOptions } from './traffic.js';

/** The command line of `npm start` (local/run/main.ts), in one place. */

export const USAGE = `Usage: npm start -- [options]

Runs the whole pipeline on this machine, with no AWS account: DynamoDB Local, SNS, SQS and Secrets
Manager stand-ins, s3rver, the deployed Lambda handlers, a simulated Optimizely Campaign that registers its webhooks and
sends events, and the stack's alarms evaluated locally (alerts shown as email and Slack would show them).
The configuration is cdk.json's "campaignEvents" (the one cdk deploy uses). Ctrl-C stops everything.

Traffic (the simulated Campaign):
  --rate <n>               events per second (default 20; 0 sends as fast as the pipeline takes them)
  --batch-size <n>         events per delivery round, sent as one POST per event type (default 20)
  --events <n>             stop sending after n events (default: keep sending until Ctrl-C)
  --duration <seconds>     stop sending after this many seconds
  --types <a,b,...>        only these event types, equally weighted (default: every configured type,
                           weighted like a bad day: 40% sent, 18% open, 14% bounce, 3% spam complaints...)
  --mix <type=w,...>       weights per type, e.g. sent=50,open=30,bounce=20
  --invalid-ratio <r>      share of invalid events, 0 to 1 (default 0.03)
  --redeliveries <n>       batches Campaign delivers a second time (default 1)
  --seed <n>               seed of the generated events (default 1)
  --no-traffic             send nothing: POST your own batches (endpoint and key are printed)
  --sns-failures <r>       the SNS stand-in refuses this share of publish attempts (the fan-out retries;
                           shows the publish-failures alarm)

Services:
  --data-dir <dir>         keep DynamoDB Local's data in <dir> between runs (default: in memory)
  --port <n>               port of the ingest endpoint (default: a free loopback port)
  --dynamodb-port <n>      port of DynamoDB Local
  --sns-port <n>           port of the SNS stand-in
  --secrets-port <n>       port of the Secrets Manager stand-in
  --sqs-port <n>           port of the SQS stand-in
  --s3-port <n>            port of s3rver (S3)
  --campaign-port <n>      port of the Campaign API simulator
  --slack-port <n>         port of the local Slack receiver

Output:
  --verbose                also print every log line of the Lambda handlers
  --alarm-interval <s>     evaluate the alarms every s seconds (default 2)
  --help                   this text`;

export interface CliOptions {
  readonly help: boolean;
  readonly verbose: boolean;
  readonly run: Omit<LocalRunOptions, 'onActivity'>;
}

export class OptionsError extends Error {
  override readonly name = 'OptionsError';
}

const ARGUMENTS = {
  rate: { type: 'string' },
  'batch-size': { type: 'string' },
  events: { type: 'string' },
  duration: { type: 'string' },
  types: { type: 'string' },
  mix: { type: 'string' },
  'invalid-ratio': { type: 'string' },
  redeliveries: { type: 'string' },
  seed: { type: 'string' },
  'no-traffic': { type: 'boolean' },
  'sns-failures': { type: 'string' },
  'sqs-port': { type: 'string' },
  's3-port': { type: 'string' },
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  'dynamodb-port': { type: 'string' },
  'sns-port': { type: 'string' },
  'secrets-port': { type: 'string' },
  'campaign-port': { type: 'string' },
  'slack-port': { type: 'string' },
  verbose: { type: 'boolean' },
  'alarm-interval': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const TRAFFIC_OPTIONS = [
  'rate',
  'batch-size',
  'events',
  'duration',
  'types',
  'mix',
  'invalid-ratio',
  'redeliveries',
  'seed',
];

export function parseCliOptions(argv: readonly string[]): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: ARGUMENTS }));
  } catch (error) {
    throw new OptionsError((error as Error).message);
  }
  const read = new OptionValues(values);
  const traffic = trafficOptions(read, values);
  const ports = portOptions(read);
  const alarmInterval = read.integer('alarm-interval', 1, 3600);
  const snsFailures = read.ratio('sns-failures');
  return {
    help: values.help === true,
    verbose: values.verbose === true,
    run: {
      traffic,
      ports,
      ...optional('dataDir', read.text('data-dir')),
      ...optional('snsFailureRatio', snsFailures),
      ...optional('alarmIntervalMs', alarmInterval === undefined ? undefined : alarmInterval * 1000),
    },
  };
}

/** Reads one option's value, refusing one out of range with a message naming the option. */
class OptionValues {
  constructor(private readonly values: Record<string, string | boolean | undefined>) {}

  text(name: string): string | undefined {
    return this.values[name] as string | undefined;
  }

  integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const raw = this.text(name);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new OptionsError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return Number(raw);
  }

  ratio(name: string): number | undefined {
    const raw = this.text(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new OptionsError(`--${name} must be a number from 0 to 1, got "${raw}"`);
    }
    return value;
  }

  port(name: string): number | undefined {
    return this.integer(name, 1, 65_535);
  }
}

function trafficOptions(
  read: OptionValues,
  values: Record<string, string | boolean | undefined>,
): Partial<TrafficOptions> | false {
  if (read.text('types') !== undefined && read.text('mix') !== undefined) {
    throw new OptionsError('Give either --types or --mix, not both');
  }
  const given = TRAFFIC_OPTIONS.filter((name) => values[name] !== undefined);
  if (values['no-traffic'] === true) {
    if (given.length > 0) {
      throw new OptionsError(
        `--no-traffic cannot be combined with ${given.map((name) => `--${name}`).join(', ')}`,
      );
    }
    return false;
  }
  const traffic: Partial<{ -readonly [K in keyof TrafficOptions]: TrafficOptions[K] }> = {};
  const set = <K extends keyof TrafficOptions>(key: K, value: TrafficOptions[K] | undefined) => {
    if (value !== undefined) traffic[key] = value;
  };
  set('rate', read.integer('rate', 0, 100_000));
  set('batchSize', read.integer('batch-size', 1, 10_000));
  set('events', read.integer('events', 1));
  set('durationSeconds', read.integer('duration', 1));
  set('invalidRatio', read.ratio('invalid-ratio'));
  set('redeliveries', read.integer('redeliveries', 0, 1000));
  set('seed', read.integer('seed', 0, 2 ** 31 - 1));
  const types = read.text('types');
  if (types !== undefined)
    set(
      'mix',
      eventTypeList(types).map((type) => [type, 1] as const),
    );
  const mix = read.text('mix');
  if (mix !== undefined) set('mix', parseMix(mix));
  return traffic;
}

function portOptions(read: OptionValues) {
  return {
    ...optional('endpoint', read.port('port')),
    ...optional('dynamodb', read.port('dynamodb-port')),
    ...optional('sns', read.port('sns-port')),
    ...optional('secretsManager', read.port('secrets-port')),
    ...optional('sqs', read.port('sqs-port')),
    ...optional('s3', read.port('s3-port')),
    ...optional('campaign', read.port('campaign-port')),
    ...optional('slack', read.port('slack-port')),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function eventTypeList(raw: string): CampaignEventType[] {
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new OptionsError('--types needs at least one event type');
  for (const name of names) {
    if (!(CAMPAIGN_EVENT_TYPES as readonly string[]).includes(name)) {
      throw new OptionsError(
        `--types: "${name}" is not a Campaign event type (${CAMPAIGN_EVENT_TYPES.join(', ')})`,
      );
    }
  }
  if (new Set(names).size !== names.length) throw new OptionsError('--types lists an event type twice');
  return names as CampaignEventType[];
}

function parseMix(raw: string): Array<readonly [CampaignEventType, number]> {
  const entries = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (entries.length === 0) throw new OptionsError('--mix needs at least one type=weight');
  const mix = entries.map((entry) => {
    const match = /^([a-z]+)=(\d+(\.\d+)?)$/.exec(entry);
    if (!match) throw new OptionsError(`--mix: "${entry}" is not type=weight (e.g. bounce=20)`);
    const [, type = '', weight = '0'] = match;
    if (!(CAMPAIGN_EVENT_TYPES as readonly string[]).includes(type)) {
      throw new OptionsError(
        `--mix: "${type}" is not a Campaign event type (${CAMPAIGN_EVENT_TYPES.join(', ')})`,
      );
    }
    return [type as CampaignEventType, Number(weight)] as const;
  });
  if (new Set(mix.map(([type]) => type)).size !== mix.length)
    throw new OptionsError('--mix lists an event type twice');
  if (mix.every(([, weight]) => weight === 0))
    throw new OptionsError('--mix: at least one weight must be above 0');
  return mix;
}

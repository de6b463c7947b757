import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CampaignApiClient, type CampaignApiClientOptions } from '../functions/shared/campaign-api/client.js';
import { credentialsFromEnv, loadCredentials } from '../functions/shared/campaign-api/credentials.js';
import type { CampaignCredentials } from '../functions/shared/campaign-api/types.js';
import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../functions/shared/campaign-event-types.js';
import {
  type EndpointKeys,
  parseEndpointKeySecret,
  serializeEndpointKeys,
} from '../functions/shared/endpoint-key-secret.js';
import { retiredPreviousKey, rotatedKeys } from '../functions/webhook-reconciler/endpoint-key.js';
import { errorMessage, type LogLines } from '../functions/webhook-reconciler/execute.js';
import { normalizeTargetUrl } from '../functions/webhook-reconciler/ownership.js';
import { describeAction, planRemoval } from '../functions/webhook-reconciler/plan.js';
import { pushEndpointKey, removeWebhooks } from '../functions/webhook-reconciler/reconcile.js';
import { type Config, configFromContext } from '../infra/config.js';

/**
 * Operator CLI for the Campaign webhooks, using the same client and reconcile code as the custom resource.
 * Run `npm run webhooks -- help`.
 */

const USAGE = `Usage: npm run webhooks -- <command> [options]

Commands:
  list                      List the client's webhooks: id, type, status, target URL, auth header
  verify <webhookId>        Have Campaign send test events to one webhook (needs --mailing)
  rotate-key                Rotate the endpoint key: new key to "current", old one to "previous" in the
                            endpoint-key secret, then PUT the new key to every webhook at --target-url
  finish-rotation           Clear "previous" in the endpoint-key secret once Campaign sends the new key
  remove                    Deactivate and delete the webhooks at --target-url (e.g. after a destroy that
                            could not reach Campaign); prints the plan unless --yes is given
  help                      This text

Options:
  --client <id>             Campaign client id; repeatable (default: campaign.clientIds in cdk.json)
  --base-url <url>          Campaign API base URL (default: campaign.apiBaseUrl in cdk.json, else production)
  --secret-name <name>      Credentials secret (default: campaign.credentialsSecretName in cdk.json).
                            CAMPAIGN_API_USER and CAMPAIGN_API_PASSWORD, when both set, are used instead.
  --target-url <url>        The deployed endpoint URL (stack output EndpointUrl)
  --endpoint-secret <id>    The endpoint-key secret's ARN or name (stack output EndpointKeySecretArn)
  --header <name>           keyAuth header name (default: api.authHeaderName in cdk.json)
  --mailing <id>            verify: id of an existing mailing of the client
  --events <n>              verify: test events to send, 1-100 (default 1)
  --wait <seconds>          rotate-key: pause between writing the secret and updating Campaign, so the
                            ingest sees the new key first (default 35: its forced re-read needs 30 s)
  --resume                  rotate-key: skip the secret step and push the current key again
  --all-types               remove: every event type, not only the configured ones
  --yes                     remove: really deactivate and delete
  --json                    list: print JSON instead of a table

AWS credentials and region come from the usual AWS environment (AWS_PROFILE, AWS_REGION, ...).`;

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** @default a SecretsManagerClient from the AWS environment */
  readonly secretsClient?: SecretsManagerClient;
  /** Where cdk.json is read from. @default the repository root */
  readonly projectDir?: string;
  /** @default real waiting */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Client overrides (tests use a short retry policy). */
  readonly clientOptions?: Partial<Omit<CampaignApiClientOptions, 'credentials' | 'baseUrl'>>;
}

class UsageError extends Error {}

const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs one command; resolves with the exit code (0 ok, 1 failed, 2 usage error). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\nRun "npm run webhooks -- help" for usage.`);
      return 2;
    }
    io.stderr(`Error: ${errorMessage(error)}`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (command === undefined || command === 'help' || values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const config = readConfig(io.projectDir ?? PROJECT_DIR);
  const context = new CommandContext(values, config, io);
  switch (command) {
    case 'list':
      noExtraArguments(command, rest);
      return listCommand(context);
    case 'verify':
      return verifyCommand(context, rest);
    case 'rotate-key':
      noExtraArguments(command, rest);
      return rotateKeyCommand(context);
    case 'finish-rotation':
      noExtraArguments(command, rest);
      return finishRotationCommand(context);
    case 'remove':
      noExtraArguments(command, rest);
      return removeCommand(context);
    default:
      throw new UsageError(`Unknown command "${command}"`);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      client: { type: 'string', multiple: true },
      'base-url': { type: 'string' },
      'secret-name': { type: 'string' },
      'target-url': { type: 'string' },
      'endpoint-secret': { type: 'string' },
      header: { type: 'string' },
      mailing: { type: 'string' },
      events: { type: 'string' },
      wait: { type: 'string' },
      resume: { type: 'boolean' },
      'all-types': { type: 'boolean' },
      yes: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Options = ReturnType<typeof parse>['values'];

/** Options resolved against cdk.json, and the clients built from them. */
class CommandContext {
  private secrets: SecretsManagerClient | undefined;

  constructor(
    readonly options: Options,
    private readonly config: Config | undefined,
    readonly io: CliIo,
  ) {}

  clientIds(): number[] {
    const ids =
      this.options.client?.map((raw) => positiveInteger(raw, '--client')) ?? this.config?.campaign.clientIds;
    if (ids === undefined || ids.length === 0)
      throw new UsageError('Pass --client <id> (no campaign.clientIds in cdk.json)');
    return [...new Set(ids)];
  }

  singleClientId(): number {
    const ids = this.clientIds();
    if (ids.length > 1)
      throw new UsageError(`Several clients are configured (${ids.join(', ')}): pass --client <id>`);
    return ids[0] as number;
  }

  eventTypes(): CampaignEventType[] | undefined {
    if (this.options['all-types']) return undefined;
    return [...(this.config?.eventTypes ?? CAMPAIGN_EVENT_TYPES)];
  }

  headerName(): string {
    return this.options.header ?? this.config?.api.authHeaderName ?? 'X-Campaign-Webhook-Key';
  }

  targetUrl(): string {
    const url = this.options['target-url'];
    if (url === undefined) throw new UsageError('Pass --target-url <url> (the stack output EndpointUrl)');
    try {
      new URL(url);
    } catch {
      throw new UsageError(`--target-url is not a URL: "${url}"`);
    }
    return url;
  }

  endpointSecretId(): string {
    const id = this.options['endpoint-secret'];
    if (id === undefined) {
      throw new UsageError('Pass --endpoint-secret <arn or name> (the stack output EndpointKeySecretArn)');
    }
    return id;
  }

  secretsClient(): SecretsManagerClient {
    this.secrets ??= this.io.secretsClient ?? new SecretsManagerClient({});
    return this.secrets;
  }

  async campaignClient(): Promise<CampaignApiClient> {
    const credentials = await this.credentials();
    return new CampaignApiClient({
      credentials,
      baseUrl: this.options['base-url'] ?? this.config?.campaign.apiBaseUrl,
      onRetry: (retry) =>
        this.io.stderr(
          `  retrying ${retry.operation} in ${retry.delayMs} ms (${retry.reason}, attempt ${retry.attempt})`,
        ),
      ...this.io.clientOptions,
    });
  }

  private async credentials(): Promise<CampaignCredentials> {
    const fromEnv = credentialsFromEnv(this.io.env);
    if (fromEnv) return fromEnv;
    const secretName = this.options['secret-name'] ?? this.config?.campaign.credentialsSecretName;
    if (secretName === undefined) {
      throw new UsageError('Pass --secret-name <name>, or set CAMPAIGN_API_USER and CAMPAIGN_API_PASSWORD');
    }
    return loadCredentials(this.secretsClient(), secretName);
  }

  async readEndpointKeys(): Promise<EndpointKeys> {
    const id = this.endpointSecretId();
    const response = await this.secretsClient().send(new GetSecretValueCommand({ SecretId: id }));
    return parseEndpointKeySecret(response.SecretString, id);
  }

  async writeEndpointKeys(keys: EndpointKeys): Promise<void> {
    await this.secretsClient().send(
      new PutSecretValueCommand({
        SecretId: this.endpointSecretId(),
        SecretString: serializeEndpointKeys(keys),
      }),
    );
  }

  /** The reconcile's log calls as console lines: what was done, warnings, what failed. */
  logger(): LogLines {
    const detailsOf = (extra: unknown[]) => (extra[0] ?? {}) as Record<string, unknown>;
    return {
      info: (_message: unknown, ...extra: unknown[]) => {
        const details = detailsOf(extra);
        if (typeof details.action === 'string') this.io.stdout(`  done: ${details.action}`);
      },
      warn: (message: unknown, ..._extra: unknown[]) => this.io.stderr(`  warning: ${String(message)}`),
      error: (_message: unknown, ...extra: unknown[]) => {
        const details = detailsOf(extra);
        if (typeof details.action === 'string')
          this.io.stderr(`  FAILED: ${details.action}: ${String(details.error)}`);
      },
    };
  }
}

async function listCommand(context: CommandContext): Promise<number> {
  const clientIds = context.clientIds();
  const target = context.options['target-url'] === undefined ? undefined : context.targetUrl();
  const client = await context.campaignClient();
  const rows: Array<Record<string, unknown>> = [];
  for (const clientId of clientIds) {
    for (const webhook of await client.listWebhooks(clientId)) {
      rows.push({
        clientId,
        id: webhook.id,
        type: webhook.type,
        status: webhook.status,
        targetUrl: webhook.targetUrl,
        authHeader: webhook.authentication?.key ?? webhook.authentication?.type ?? '',
        ...(target === undefined
          ? {}
          : { targetsEndpoint: normalizeTargetUrl(webhook.targetUrl) === normalizeTargetUrl(target) }),
      });
    }
  }
  if (context.options.json) {
    context.io.stdout(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    context.io.stdout(`No webhooks for client(s) ${clientIds.join(', ')}.`);
    return 0;
  }
  const columns = [
    'clientId',
    'id',
    'type',
    'status',
    'authHeader',
    'targetUrl',
    ...(target ? ['targetsEndpoint'] : []),
  ];
  context.io.stdout(table(columns, rows));
  return 0;
}

async function verifyCommand(context: CommandContext, rest: readonly string[]): Promise<number> {
  const [idArgument, ...extra] = rest;
  if (idArgument === undefined)
    throw new UsageError('verify needs a webhook id: verify <webhookId> --mailing <id>');
  if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(' ')}`);
  const webhookId = positiveInteger(idArgument, 'webhookId');
  if (context.options.mailing === undefined)
    throw new UsageError('verify needs --mailing <id> (an existing mailing)');
  const mailingId = positiveInteger(context.options.mailing, '--mailing');
  const numberOfEvents =
    context.options.events === undefined ? 1 : positiveInteger(context.options.events, '--events');
  if (numberOfEvents > 100) throw new UsageError('--events must be from 1 to 100');
  const clientId = context.singleClientId();
  const client = await context.campaignClient();
  const results = await client.verifyWebhook(clientId, webhookId, { mailingId, numberOfEvents });
  let ok = results.length > 0;
  for (const result of results) {
    const passed = result.httpStatusCode === 200;
    ok &&= passed;
    context.io.stdout(
      `${passed ? 'OK' : 'FAILED'}: webhook ${webhookId} -> ${result.targetUrl ?? '?'} answered HTTP ${result.httpStatusCode ?? '?'} ` +
        `to ${result.numberOfEvents ?? numberOfEvents} test event(s)${result.responseBody ? `: ${result.responseBody.slice(0, 300)}` : ''}`,
    );
  }
  if (results.length === 0) context.io.stdout('FAILED: Campaign returned no verification result');
  return ok ? 0 : 1;
}

async function rotateKeyCommand(context: CommandContext): Promise<number> {
  const targetUrl = context.targetUrl();
  const clientIds = context.clientIds();
  const waitSeconds =
    context.options.wait === undefined ? 35 : nonNegativeInteger(context.options.wait, '--wait');
  context.endpointSecretId();
  const client = await context.campaignClient();
  let keys = await context.readEndpointKeys();

  if (context.options.resume) {
    context.io.stdout('1. Secret unchanged (--resume): pushing the current key again.');
  } else {
    if (keys.previous !== '') {
      context.io.stderr(
        'A rotation is already in progress: the endpoint-key secret still holds a previous key. Run ' +
          '"rotate-key --resume" to push the current key again, or "finish-rotation" once Campaign uses it.',
      );
      return 1;
    }
    keys = rotatedKeys(keys);
    await context.writeEndpointKeys(keys);
    context.io.stdout(
      '1. Endpoint-key secret: new key written as "current"; the old key stays valid as "previous".',
    );
    if (waitSeconds > 0) {
      context.io.stdout(
        `   Waiting ${waitSeconds} s so the ingest picks the new key up before Campaign sends it...`,
      );
      await (context.io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))))(
        waitSeconds * 1000,
      );
    }
  }

  context.io.stdout(`2. Updating the webhooks that target ${targetUrl}:`);
  let failed = false;
  for (const clientId of clientIds) {
    try {
      const result = await pushEndpointKey(
        client,
        {
          clientId,
          eventTypes: [],
          targetUrl,
          authHeaderName: context.headerName(),
          endpointKey: keys.current,
        },
        'key rotation',
        context.logger(),
      );
      context.io.stdout(`   client ${clientId}: ${result.plan.actions.length} webhook(s) updated`);
    } catch (error) {
      failed = true;
      context.io.stderr(`   client ${clientId}: ${errorMessage(error)}`);
    }
  }
  if (failed) {
    context.io.stderr(
      'Some webhooks still have the old key; both keys stay valid. Fix the cause and run "rotate-key --resume".',
    );
    return 1;
  }
  context.io.stdout(
    '3. When deliveries succeed with the new key (ingest logs/metrics), retire the old one:\n' +
      `   npm run webhooks -- finish-rotation --endpoint-secret ${context.endpointSecretId()}`,
  );
  return 0;
}

async function finishRotationCommand(context: CommandContext): Promise<number> {
  const keys = await context.readEndpointKeys();
  if (keys.previous === '') {
    context.io.stdout('No rotation in progress: the endpoint-key secret holds no previous key.');
    return 0;
  }
  await context.writeEndpointKeys(retiredPreviousKey(keys));
  context.io.stdout('Previous endpoint key cleared: only the current key is accepted now.');
  return 0;
}

async function removeCommand(context: CommandContext): Promise<number> {
  const targetUrl = context.targetUrl();
  const eventTypes = context.eventTypes();
  const clientIds = context.clientIds();
  const client = await context.campaignClient();
  let failed = false;
  for (const clientId of clientIds) {
    const scope = { clientId, targetUrls: [targetUrl], ...(eventTypes ? { eventTypes } : {}) };
    if (!context.options.yes) {
      const plan = planRemoval(scope, await client.listWebhooks(clientId));
      context.io.stdout(`client ${clientId}: ${plan.actions.length} webhook(s) would be removed`);
      for (const action of plan.actions) context.io.stdout(`  would ${describeAction(action)}`);
      continue;
    }
    try {
      const result = await removeWebhooks(client, scope, context.logger());
      context.io.stdout(`client ${clientId}: ${result.plan.actions.length} webhook(s) removed`);
    } catch (error) {
      failed = true;
      context.io.stderr(`client ${clientId}: ${errorMessage(error)}`);
    }
  }
  if (!context.options.yes) context.io.stdout('Nothing changed. Run again with --yes to remove them.');
  return failed ? 1 : 0;
}

function readConfig(projectDir: string): Config | undefined {
  let context: unknown;
  try {
    const cdkJson = JSON.parse(readFileSync(path.join(projectDir, 'cdk.json'), 'utf8')) as {
      context?: Record<string, unknown>;
    };
    context = cdkJson.context?.campaignEvents;
  } catch {
    return undefined;
  }
  if (context === undefined) return undefined;
  return configFromContext(context);
}

function noExtraArguments(command: string, rest: readonly string[]): void {
  if (rest.length > 0) throw new UsageError(`${command} takes no arguments, got: ${rest.join(' ')}`);
}

function positiveInteger(raw: string, name: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new UsageError(`${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

function nonNegativeInteger(raw: string, name: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${name} must be a whole number of seconds, got "${raw}"`);
  return Number(raw);
}

function table(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? '')));
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((row) => (row[index] as string).length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index] as number))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  runCli(process.argv.slice(2), {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcileWebhooks } from '../../../functions/webhook-reconciler/reconcile.js';
import type { CampaignSimulator } from '../../../local/campaign-simulator/server.js';
import {
  type SecretsManagerStandIn,
  startSecretsManagerStandIn,
} from '../../../local/secrets-manager-stand-in.js';
import { runCli } from '../../../scripts/webhooks.js';
import {
  API_USER,
  CLIENT_ID,
  clientFor,
  type EventTarget,
  HEADER,
  instantClock,
  startSimulator,
  startTarget,
} from './support.js';

/** The operator CLI, in-process, against the simulator and a Secrets Manager stand-in. */

const KEY_1 = 'cli-endpoint-key-1111';

let secrets: SecretsManagerStandIn;
let secretsClient: SecretsManagerClient;
let simulator: CampaignSimulator;
let target: EventTarget;
let projectDir: string;
let stdout: string[];
let stderr: string[];

beforeAll(async () => {
  secrets = await startSecretsManagerStandIn();
  secretsClient = new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'eu-central-1' });
  target = await startTarget([KEY_1]);
  projectDir = mkdtempSync(path.join(tmpdir(), 'webhooks-cli-'));
  writeFileSync(
    path.join(projectDir, 'cdk.json'),
    JSON.stringify({
      context: {
        campaignEvents: {
          eventTypes: ['sent', 'open'],
          api: { authHeaderName: HEADER },
          campaign: { clientIds: [CLIENT_ID], credentialsSecretName: 'ops/campaign-api' },
        },
      },
    }),
  );
});

afterAll(async () => {
  secretsClient.destroy();
  rmSync(projectDir, { recursive: true, force: true });
  await Promise.all([secrets.stop(), target.close()]);
});

beforeEach(async () => {
  simulator = await startSimulator({ mailingIds: { [CLIENT_ID]: [900001] } });
  stdout = [];
  stderr = [];
  target.acceptedKeys = [KEY_1];
});

afterEach(async () => {
  await simulator.close();
});

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = { CAMPAIGN_API_USER: API_USER.username, CAMPAIGN_API_PASSWORD: API_USER.password },
) {
  return runCli(['--base-url', simulator.baseUrl, ...args], {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    env,
    secretsClient,
    projectDir,
    sleep: async () => {},
    clientOptions: { clock: instantClock, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10 } },
  });
}

async function register(types: Array<'sent' | 'open' | 'click'> = ['sent', 'open']) {
  return reconcileWebhooks(clientFor(simulator), {
    clientId: CLIENT_ID,
    eventTypes: types,
    targetUrl: target.url,
    authHeaderName: HEADER,
    endpointKey: KEY_1,
  });
}

describe('webhooks CLI', () => {
  it('prints usage for help, and a usage error (exit 2) for bad input', async () => {
    expect(await cli(['help'])).toBe(0);
    expect(stdout.join('\n')).toMatch(/^Usage: npm run webhooks -- <command>/);
    expect(await cli(['launch'])).toBe(2);
    expect(await cli(['list', '--client', 'abc'])).toBe(2);
    expect(await cli(['verify', '1'])).toBe(2);
    expect(await cli(['list', '--colour'])).toBe(2);
    expect(stderr.join('\n')).toMatch(/Unknown command "launch"/);
    expect(stderr.join('\n')).toMatch(/--client must be a positive integer, got "abc"/);
    expect(stderr.join('\n')).toMatch(/verify needs --mailing/);
    expect(stderr.join('\n')).toMatch(/Unknown option '--colour'/);
  });

  it("lists the client's webhooks with status, type and target (client from cdk.json)", async () => {
    const { webhookIds } = await register();
    expect(await cli(['list'])).toBe(0);
    const output = stdout.join('\n');
    expect(output.split('\n')[0]).toMatch(/^clientId\s+id\s+type\s+status\s+authHeader\s+targetUrl$/);
    expect(output).toMatch(
      new RegExp(`100001\\s+${webhookIds.get('sent')}\\s+sent\\s+activated\\s+${HEADER}\\s+${target.url}`),
    );

    stdout = [];
    expect(await cli(['list', '--json', '--target-url', target.url])).toBe(0);
    const rows = JSON.parse(stdout.join('\n')) as Array<{ id: number; targetsEndpoint: boolean }>;
    expect(rows.map((row) => row.id)).toEqual([webhookIds.get('sent'), webhookIds.get('open')]);
    expect(rows.every((row) => row.targetsEndpoint)).toBe(true);
  });

  it('reads the API credentials from the secret when no env credentials are set', async () => {
    secrets.putSecret('ops/campaign-api', { username: API_USER.username, password: API_USER.password });
    await register();
    expect(await cli(['list'], {})).toBe(0);
    expect(stdout.join('\n')).toContain('activated');

    secrets.putSecret('ops/broken', 'not json');
    expect(await cli(['list', '--secret-name', 'ops/broken'], {})).toBe(1);
    expect(stderr.join('\n')).toMatch(/Secret ops\/broken is not JSON/);
  });

  it('verifies one webhook and exits 1 when the target refuses', async () => {
    const { webhookIds } = await register();
    const id = String(webhookIds.get('open'));
    expect(await cli(['verify', id, '--mailing', '900001', '--events', '2'])).toBe(0);
    expect(stdout.at(-1)).toMatch(
      new RegExp(`^OK: webhook ${id} -> ${target.url} answered HTTP 200 to 2 test event\\(s\\)`),
    );

    target.acceptedKeys = ['another-key'];
    expect(await cli(['verify', id, '--mailing', '900001'])).toBe(1);
    expect(stdout.at(-1)).toMatch(/^FAILED: .* answered HTTP 401/);
  });

  it('rotates the endpoint key: secret first, then every webhook; finish-rotation clears the old key', async () => {
    const secretArn = secrets.putSecret('stack/endpoint-key', { current: KEY_1, previous: '' });
    await register(['sent', 'open', 'click']);

    const args = ['rotate-key', '--target-url', target.url, '--endpoint-secret', secretArn, '--wait', '0'];
    expect(await cli(args)).toBe(0);
    const keys = JSON.parse(secrets.secretValue('stack/endpoint-key') ?? '{}') as {
      current: string;
      previous: string;
    };
    expect(keys.previous).toBe(KEY_1);
    expect(keys.current).not.toBe(KEY_1);
    expect(stdout.join('\n')).toMatch(/client 100001: 3 webhook\(s\) updated/);
    for (const webhook of simulator.store.all(CLIENT_ID)) {
      expect(webhook.authentication).toEqual({ type: 'keyAuth', key: HEADER, passphrase: keys.current });
    }
    target.acceptedKeys = [keys.current];
    const reports = await simulator.deliverBatch(CLIENT_ID, 3);
    expect(reports.map((report) => report.delivered)).toEqual([true, true, true]);

    expect(await cli(args)).toBe(1);
    expect(stderr.join('\n')).toMatch(/A rotation is already in progress/);

    expect(await cli(['finish-rotation', '--endpoint-secret', secretArn])).toBe(0);
    expect(JSON.parse(secrets.secretValue('stack/endpoint-key') ?? '{}')).toEqual({
      current: keys.current,
      previous: '',
    });
  });

  it('remove prints its plan without --yes, and removes with it', async () => {
    await register();
    simulator.clearRecords();
    expect(await cli(['remove', '--target-url', target.url])).toBe(0);
    expect(stdout.join('\n')).toMatch(/client 100001: 2 webhook\(s\) would be removed/);
    expect(simulator.writeRequests()).toEqual([]);

    expect(await cli(['remove', '--target-url', target.url, '--yes'])).toBe(0);
    expect(stdout.at(-1)).toBe('client 100001: 2 webhook(s) removed');
    expect(simulator.store.all(CLIENT_ID)).toEqual([]);
  });

  it('remove --all-types removes every webhook of ours, configured type or not, and leaves the others', async () => {
    // Ours: sent and open (configured) and click (no longer configured, e.g. left by an earlier deploy).
    const { webhookIds } = await register(['sent', 'open', 'click']);
    const api = clientFor(simulator);
    const crm = { type: 'keyAuth' as const, key: 'X-Crm-Key', passphrase: 'crm-secret' };
    const theirs = await api.createWebhook(CLIENT_ID, {
      type: 'bounce',
      targetUrl: 'https://crm.example.org/campaign/bounces',
      authentication: crm,
    });
    const otherClient = await api.createWebhook(200002, {
      type: 'sent',
      targetUrl: target.url,
      authentication: crm,
    });
    const byId = (a: number, b: number) => a - b;
    const ours = [...webhookIds.values()].sort(byId);
    expect(ours).toHaveLength(3);

    expect(await cli(['remove', '--target-url', target.url])).toBe(0);
    expect(stdout.join('\n')).toMatch(/client 100001: 2 webhook\(s\) would be removed/);
    stdout = [];
    expect(await cli(['remove', '--target-url', target.url, '--all-types'])).toBe(0);
    expect(stdout.join('\n')).toMatch(/client 100001: 3 webhook\(s\) would be removed/);
    expect(stdout.join('\n')).toContain(`webhook ${webhookIds.get('click')} (click)`);
    const listed = simulator.store.all(CLIENT_ID).map((webhook) => webhook.id);
    expect(listed.sort(byId), 'a dry run changes nothing').toEqual([...ours, theirs.id].sort(byId));

    simulator.clearRecords();
    expect(await cli(['remove', '--target-url', target.url, '--all-types', '--yes'])).toBe(0);
    expect(stdout.at(-1)).toBe('client 100001: 3 webhook(s) removed');
    const deleted = simulator
      .writeRequests()
      .filter((request) => request.operation === 'deleteWebhook')
      .map((request) => request.webhookId ?? 0);
    expect(deleted.sort(byId)).toEqual(ours);
    expect(simulator.store.all(CLIENT_ID).map((webhook) => webhook.id)).toEqual([theirs.id]);
    expect(simulator.store.all(200002).map((webhook) => webhook.id)).toEqual([otherClient.id]);
  });
});

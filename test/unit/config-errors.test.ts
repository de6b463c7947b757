import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../infra/config.js';
import { closestName } from '../../infra/config-errors.js';

const minimal = { campaign: { clientIds: [100001] } };
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.split('\n').slice(1);
  }
  return [];
}

describe('configuration errors, as a deployer reads them', () => {
  it('are one line per problem: path, what is wrong, what is allowed', () => {
    const lines = problems({ ...minimal, retentionDays: 0, api: { maxBodyBytes: 'big' } });
    expect(lines).toEqual([
      '  - campaignEvents.retentionDays: got 0; must be at least 1',
      '  - campaignEvents.api.maxBodyBytes: got "big"; must be a number',
    ]);
  });

  it('suggest the option a mistyped key was meant to be, and list the options there', () => {
    const [line] = problems({ ...minimal, retentionDay: 7 });
    expect(line).toMatch(
      /^ {2}- campaignEvents\.retentionDay: unknown option; did you mean "retentionDays"\? Options here: stackName, .*\bretentionDays\b.*\bcampaign\b/,
    );
    const [nested] = problems({ campaign: { clientIds: [1], verifyMailingID: 5 } });
    expect(nested).toMatch(
      /^ {2}- campaignEvents\.campaign\.verifyMailingID: unknown option; did you mean "verifyMailingId"\?/,
    );
  });

  it('never speak valibot: no "Expected", "never", "Invalid key" or raw regular expressions', () => {
    const lines = problems({
      stackName: '9lives',
      eventTypes: ['sent', 'teleport'],
      somethingElse: true,
      api: { allowedSourceIps: ['300.1.1.1/32'], authHeaderName: 'bad header', throttlingRateLimit: 1.5 },
      campaign: { clientIds: [], apiBaseUrl: 'not a url' },
      alerts: { emails: ['nobody'], emailMinSeverity: 'loud', dispatchSilence: { activeHoursUtc: 'night' } },
    });
    expect(lines.length).toBeGreaterThanOrEqual(10);
    for (const line of lines) {
      expect(line).toMatch(/^ {2}- campaignEvents\.[\w.]+: .+/);
      expect(line).not.toMatch(/Expected|never|Invalid (key|type)|\^|\$\//);
    }
    expect(lines.join('\n')).toContain(
      'campaignEvents.alerts.emailMinSeverity: got "loud"; must be one of "info", "warning", "critical"',
    );
  });

  it('refuse an allow list that admits every address, pointing to api.allowAnySourceIp', () => {
    expect(problems({ ...minimal, api: { allowedSourceIps: ['0.0.0.0/0'] } })).toEqual([
      '  - campaignEvents.api.allowedSourceIps.0: got "0.0.0.0/0"; must not admit every address (a /0 prefix): ' +
        'to turn the allow list off, set api.allowAnySourceIp to true',
    ]);
    expect(parseConfig({ ...minimal, api: { allowAnySourceIp: true } }).api.allowAnySourceIp).toBe(true);
  });

  it('offer no suggestion for a name unlike every option', () => {
    expect(closestName('zzzzzz', ['stackName', 'retentionDays'])).toBeUndefined();
    expect(closestName('stackname', ['stackName', 'retentionDays'])).toBe('stackName');
  });

  it('are printed by `cdk synth` (the app) as the list alone, with no stack trace, exit code 1', () => {
    const context = {
      campaignEvents: { ...minimal, retentionDay: 7, api: { allowedSourceIps: ['0.0.0.0/0'] } },
    };
    let stderr = '';
    let status: number | null = 0;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
        cwd: repoRoot,
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const failure = error as { status: number | null; stderr: Buffer };
      status = failure.status;
      stderr = failure.stderr.toString();
    }
    expect(status).toBe(1);
    expect(stderr).toContain('campaignEvents.retentionDay: unknown option; did you mean "retentionDays"?');
    expect(stderr).toContain('campaignEvents.api.allowedSourceIps.0: got "0.0.0.0/0"');
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});

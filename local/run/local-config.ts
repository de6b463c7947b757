import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, ConfigError, type ConfigInput, parseConfig } from '../../infra/config.js';

/** The repository's cdk.json: the deployment configuration `cdk deploy` uses, and so the local run. */
export const CDK_JSON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cdk.json');

/** Slack secret name the local run uses when the configuration names none (the local receiver's URL). */
export const LOCAL_SLACK_SECRET_NAME = 'campaign-events/slack-webhook';
/** Placeholder subscriber, so the stack has the filtered email subscription the local run reproduces. */
const PLACEHOLDER_EMAIL = 'oncall@example.com';

export interface LocalConfig {
  readonly config: Config;
  /** Where the configuration came from, for the output. */
  readonly source: string;
  /** What the local run changed in it, and why (shown at start). */
  readonly adjustments: readonly string[];
}

/**
 * The `campaignEvents` configuration of cdk.json (or the given object), with the few changes the local run
 * needs so that every part of the product exists locally: webhooks registered (the custom resource), the
 * Slack sender (pointed at the local receiver) and an email subscription (rendered, never sent); for
 * cdk.json's configuration, the archive too unless it says `archive.enabled: false`.
 */
export function loadLocalConfig(input?: ConfigInput, cdkJsonPath = CDK_JSON): LocalConfig {
  const raw = input ?? readCdkJsonConfig(cdkJsonPath);
  const source = input === undefined ? path.relative(process.cwd(), cdkJsonPath) || cdkJsonPath : 'options';
  const adjustments: string[] = [];
  const campaign = { ...(raw.campaign ?? {}) } as ConfigInput['campaign'];
  const alerts = { ...(raw.alerts ?? {}) };
  if (campaign.registerWebhooks === false) {
    adjustments.push(
      'campaign.registerWebhooks is false: registering locally anyway (the simulator needs webhooks)',
    );
  }
  const registered = { ...campaign, registerWebhooks: true };
  if (alerts.slackWebhookSecretName === undefined) {
    adjustments.push(
      `alerts.slackWebhookSecretName unset: using "${LOCAL_SLACK_SECRET_NAME}" for the local Slack receiver`,
    );
    alerts.slackWebhookSecretName = LOCAL_SLACK_SECRET_NAME;
  }
  if (alerts.emails === undefined || alerts.emails.length === 0) {
    adjustments.push('alerts.emails empty: a placeholder subscription shows what an alert email would say');
    alerts.emails = [PLACEHOLDER_EMAIL];
  }
  const archive = { ...(raw.archive ?? {}) };
  if (input === undefined && archive.enabled === undefined) {
    adjustments.push('archive.enabled unset: archiving locally (npm run report reads the archive)');
    archive.enabled = true;
  }
  return { config: parseConfig({ ...raw, campaign: registered, alerts, archive }), source, adjustments };
}

function readCdkJsonConfig(cdkJsonPath: string): ConfigInput {
  let parsed: { context?: { campaignEvents?: unknown } };
  try {
    parsed = JSON.parse(readFileSync(cdkJsonPath, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read ${cdkJsonPath}: ${(error as Error).message}`);
  }
  const value = parsed.context?.campaignEvents;
  if (value === undefined || value === null || typeof value !== 'object') {
    throw new ConfigError(`${cdkJsonPath} has no "campaignEvents" object in its context`);
  }
  return value as ConfigInput;
}

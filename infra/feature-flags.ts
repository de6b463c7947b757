import { readFileSync } from 'node:fs';

/**
 * The CDK feature flags `cdk deploy` synthesizes with: every context key of cdk.json except the
 * product's own configuration. Tests and the local run build their App with these, so what they check
 * is the template that ships.
 */
export function cdkJsonFeatureFlags(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const { campaignEvents: _configuration, ...flags } = cdkJson.context ?? {};
  return flags;
}

import { Template } from 'aws-cdk-lib/assertions';
import { CampaignEventsStack } from '../../infra/campaign-events-stack.js';
import { type ConfigInput, parseConfig } from '../../infra/config.js';
import { testApp } from './app.js';

export const EXAMPLE_CONFIG: ConfigInput = {
  campaign: { clientIds: [100001], verifyMailingId: 900001 },
};

/**
 * Synthesizes the stack for assertions. Bundling is skipped (`aws:cdk:bundling-stacks: []`): these
 * tests look at the template, and esbuild runs in `cdk synth` (CI) instead.
 */
export function synthStack(overrides: Partial<ConfigInput> = {}): {
  stack: CampaignEventsStack;
  template: Template;
} {
  const app = testApp();
  const config = parseConfig({ ...EXAMPLE_CONFIG, ...overrides });
  const stack = new CampaignEventsStack(app, 'TestStack', {
    config,
    env: { account: '123456789012', region: 'eu-central-1' },
  });
  return { stack, template: Template.fromStack(stack) };
}

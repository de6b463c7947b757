import type { ConfigInput } from '../../infra/config.js';
import { EXAMPLE_CONFIG } from './synth.js';

/** The configuration the test run's bundles are synthesized with: every optional function present. */
export const BUNDLES_CONFIG: ConfigInput = {
  ...EXAMPLE_CONFIG,
  alerts: { slackWebhookSecretName: 'campaign-events/slack-webhook' },
};

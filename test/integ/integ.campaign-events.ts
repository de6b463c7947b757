import { App } from 'aws-cdk-lib';
import { cdkJsonFeatureFlags } from '../../infra/feature-flags.js';
import { campaignEventsInteg } from './campaign-events.integ-app.js';

// integ-runner's entry (README, "Integration test in your account"). cdk.json's feature flags override
// whatever integ-runner passes, so the deployed test stack is the template `cdk deploy` ships.
const app = new App({ postCliContext: cdkJsonFeatureFlags() });
// Deploying, the CLI sets the account and region; for its snapshot integ-runner synthesizes with none but
// CDK_INTEG_REGION (a placeholder), and the table needs one.
campaignEventsInteg(app, {
  account: process.env.CDK_DEFAULT_ACCOUNT,
  region: process.env.CDK_DEFAULT_REGION ?? process.env.CDK_INTEG_REGION,
});
app.synth();

#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { CampaignEventsStack } from './campaign-events-stack.js';
import { type Config, ConfigError, configFromContext } from './config.js';

const app = new App();
const config = readConfig(app);

new CampaignEventsStack(app, config.stackName, {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Optimizely Campaign real-time email events: API Gateway -> Lambda -> DynamoDB -> SNS',
});

// cdk-nag runs on every synth; an unacknowledged finding fails it. Acknowledgements sit beside their resources.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true }),
  new ServerlessChecks(app, { verbose: true }),
);

/** A configuration error is the deployer's to fix: print the list of problems, no stack trace. */
function readConfig(cdkApp: App): Config {
  try {
    return configFromContext(cdkApp.node.tryGetContext('campaignEvents'));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { configFromContext } from './config.js';
import { CampaignEventsStack } from './stack.js';

const app = new App();
const config = configFromContext(app.node.tryGetContext('campaignEvents'));

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

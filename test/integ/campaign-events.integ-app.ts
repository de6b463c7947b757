import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExpectedResult, type IApiCall, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { type App, Duration, type Environment, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CampaignEventsStack } from '../../infra/campaign-events-stack.js';
import type { ConfigInput } from '../../infra/config.js';
import { CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import { CAMPAIGN_STAND_IN_ENV } from './campaign-stand-in/env.js';

/**
 * The deployable integration test (integ-runner, README "Integration test in your account"): the
 * product's stack as `cdk deploy` builds it, with the webhook registration off (no Campaign account is
 * involved) and a Campaign stand-in Lambda in its place that posts a webhook batch to the deployed API
 * with the generated endpoint key. The assertions: the batch is answered 200, and the bounce reaches an
 * SQS queue subscribed to the bounce topic.
 */
export const INTEG_STACK_NAME = 'CampaignEventsInteg';

export const INTEG_CONFIG: ConfigInput = {
  stackName: INTEG_STACK_NAME,
  campaign: { clientIds: [100001], registerWebhooks: false },
  // The stand-in posts from Lambda's addresses, not from Campaign's sender.
  api: { allowAnySourceIp: true },
  // A test stack is deleted after the run, with everything it stored.
  retainData: false,
  terminationProtection: false,
};

/** The recipient that marks the posted bounce in the queue. */
export const INTEG_RECIPIENT = 'integ-test-bounce@example.com';

/** The batch the stand-in posts: one bounce of a configured client, as Campaign sends it (the stand-in adds `created`). */
export const INTEG_BATCH = [
  (({ created: _created, ...event }) => event)(
    new CampaignEventFactory({ seed: 12 }).event('bounce', {
      recipientId: INTEG_RECIPIENT,
      mediaTypesToAddresses: { EMAIL: INTEG_RECIPIENT },
    }),
  ),
];

const STAND_IN_ENTRY = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'campaign-stand-in',
  'handler.ts',
);

export interface CampaignEventsInteg {
  readonly stack: CampaignEventsStack;
  readonly integ: IntegTest;
  /** Where the assertions' custom resources live. */
  readonly assertionStack: Stack;
  readonly bounceQueue: sqs.Queue;
  readonly campaignStandIn: nodejs.NodejsFunction;
  /** The stand-in's POST of the batch; expects 200. */
  readonly post: IApiCall;
  /** Polls the bounce queue until the posted bounce is there. */
  readonly delivered: IApiCall;
}

/** `env`: where integ-runner deploys (the CLI's account and region); the table needs a region. */
export function campaignEventsInteg(app: App, env: Environment): CampaignEventsInteg {
  const stack = new CampaignEventsStack(app, INTEG_STACK_NAME, {
    config: INTEG_CONFIG,
    env,
    description: 'Integration test of campaign-events (integ-runner); deleted after the run',
  });
  const bounceQueue = subscribedBounceQueue(stack);
  const campaignStandIn = campaignStandInFunction(stack);

  // In the test stack's environment: the assertions refer to its function and queue.
  const assertionStack = new Stack(app, `${INTEG_STACK_NAME}Assertions`, { env });
  const integ = new IntegTest(app, 'CampaignEventsIntegTest', {
    testCases: [stack],
    assertionStack,
    // No snapshot is committed to deploy first: every run deploys this app fresh and destroys it.
    stackUpdateWorkflow: false,
    cdkCommandOptions: { destroy: { args: { force: true } } },
  });
  const post = integ.assertions.invokeFunction({
    functionName: campaignStandIn.functionName,
    payload: JSON.stringify(INTEG_BATCH),
  });
  post.expect(ExpectedResult.objectLike({ Payload: '200' }));

  const delivered = integ.assertions
    .awsApiCall('SQS', 'receiveMessage', {
      QueueUrl: bounceQueue.queueUrl,
      WaitTimeSeconds: 20,
      MaxNumberOfMessages: 10,
    })
    .expect(
      ExpectedResult.objectLike({
        Messages: Match.arrayWith([
          Match.objectLike({ Body: Match.stringLikeRegexp(INTEG_RECIPIENT.replaceAll('.', '\\.')) }),
        ]),
      }),
    )
    .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) });
  post.next(delivered);
  return { stack, integ, assertionStack, bounceQueue, campaignStandIn, post, delivered };
}

/** A downstream team's queue on the bounce topic, as the README's worked example subscribes one. */
function subscribedBounceQueue(stack: CampaignEventsStack): sqs.Queue {
  const queue = new sqs.Queue(stack, 'IntegBounceQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const bounceTopic = stack.events.eventTopics.get('bounce');
  if (bounceTopic === undefined) throw new Error('The integ configuration must include the bounce type');
  bounceTopic.addSubscription(new subscriptions.SqsSubscription(queue));
  return queue;
}

function campaignStandInFunction(stack: CampaignEventsStack): nodejs.NodejsFunction {
  const { events } = stack;
  const standIn = new nodejs.NodejsFunction(stack, 'CampaignStandIn', {
    entry: STAND_IN_ENTRY,
    handler: 'handler',
    description: 'Integration test: posts a webhook batch to the endpoint as Campaign does',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    timeout: Duration.seconds(30),
    logGroup: new logs.LogGroup(stack, 'CampaignStandInLogs', {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    environment: {
      [CAMPAIGN_STAND_IN_ENV.endpointUrl]: events.endpointUrl,
      [CAMPAIGN_STAND_IN_ENV.endpointKeySecretId]: events.endpointKeySecret.secretArn,
      [CAMPAIGN_STAND_IN_ENV.authHeaderName]: events.config.api.authHeaderName,
    },
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: 'node24',
      mainFields: ['module', 'main'],
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    },
  });
  events.endpointKeySecret.grantRead(standIn);
  return standIn;
}

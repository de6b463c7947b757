import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { WEBHOOK_RESOURCE_TYPE } from '../../functions/shared/contracts/webhook-resource.js';
import { testApp } from '../support/app.js';
import { campaignEventsInteg, INTEG_RECIPIENT, INTEG_STACK_NAME } from './campaign-events.integ-app.js';
import { CAMPAIGN_STAND_IN_ENV } from './campaign-stand-in/env.js';

/**
 * The deployable integration test cannot deploy here (no account); this synthesizes it as integ-runner
 * and `cdk deploy` would, and checks it tests what it claims: the shipped stack, a Campaign stand-in
 * posting with the generated key, and an assertion that waits for the bounce in a subscribed queue.
 */
const outdir = mkdtempSync(path.join(tmpdir(), 'campaign-events-integ-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const app = testApp({ outdir });
const integ = campaignEventsInteg(app, { account: '123456789012', region: 'eu-central-1' });
// The whole app, as integ-runner synthesizes it: cross-stack references and the integ manifest included.
app.synth();
const testStack = Template.fromStack(integ.stack);
const assertions = Template.fromStack(integ.assertionStack);
const { stack } = integ;
const ref = (construct: { node: { defaultChild?: unknown } }) => ({
  Ref: stack.getLogicalId(construct.node.defaultChild as never),
});

describe('the integration test app (integ-runner)', () => {
  it('declares one test case, the product stack, destroyed after the run', () => {
    const manifest = JSON.parse(readFileSync(path.join(outdir, 'integ.json'), 'utf8'));
    expect(Object.values(manifest.testCases)).toEqual([
      expect.objectContaining({
        stacks: [INTEG_STACK_NAME],
        assertionStack: `${INTEG_STACK_NAME}Assertions`,
        cdkCommandOptions: { destroy: { args: { force: true } } },
      }),
    ]);
  });

  it('deploys the shipped stack with no Campaign webhooks, open to the stand-in, and deletable', () => {
    testStack.resourceCountIs(WEBHOOK_RESOURCE_TYPE, 0);
    testStack.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST' });
    testStack.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    expect(stack.terminationProtection).toBe(false);
    const api = Object.values(testStack.findResources('AWS::ApiGateway::RestApi'))[0];
    expect(JSON.stringify(api?.Properties.Policy)).not.toContain('Deny');
  });

  it('subscribes a queue to the bounce topic', () => {
    const bounceTopic = stack.events.eventTopics.get('bounce');
    testStack.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: ref(bounceTopic as never),
      Endpoint: { 'Fn::GetAtt': [stack.getLogicalId(integ.bounceQueue.node.defaultChild as never), 'Arn'] },
    });
  });

  it('gives the Campaign stand-in the endpoint URL, the key secret and header, and read access to the key', () => {
    const { events } = stack;
    const standIn =
      testStack.toJSON().Resources[stack.getLogicalId(integ.campaignStandIn.node.defaultChild as never)];
    expect(standIn.Properties.Environment.Variables).toEqual({
      [CAMPAIGN_STAND_IN_ENV.endpointUrl]: stack.resolve(events.endpointUrl),
      [CAMPAIGN_STAND_IN_ENV.endpointKeySecretId]: ref(events.endpointKeySecret),
      [CAMPAIGN_STAND_IN_ENV.authHeaderName]: events.config.api.authHeaderName,
    });
    testStack.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(integ.campaignStandIn.role as never)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: ref(events.endpointKeySecret),
          }),
        ]),
      },
    });
  });

  it('posts the bounce through the stand-in and expects 200, then waits for it in the queue', () => {
    const [post] = Object.values(assertions.findResources('Custom::DeployAssert@SdkCallLambdainvoke'));
    expect(post?.Properties.expected).toBe(JSON.stringify({ $ObjectLike: { Payload: '200' } }));
    const batch = JSON.parse(JSON.parse(post?.Properties.parameters.Payload));
    expect(batch).toEqual([expect.objectContaining({ type: 'bounce', recipientId: INTEG_RECIPIENT })]);

    const [receive] = Object.values(
      assertions.findResources('Custom::DeployAssert@SdkCallSQSreceiveMessage'),
    );
    expect(receive?.Properties.parameters.QueueUrl).toBeDefined();
    expect(receive?.Properties.expected).toContain('integ-test-bounce@example\\\\.com');
    // Polled by a state machine until it holds or 5 minutes pass (then the deployment fails), after the post.
    expect(receive?.Properties.stateMachineArn).toBeDefined();
    assertions.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    const [postId] = Object.keys(assertions.findResources('Custom::DeployAssert@SdkCallLambdainvoke'));
    expect(receive?.DependsOn).toContain(postId);
  });
});

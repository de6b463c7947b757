import { type App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import {
  WebhookRegistration,
  type WebhookRegistrationProps,
} from '../../infra/constructs/webhook-registration.js';
import { testApp } from '../support/app.js';
import { nagFindings } from '../support/nag.js';
import { synthStack } from '../support/synth.js';

const env = { account: '123456789012', region: 'eu-central-1' };

interface Fixture {
  stack: Stack;
  registration: WebhookRegistration;
  api: apigateway.RestApi;
}

/** A stack with what the construct needs from the rest of the product: an API stage and an endpoint-key secret. */
function build(app: App, overrides: Partial<WebhookRegistrationProps> = {}): Fixture {
  const stack = new Stack(app, 'WebhookStack', { env });
  const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
  const secret = new secretsmanager.Secret(stack, 'EndpointKeySecret', {
    encryptionKey: key,
    generateSecretString: { secretStringTemplate: '{"previous":""}', generateStringKey: 'current' },
  });
  const api = new apigateway.RestApi(stack, 'Api');
  api.root.addResource('events').addMethod('POST', new apigateway.MockIntegration());
  const registration = new WebhookRegistration(stack, 'Webhooks', {
    clientIds: [100001],
    eventTypes: ['sent', 'bounce', 'archive'],
    endpointUrl: api.urlForPath('/events'),
    authHeaderName: 'X-Campaign-Webhook-Key',
    endpointKeySecret: secret,
    credentialsSecretName: 'campaign-events/campaign-api',
    apiStage: api.deploymentStage,
    metricsNamespace: 'CampaignEvents',
    apiBaseUrl: 'https://api.campaign.episerver.net/rest',
    verifyMailingId: 900001,
    ...overrides,
  } as WebhookRegistrationProps);
  return { stack, registration, api };
}

function synth(overrides: Partial<WebhookRegistrationProps> = {}): Fixture & { template: Template } {
  const fixture = build(testApp(), overrides);
  return { ...fixture, template: Template.fromStack(fixture.stack) };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

describe('WebhookRegistration', () => {
  it('creates a Provider whose onEvent handler is the webhook reconciler (Node 24, 5 minutes)', () => {
    const { template, stack, registration } = synth();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
      TracingConfig: { Mode: 'Active' },
    });
    const onEventArn = { 'Fn::GetAtt': [logicalId(stack, registration.onEventFunction), 'Arn'] };
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'framework.onEvent',
      Environment: { Variables: Match.objectLike({ USER_ON_EVENT_FUNCTION_ARN: onEventArn }) },
    });
  });

  it('passes the desired state as properties, with the endpoint key only as its secret ARN', () => {
    const { template, stack, registration } = synth({ endpointKeyRotation: 3 });
    const secret = stack.node.findChild('EndpointKeySecret') as secretsmanager.Secret;
    template.hasResourceProperties('Custom::CampaignWebhooks', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('ProviderframeworkonEvent'), 'Arn'] },
      ServiceTimeout: '600',
      clientId: '100001',
      eventTypes: ['sent', 'bounce', 'archive'],
      targetUrl: { 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^Api') }, '/events'])] },
      authHeaderName: 'X-Campaign-Webhook-Key',
      endpointKeySecretArn: { Ref: logicalId(stack, secret) },
      credentialsSecretName: 'campaign-events/campaign-api',
      apiBaseUrl: 'https://api.campaign.episerver.net/rest',
      verifyMailingId: '900001',
      endpointKeyRotation: '3',
    });
    const properties = Object.values(template.findResources('Custom::CampaignWebhooks'))[0]?.Properties ?? {};
    expect(Object.keys(properties).sort()).toEqual(
      [
        'ServiceToken',
        'ServiceTimeout',
        'apiBaseUrl',
        'authHeaderName',
        'clientId',
        'credentialsSecretName',
        'endpointKeyRotation',
        'endpointKeySecretArn',
        'eventTypes',
        'targetUrl',
        'verifyMailingId',
      ].sort(),
    );
    expect(JSON.stringify(template.toJSON())).not.toMatch(/passphrase/i);
    expect(registration.registrations[0]?.webhookIds).toBeDefined();
  });

  it("keeps the reconciler's log group after a destroy (it reports webhooks a delete could not remove)", () => {
    const { template, stack } = synth();
    const logGroups = template.findResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    expect(Object.keys(logGroups)).toEqual([
      logicalId(stack, stack.node.findChild('Webhooks').node.findChild('OnEventFunctionLogs') as never),
    ]);
  });

  it('leaves verifyMailingId out when verification is not configured', () => {
    const { template } = synth({ verifyMailingId: undefined });
    const properties = Object.values(template.findResources('Custom::CampaignWebhooks'))[0]?.Properties ?? {};
    expect(properties).not.toHaveProperty('verifyMailingId');
  });

  it('depends on the API stage (and anything else it is told to wait for)', () => {
    const app = testApp();
    const stack = new Stack(app, 'Deps', { env });
    const extra = new kms.Key(stack, 'SomethingTheEndpointNeeds');
    const api = new apigateway.RestApi(stack, 'Api');
    api.root.addMethod('POST', new apigateway.MockIntegration());
    new WebhookRegistration(stack, 'Webhooks', {
      clientIds: [100001],
      eventTypes: ['sent'],
      endpointUrl: api.urlForPath('/events'),
      authHeaderName: 'X-Campaign-Webhook-Key',
      endpointKeySecret: new secretsmanager.Secret(stack, 'Secret'),
      credentialsSecretName: 'campaign-events/campaign-api',
      apiStage: api.deploymentStage,
      waitFor: [extra],
      metricsNamespace: 'CampaignEvents',
      apiBaseUrl: 'https://api.campaign.episerver.net/rest',
    });
    const template = Template.fromStack(stack);
    const [resource] = Object.values(template.findResources('Custom::CampaignWebhooks'));
    expect(resource?.DependsOn).toEqual(
      expect.arrayContaining([logicalId(stack, api.deploymentStage), logicalId(stack, extra)]),
    );
  });

  it('creates one custom resource per client, sharing one provider', () => {
    const { template, registration } = synth({ clientIds: [100001, 200002] });
    template.resourceCountIs('Custom::CampaignWebhooks', 2);
    template.hasResourceProperties('Custom::CampaignWebhooks', { clientId: '200002' });
    expect(registration.registrations.map((entry) => entry.clientId)).toEqual([100001, 200002]);
    expect(registration.customResource).toBe(registration.registrations[0]?.resource);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'framework.onEvent' }, 1);
  });

  it('lets the reconciler read exactly the two secrets, and nothing else beyond logs and X-Ray', () => {
    const { template, stack, registration } = synth();
    const secret = stack.node.findChild('EndpointKeySecret') as secretsmanager.Secret;
    const key = stack.node.findChild('DataKey') as kms.Key;
    const roleId = logicalId(stack, registration.onEventFunction.role as never);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: roleId }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    expect(statements).toEqual([
      { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' },
      {
        Sid: 'ReadEndpointKeyAndCampaignCredentials',
        Action: 'secretsmanager:GetSecretValue',
        Effect: 'Allow',
        Resource: [
          'arn:aws:secretsmanager:eu-central-1:123456789012:secret:campaign-events/campaign-api-??????',
          { Ref: logicalId(stack, secret) },
        ],
      },
      {
        Sid: 'DecryptEndpointKeyThroughSecretsManager',
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com' } },
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] },
      },
    ]);
    const role = template.toJSON().Resources[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const inline = role.Properties.Policies as Array<{
      PolicyName: string;
      PolicyDocument: { Statement: Array<{ Action: string[] }> };
    }>;
    expect(inline.map((policy) => policy.PolicyName)).toEqual(['WriteOwnLogs']);
    expect(inline[0]?.PolicyDocument.Statement.map((statement) => statement.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
    ]);
  });

  it('gives the provider framework a role without AWS-managed policies', () => {
    const { template } = synth();
    const frameworkFunctions = template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'framework.onEvent' },
    });
    const roleRef = Object.values(frameworkFunctions)[0]?.Properties.Role['Fn::GetAtt'][0] as string;
    const role = template.toJSON().Resources[roleRef];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleRef }] } }),
    );
    const actions = policies.flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: string }>).map(
        (statement) => statement.Action,
      ),
    );
    expect(actions.sort()).toEqual(['lambda:GetFunction', 'lambda:InvokeFunction']);
  });

  it('accepts a credentials secret given as a full ARN', () => {
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:campaign-api-a1B2c3';
    const { template } = synth({ credentialsSecretName: arn });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'secretsmanager:GetSecretValue', Resource: Match.arrayWith([arn]) }),
        ]),
      },
    });
  });

  it.each([
    [{ clientIds: [] }, /clientIds must list at least one/],
    [{ clientIds: [1, 1] }, /must not repeat an id/],
    [{ clientIds: [0] }, /client id 0 is not a positive integer/],
    [{ eventTypes: [] }, /eventTypes must list at least one/],
    [{ eventTypes: ['sent', 'sent'] as const }, /must not repeat a type/],
    [{ verifyMailingId: -4 }, /verifyMailingId -4/],
    [{ endpointKeyRotation: 1.5 }, /endpointKeyRotation 1.5/],
    [{ authHeaderName: 'Bad Header' }, /authHeaderName "Bad Header"/],
    [{ endpointUrl: 'ftp://example.com' }, /endpointUrl "ftp:\/\/example.com"/],
  ])('rejects %j at synth time', (overrides, message) => {
    expect(() => synth(overrides as Partial<WebhookRegistrationProps>)).toThrow(message);
  });

  it('has no unacknowledged cdk-nag finding (AwsSolutions and Serverless)', () => {
    const findings = nagFindings((app) => build(app, { clientIds: [100001, 200002] }).stack);
    expect(findings.filter((finding) => finding.includes('/Webhooks/'))).toEqual([]);
  });
});

describe('the product stack', () => {
  it('registers the webhooks of every configured client after the API, ingest, topics and fan-out are deployed, with outputs', () => {
    const { template, stack } = synthStack({
      campaign: { clientIds: [100001, 200002], verifyMailingId: 900001 },
    });
    template.resourceCountIs('Custom::CampaignWebhooks', 2);
    const stageId = logicalId(stack, stack.events.restApi.deploymentStage);
    const ingestFunctionId = logicalId(stack, stack.events.ingestFunction);
    // A type added by this deploy: its topic exists and the fan-out (TOPIC_ARNS) publishes to it before
    // Campaign is told to send events of it (verification posts real test events at once).
    const fanOutFunctionId = logicalId(stack, stack.events.fanOutFunction);
    const [streamMappingId] = Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'));
    const topicIds = [...stack.events.eventTopics.values()].map((topic) => logicalId(stack, topic));
    expect(topicIds).toHaveLength(12);
    for (const resource of Object.values(template.findResources('Custom::CampaignWebhooks'))) {
      expect(resource.DependsOn).toEqual(
        expect.arrayContaining([stageId, ingestFunctionId, fanOutFunctionId, streamMappingId, ...topicIds]),
      );
    }
    template.hasResourceProperties('Custom::CampaignWebhooks', {
      clientId: '200002',
      verifyMailingId: '900001',
      endpointKeySecretArn: { Ref: logicalId(stack, stack.events.endpointKeySecret) },
    });
    template.hasOutput('WebhookIds100001', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebhookRegistrationClient100001'), 'WebhookIds'] },
    });
    template.hasOutput('WebhookVerification200002', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebhookRegistrationClient200002'), 'Verification'] },
    });
  });

  it('registers nothing when registerWebhooks is off', () => {
    const { template, stack } = synthStack({ campaign: { clientIds: [100001], registerWebhooks: false } });
    template.resourceCountIs('Custom::CampaignWebhooks', 0);
    expect(stack.events.webhookRegistration).toBeUndefined();
    expect(Object.keys(template.findOutputs('*')).filter((name) => name.startsWith('Webhook'))).toEqual([]);
  });
});

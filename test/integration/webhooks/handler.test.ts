import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LifecycleResponse } from '../../../functions/webhook-reconciler/lifecycle.js';
import type { CampaignSimulator } from '../../../local/campaign-simulator/server.js';
import {
  type SecretsManagerStandIn,
  startSecretsManagerStandIn,
} from '../../../local/secrets-manager-stand-in.js';
import { API_USER, CLIENT_ID, type EventTarget, HEADER, startSimulator, startTarget } from './support.js';

/**
 * The deployed onEvent handler, unchanged: real SDK SecretsManagerClient (pointed at the local stand-in
 * by AWS_ENDPOINT_URL_SECRETS_MANAGER), real fetch to the Campaign simulator.
 */

const ENDPOINT_KEY = 'handler-endpoint-key-0123456789';

let secrets: SecretsManagerStandIn;
let simulator: CampaignSimulator;
let target: EventTarget;
let handler: (event: CloudFormationCustomResourceEvent, context: Context) => Promise<LifecycleResponse>;
let endpointKeyArn: string;

beforeAll(async () => {
  secrets = await startSecretsManagerStandIn();
  simulator = await startSimulator({ mailingIds: { [CLIENT_ID]: [900001] } });
  target = await startTarget([ENDPOINT_KEY]);
  secrets.putSecret('campaign-events/campaign-api', {
    username: API_USER.username,
    password: API_USER.password,
  });
  endpointKeyArn = secrets.putSecret('CampaignEvents-EndpointKey', { current: ENDPOINT_KEY, previous: '' });
  // Kept until the end of the file: the SDK reads it at a client's first request. Fresh handler modules.
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secrets.endpoint);
  vi.resetModules();
  ({ handler } = await import('../../../functions/webhook-reconciler/handler.js'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([secrets.stop(), simulator.close(), target.close()]);
});

const context = {
  functionName: 'webhook-reconciler',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 300_000,
} as unknown as Context;

function event(requestType: 'Create' | 'Delete'): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:eu-central-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.invalid/',
    StackId: 'arn:aws:cloudformation:eu-central-1:123456789012:stack/CampaignEvents/5b1c2d3e',
    RequestId: 'request-1',
    LogicalResourceId: 'CampaignWebhooksClient100001',
    ResourceType: 'Custom::CampaignWebhooks',
    ...(requestType === 'Delete'
      ? { PhysicalResourceId: 'CampaignEvents/campaign-webhooks/client-100001' }
      : {}),
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:eu-central-1:123456789012:function:provider',
      clientId: String(CLIENT_ID),
      eventTypes: ['sent', 'spamcomplaint'],
      targetUrl: target.url,
      authHeaderName: HEADER,
      endpointKeySecretArn: endpointKeyArn,
      credentialsSecretName: 'campaign-events/campaign-api',
      apiBaseUrl: simulator.baseUrl,
      verifyMailingId: '900001',
      endpointKeyRotation: '0',
    },
  } as CloudFormationCustomResourceEvent;
}

describe('webhook-reconciler handler', () => {
  it('reads both secrets, registers with the key from the secret, verifies, then removes on Delete', async () => {
    const created = await handler(event('Create'), context);
    expect(created.PhysicalResourceId).toBe('CampaignEvents/campaign-webhooks/client-100001');
    expect(created.Data?.Verification).toBe('verified 2 webhooks with mailing 900001');
    const stored = simulator.store.all(CLIENT_ID);
    expect(stored.map((webhook) => [webhook.type, webhook.status])).toEqual([
      ['sent', 'activated'],
      ['spamcomplaint', 'activated'],
    ]);
    expect(stored[0]?.authentication).toEqual({ type: 'keyAuth', key: HEADER, passphrase: ENDPOINT_KEY });
    expect(created.Data?.WebhookIds).toBe(`sent=${stored[0]?.id},spamcomplaint=${stored[1]?.id}`);
    expect(JSON.stringify(created)).not.toContain(ENDPOINT_KEY);

    await handler(event('Delete'), context);
    expect(simulator.store.all(CLIENT_ID)).toEqual([]);
  });
});

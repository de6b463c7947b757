import { describe, expect, it } from 'vitest';
import { parseResourceProperties } from '../../../functions/shared/contracts/webhook-resource.js';
import { parseEndpointKeySecret } from '../../../functions/shared/endpoint-key-secret.js';
import {
  generateEndpointKey,
  retiredPreviousKey,
  rotatedKeys,
  serializeEndpointKeys,
} from '../../../functions/webhook-reconciler/endpoint-key.js';
import { physicalIdFor } from '../../../functions/webhook-reconciler/lifecycle.js';

const raw = {
  ServiceToken: 'arn:aws:lambda:eu-central-1:123456789012:function:provider',
  clientId: '100001',
  eventTypes: ['sent', 'bounce'],
  targetUrl: 'https://abc.execute-api.eu-central-1.amazonaws.com/prod/events',
  authHeaderName: 'X-Campaign-Webhook-Key',
  endpointKeySecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:endpoint-key-AbCdEf',
  credentialsSecretName: 'campaign-events/campaign-api',
  apiBaseUrl: 'https://api.campaign.episerver.net/rest',
  verifyMailingId: '900001',
  endpointKeyRotation: '2',
};

describe('parseResourceProperties', () => {
  it('reads CloudFormation strings as numbers', () => {
    expect(parseResourceProperties(raw)).toEqual({
      clientId: 100001,
      eventTypes: ['sent', 'bounce'],
      targetUrl: raw.targetUrl,
      authHeaderName: raw.authHeaderName,
      endpointKeySecretArn: raw.endpointKeySecretArn,
      credentialsSecretName: raw.credentialsSecretName,
      apiBaseUrl: raw.apiBaseUrl,
      verifyMailingId: 900001,
      endpointKeyRotation: 2,
    });
  });

  it('treats an absent or empty verifyMailingId as "skip verification" and rotation as 0', () => {
    const { verifyMailingId: _v, endpointKeyRotation: _r, ...rest } = raw;
    expect(parseResourceProperties(rest)).toMatchObject({
      verifyMailingId: undefined,
      endpointKeyRotation: 0,
    });
    expect(parseResourceProperties({ ...raw, verifyMailingId: '' }).verifyMailingId).toBeUndefined();
  });

  it('names every bad property', () => {
    expect(() => parseResourceProperties({ ...raw, clientId: 'abc', eventTypes: ['teleport'] })).toThrow(
      /clientId.*eventTypes\.0/s,
    );
    expect(() => parseResourceProperties({ ...raw, eventTypes: ['sent', 'sent'] })).toThrow(/repeat/);
  });
});

describe('physicalIdFor', () => {
  it('is the stack name and the client', () => {
    expect(
      physicalIdFor('arn:aws:cloudformation:eu-central-1:123456789012:stack/CampaignEvents/1f2e-33', 100001),
    ).toBe('CampaignEvents/campaign-webhooks/client-100001');
  });
});

describe('endpoint keys', () => {
  it('rotates: new current, old current kept as previous; finishing clears previous', () => {
    const rotated = rotatedKeys({ current: 'old-key', previous: '' }, 'new-key');
    expect(rotated).toEqual({ current: 'new-key', previous: 'old-key' });
    expect(retiredPreviousKey(rotated)).toEqual({ current: 'new-key', previous: '' });
    expect(JSON.parse(serializeEndpointKeys(rotated))).toEqual(rotated);
    // What is written reads back through the parser every reader of the secret uses.
    expect(parseEndpointKeySecret(serializeEndpointKeys(rotated))).toEqual(rotated);
  });

  it('generates long, header-safe, distinct keys', () => {
    const a = generateEndpointKey();
    const b = generateEndpointKey();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(parseEndpointKeySecret({ current: a, previous: b })).toEqual({ current: a, previous: b });
  });
});

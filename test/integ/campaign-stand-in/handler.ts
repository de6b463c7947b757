import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseEndpointKeySecret } from '../../../functions/shared/endpoint-key-secret.js';
import { postToTarget } from '../../../local/campaign-simulator/delivery.js';
import { CAMPAIGN_STAND_IN_ENV } from './env.js';

const secrets = new SecretsManagerClient({});

/**
 * Campaign's sender in the deployed integration test: posts the events it is invoked with to the stack's
 * endpoint as one webhook batch, with the current endpoint key in the keyAuth header, each event stamped
 * with the time of sending as Campaign stamps it. Answers the HTTP status; anything but 200 fails the
 * invocation, with the endpoint's answer.
 */
export async function handler(events: readonly Record<string, unknown>[]): Promise<number> {
  const secretId = required(CAMPAIGN_STAND_IN_ENV.endpointKeySecretId);
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  const keys = parseEndpointKeySecret(secret.SecretString, secretId);
  const created = new Date().toISOString();
  const response = await postToTarget(
    required(CAMPAIGN_STAND_IN_ENV.endpointUrl),
    { type: 'keyAuth', key: required(CAMPAIGN_STAND_IN_ENV.authHeaderName), passphrase: keys.current },
    events.map((event) => ({ ...event, created })),
    10_000,
  );
  if (response.status !== 200) {
    throw new Error(`The endpoint answered ${response.status}: ${response.body}`);
  }
  return response.status;
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

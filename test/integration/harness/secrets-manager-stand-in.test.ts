import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SecretsManagerStandIn,
  startSecretsManagerStandIn,
} from '../../../local/secrets-manager-stand-in.js';

describe('Secrets Manager stand-in', () => {
  let standIn: SecretsManagerStandIn;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    standIn = await startSecretsManagerStandIn();
    client = new SecretsManagerClient({ endpoint: standIn.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    await standIn.stop();
  });

  it('serves a secret to the real SDK client by name and by ARN', async () => {
    const arn = standIn.putSecret('endpoint-key', { current: 'k1', previous: '' });
    const byName = await client.send(new GetSecretValueCommand({ SecretId: 'endpoint-key' }));
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(JSON.parse(byName.SecretString ?? '')).toEqual({ current: 'k1', previous: '' });
    expect(byArn.ARN).toBe(arn);
    expect(standIn.reads).toBe(2);
  });

  it('stores a new version on PutSecretValue', async () => {
    standIn.putSecret('rotating', 'old');
    await client.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'new' }));
    expect(standIn.secretValue('rotating')).toBe('new');
  });

  it('answers an unknown secret as Secrets Manager does', async () => {
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'missing' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});

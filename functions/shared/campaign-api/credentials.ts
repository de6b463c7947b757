import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as v from 'valibot';
import type { CampaignCredentials } from './types.js';

/**
 * The Campaign API credentials secret, created by the platform team. Its SecretString is JSON:
 *   {"username": "<API user>", "password": "<API user's password>"}
 * Other fields are ignored. Documented in docs/CAMPAIGN-SETUP.md.
 */
const CredentialsSchema = v.looseObject({
  username: v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1),
    v.check((name) => !name.includes(':')),
  ),
  password: v.pipe(v.string(), v.minLength(1)),
});

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** Parses the secret's JSON. The error names the secret and the expected shape, never its content. */
export function parseCredentials(secretString: string | undefined, secretId: string): CampaignCredentials {
  const expected = 'a JSON object {"username": "...", "password": "..."} (username without ":")';
  if (secretString === undefined || secretString === '') {
    throw new CredentialsError(`Secret ${secretId} has no SecretString; it must hold ${expected}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new CredentialsError(`Secret ${secretId} is not JSON; it must hold ${expected}`);
  }
  const result = v.safeParse(CredentialsSchema, parsed);
  if (!result.success) {
    const fields = [...new Set(result.issues.map((issue) => v.getDotPath(issue) ?? '(root)'))].join(', ');
    throw new CredentialsError(`Secret ${secretId} must hold ${expected}; check: ${fields}`);
  }
  return { username: result.output.username, password: result.output.password };
}

/** Reads and parses the credentials secret (by name or ARN). */
export async function loadCredentials(
  secrets: SecretsManagerClient,
  secretId: string,
): Promise<CampaignCredentials> {
  const response = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  return parseCredentials(response.SecretString, secretId);
}

/** Credentials from CAMPAIGN_API_USER / CAMPAIGN_API_PASSWORD, or undefined when either is unset. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): CampaignCredentials | undefined {
  const username = env.CAMPAIGN_API_USER;
  const password = env.CAMPAIGN_API_PASSWORD;
  if (!username || !password) return undefined;
  return { username, password };
}

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ingestConfigFromEnv } from '../../../functions/ingest/config.js';

const required = {
  TABLE_NAME: 'events',
  ENDPOINT_KEY_SECRET_ID: 'arn:aws:secretsmanager:eu-central-1:1:secret:key',
  AUTH_HEADER_NAME: 'X-Campaign-Webhook-Key',
  EVENT_TYPES: 'open,click',
};

function stub(env: Record<string, string>) {
  vi.unstubAllEnvs();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

describe('ingestConfigFromEnv', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reads the environment, with defaults for the limits', () => {
    stub({ ...required, MAX_BODY_BYTES: '', MAX_EVENTS_PER_BATCH: '', RETENTION_DAYS: '' });
    expect(ingestConfigFromEnv()).toEqual({
      tableName: 'events',
      endpointKeySecretId: required.ENDPOINT_KEY_SECRET_ID,
      authHeaderName: 'X-Campaign-Webhook-Key',
      maxBodyBytes: 5_000_000,
      maxEventsPerBatch: 10_000,
      retentionDays: 30,
      eventTypes: ['open', 'click'],
    });
  });

  it('names a missing or malformed variable', () => {
    stub({ ...required, TABLE_NAME: '' });
    expect(() => ingestConfigFromEnv()).toThrow('Missing required environment variable TABLE_NAME');
    stub({ ...required, RETENTION_DAYS: '0' });
    expect(() => ingestConfigFromEnv()).toThrow('RETENTION_DAYS must be at least 1');
    stub({ ...required, MAX_BODY_BYTES: '1.5' });
    expect(() => ingestConfigFromEnv()).toThrow(/MAX_BODY_BYTES must be a non-negative integer/);
    stub({ ...required, MAX_BODY_BYTES: '10', EVENT_TYPES: 'open,archived' });
    expect(() => ingestConfigFromEnv()).toThrow(/not recognized: archived/);
  });
});

import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { integerEnv, requiredEnv } from '../shared/env.js';
import { parseEventTypeList } from '../shared/events/schema.js';

/** The ingest function's settings, from the environment the stack sets. */
export interface IngestConfig {
  readonly tableName: string;
  /** Secrets Manager secret (ARN or name) holding `{"current": "...", "previous": "..."}`. */
  readonly endpointKeySecretId: string;
  readonly authHeaderName: string;
  readonly maxBodyBytes: number;
  readonly maxEventsPerBatch: number;
  readonly retentionDays: number;
  readonly eventTypes: readonly CampaignEventType[];
}

/** Reads and checks the environment; throws naming the first bad variable. */
export function ingestConfigFromEnv(): IngestConfig {
  return {
    tableName: requiredEnv('TABLE_NAME'),
    endpointKeySecretId: requiredEnv('ENDPOINT_KEY_SECRET_ID'),
    authHeaderName: requiredEnv('AUTH_HEADER_NAME'),
    maxBodyBytes: positive('MAX_BODY_BYTES', 5_000_000),
    maxEventsPerBatch: positive('MAX_EVENTS_PER_BATCH', 10_000),
    retentionDays: positive('RETENTION_DAYS', 30),
    eventTypes: parseEventTypeList(requiredEnv('EVENT_TYPES')),
  };
}

function positive(name: string, fallback: number): number {
  const value = integerEnv(name, fallback);
  if (value < 1) throw new Error(`Environment variable ${name} must be at least 1, got ${value}`);
  return value;
}

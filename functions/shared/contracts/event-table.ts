/**
 * The events table as infra creates it, the ingest writes it, the fan-out's stream filter selects from it
 * and the local run reproduces it. The item layout is described in events/stored-event.ts.
 */
export const EVENT_TABLE_ATTRIBUTES = {
  /** Partition key (S), the content-derived event key. */
  partitionKey: 'eventKey',
  /** TTL attribute (N, epoch seconds). */
  timeToLive: 'expiresAt',
  /** One of {@link EVENT_STATUS}; the fan-out's stream filter reads it. */
  status: 'status',
} as const;

export const EVENT_STATUS = {
  accepted: 'accepted',
  quarantined: 'quarantined',
  /** A valid event sent by Campaign's verify: stored, never published (the stream filter wants `accepted`). */
  verification: 'verification',
} as const;
export type EventStatus = (typeof EVENT_STATUS)[keyof typeof EVENT_STATUS];

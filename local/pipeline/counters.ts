/**
 * What the pipeline counts as events go through it (the live view, the tests and a fault drill read
 * these): sent and acknowledged by the caller's side, stored by the table's stream, published by the
 * event topics' own subscribers.
 */
export interface PipelineCounters {
  /** Events POSTed through the pipeline's post(), and those of them in a 2xx answer. */
  eventsSent: number;
  eventsAcknowledged: number;
  /** POSTs that reached the ingest handler, and their answers. */
  requests: number;
  requestsRejected: number;
  eventsReceived: number;
  eventsAccepted: number;
  eventsQuarantined: number;
  /** New items on the table's stream: INSERTs of accepted and of quarantined events. */
  storedAccepted: number;
  storedQuarantined: number;
  /** Stream records of redelivered events (MODIFY), which the fan-out's filter drops. */
  redeliveredRecords: number;
  fanOutInvocations: number;
  /** From the fan-out's own PublishFailures metric (total series). */
  publishFailures: number;
  parked: number;
  /** Messages the event topics delivered, per type. */
  published: Record<string, number>;
  bounces: { hard: number; soft: number; unknown: number };
  /** Distinct events published (event keys). */
  publishedDistinct: number;
  /** Event keys published more than once (at-least-once delivery: Lambda retries a batch from its first failure). */
  publishedTwice: number;
  /** Messages beyond the first for an event key: what at-least-once delivery cost. */
  duplicates: number;
  /** Messages the CRM-sync example subscription (bounce topic, bounceCategory = hard) received. */
  crmHardBounces: number;
  alarmNotifications: number;
  emails: number;
  slackPosts: number;
  /** Asynchronous invocations (alarm formatter, Slack sender) that failed every attempt. */
  lambdaFailures: number;
}

/** The name the local run's view uses. */
export type RunCounters = PipelineCounters;

export function newCounters(): PipelineCounters {
  return {
    eventsSent: 0,
    eventsAcknowledged: 0,
    requests: 0,
    requestsRejected: 0,
    eventsReceived: 0,
    eventsAccepted: 0,
    eventsQuarantined: 0,
    storedAccepted: 0,
    storedQuarantined: 0,
    redeliveredRecords: 0,
    fanOutInvocations: 0,
    publishFailures: 0,
    parked: 0,
    published: {},
    bounces: { hard: 0, soft: 0, unknown: 0 },
    publishedDistinct: 0,
    publishedTwice: 0,
    duplicates: 0,
    crmHardBounces: 0,
    alarmNotifications: 0,
    emails: 0,
    slackPosts: 0,
    lambdaFailures: 0,
  };
}

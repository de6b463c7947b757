/**
 * The custom metrics this project emits (CloudWatch Embedded Metric Format, through Powertools
 * Metrics), in one place so the emitting code and the alarms/dashboard agree on names.
 *
 * Every metric carries the Powertools default dimension `service` (the emitting function, one of
 * {@link METRIC_SERVICES}); per-type metrics add `EventType` (a registration type name, see
 * campaign-event-types.ts). Dimension values never contain addresses or other personal data.
 *
 * The namespace is set per deployment (config `metricsNamespace`, env POWERTOOLS_METRICS_NAMESPACE).
 */
import { FUNCTION_SERVICES } from './contracts/environment.js';

export const DEFAULT_METRICS_NAMESPACE = 'CampaignEvents';

/** The functions that emit custom metrics (their Powertools service names). */
export const METRIC_SERVICES = {
  ingest: FUNCTION_SERVICES.ingest,
  fanOut: FUNCTION_SERVICES.fanOut,
  slackNotifier: FUNCTION_SERVICES.slackNotifier,
  alarmFormatter: FUNCTION_SERVICES.alarmFormatter,
  webhookReconciler: FUNCTION_SERVICES.webhookReconciler,
} as const;

export const METRIC_DIMENSIONS = {
  /** Powertools' default dimension: the emitting function, one of METRIC_SERVICES. */
  service: 'service',
  eventType: 'EventType',
  reason: 'Reason',
  /** ingest: the request's content type (a bounded set of labels, see request-body.ts contentTypeLabel). */
  contentType: 'ContentType',
} as const;

export const METRICS = {
  /** ingest, per EventType (plus one without EventType for the total): events in accepted batches. */
  eventsReceived: 'EventsReceived',
  /** ingest, per EventType and total: valid events stored (redeliveries included). */
  eventsAccepted: 'EventsAccepted',
  /** ingest, total only: invalid events stored in quarantine. */
  eventsQuarantined: 'EventsQuarantined',
  /** ingest, per EventType: accepted events lacking a field their type normally carries (annotated `missingFields`). */
  eventsMissingFields: 'EventsMissingFields',
  /** ingest, total only: accepted events sent by Campaign's verify (stored, not published unless configured). */
  verificationEvents: 'VerificationEvents',
  /** ingest, total only: events kept whole in the large-event bucket (too large or too unusual for an item). */
  eventsKeptInS3: 'EventsKeptInS3',
  /** ingest, per ContentType: authenticated requests, whatever their outcome. */
  requestsByContentType: 'RequestsByContentType',
  /** ingest, per Reason (unauthorized, malformed, too-large, unsupported-media-type): rejected requests. */
  requestsRejected: 'RequestsRejected',
  /**
   * ingest, per EventType and total (service only), unit Seconds: arrival time minus the event's own
   * timestamp, when it has one. The total feeds the delay alarm: an alarm reads at most 10 metrics.
   */
  eventDelay: 'EventDelay',
  /** ingest, total only: accepted bounce events whose category is hard. */
  hardBounces: 'HardBounces',
  /** ingest, total only: accepted bounce events whose category is soft. */
  softBounces: 'SoftBounces',
  /** ingest, total only: accepted spamcomplaint events. */
  spamComplaints: 'SpamComplaints',
  /** fan-out, per EventType: messages SNS accepted. */
  eventsPublished: 'EventsPublished',
  /**
   * fan-out, per EventType and total (service only): records an invocation did not publish (SNS refused
   * them after its retries, or they cannot be published: reported for the mapping's retry, parked or
   * held). The total feeds the publish-failures alarm: an alarm reads at most 10 metrics.
   */
  publishFailures: 'PublishFailures',
  /** fan-out, total only: records parked alone in the parked-events queue (can never be published as they are). */
  eventsParked: 'EventsParked',
  /** fan-out, total only: records held in the held-events queue (SNS failing while they near the stream's retention). */
  eventsHeld: 'EventsHeld',
  /**
   * fan-out, total only: published records the mapping's retry will publish again (they followed a record
   * still failing in their batch): at-least-once delivery's duplicates, counted.
   */
  eventsRepublished: 'EventsRepublished',
  /** alarm-formatter, total only: alerts published to the alerts topic. */
  alertsFormatted: 'AlertsFormatted',
  /** slack-notifier, total only: alerts Slack accepted. */
  alertsPosted: 'AlertsPosted',
  /** slack-notifier, total only: alerts that could not be posted (the invocation fails and is retried). */
  alertPostFailures: 'AlertPostFailures',
  /**
   * API Gateway, total only: requests the stage throttled (429), counted by a metric filter on the access
   * logs (no Lambda emits it).
   */
  apiThrottledRequests: 'ApiThrottledRequests',
  /** webhook-reconciler, total only: Campaign webhook changes one custom resource request carried out. */
  webhookChanges: 'WebhookChanges',
} as const;

export const REJECTION_REASONS = [
  'unauthorized',
  'malformed',
  'too-large',
  'unsupported-media-type',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

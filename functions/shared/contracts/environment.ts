import { type EnvSpec, envVar } from './env.js';
import {
  booleanFlag,
  eventTypeList,
  fieldsByEventType,
  formatEventTypeList,
  formatOptionalPositiveInteger,
  formatOptionalText,
  formatTopicArnMap,
  optionalPositiveInteger,
  optionalText,
  positiveInteger,
  text,
  topicArnMap,
} from './parsers.js';

/**
 * Every environment variable the stack gives a function, defined once. Infra writes them (the `bind*`
 * helpers of infra/constructs and ProjectFunction), each function reads its spec below; the values come
 * from infra/config.ts, where the defaults are.
 */
export const ENV = {
  /** The events table (ingest writes). */
  tableName: envVar('TABLE_NAME', text, String),
  /** Secrets Manager secret (ARN) holding `{"current": "...", "previous": "..."}`. */
  endpointKeySecretId: envVar('ENDPOINT_KEY_SECRET_ID', text, String),
  /** Header carrying the endpoint key (config `api.authHeaderName`). */
  authHeaderName: envVar('AUTH_HEADER_NAME', text, String),
  /** Config `api.maxBodyBytes`. */
  maxBodyBytes: envVar('MAX_BODY_BYTES', positiveInteger, String),
  /** Config `api.maxEventsPerBatch`. */
  maxEventsPerBatch: envVar('MAX_EVENTS_PER_BATCH', positiveInteger, String),
  /** Config `retentionDays`: the TTL of a stored event. */
  retentionDays: envVar('RETENTION_DAYS', positiveInteger, String),
  /** Config `eventTypes`, comma-separated. */
  eventTypes: envVar('EVENT_TYPES', eventTypeList, formatEventTypeList),
  /** Config `payload.requiredFields`: event type -> fields an event must carry, JSON. */
  requiredFields: envVar('REQUIRED_FIELDS', fieldsByEventType, (fields) => JSON.stringify(fields)),
  /** Config `campaign.verifyMailingId`, or `none`: events of this mailing are verification events. */
  verifyMailingId: envVar('VERIFY_MAILING_ID', optionalPositiveInteger, formatOptionalPositiveInteger),
  /** Config `payload.publishVerificationEvents`. */
  publishVerificationEvents: envVar('PUBLISH_VERIFICATION_EVENTS', booleanFlag, String),
  /** The bucket that keeps events too large for a table item (the ingest writes). */
  largeEventBucket: envVar('LARGE_EVENT_BUCKET', text, String),
  /** Event type -> SNS topic ARN, JSON (the fan-out publishes to these). */
  topicArns: envVar('TOPIC_ARNS', topicArnMap, formatTopicArnMap),
  /** The fan-out's parked-events queue (URL): records that can never be published as they are. */
  parkedEventsQueueUrl: envVar('PARKED_EVENTS_QUEUE_URL', text, String),
  /** The fan-out's held-events queue (URL): records SNS kept refusing while they neared the stream's retention. */
  heldEventsQueueUrl: envVar('HELD_EVENTS_QUEUE_URL', text, String),
  /** The fan-out holds a transiently failing record older than this many seconds (infra/constructs/fan-out.ts). */
  holdAfterSeconds: envVar('HOLD_AFTER_SECONDS', positiveInteger, String),
  /** The alerts topic the alarm formatter publishes to. */
  alertsTopicArn: envVar('ALERTS_TOPIC_ARN', text, String),
  /**
   * The fan-out's log group, or `none`: the alarm formatter reads its `Record parked` lines to name the
   * parked events in the parked-events alarm's alert.
   */
  parkedEventsLogGroup: envVar('PARKED_EVENTS_LOG_GROUP', optionalText, formatOptionalText),
  /** Config `alerts.slackWebhookSecretName`. */
  slackWebhookSecretName: envVar('SLACK_WEBHOOK_SECRET_NAME', text, String),
} as const;

/** Variables every project function gets (ProjectFunction) that Powertools reads, not the function's own code. */
export const RUNTIME_ENV = {
  /** Powertools `service` (logger key and metrics dimension), one of FUNCTION_SERVICES. */
  serviceName: envVar('POWERTOOLS_SERVICE_NAME', text, String),
  /** Config `metricsNamespace`. */
  metricsNamespace: envVar('POWERTOOLS_METRICS_NAMESPACE', text, String),
  logLevel: envVar('POWERTOOLS_LOG_LEVEL', text, String),
} as const satisfies EnvSpec;

/** The Powertools service name of each function (also its entry folder under functions/). */
export const FUNCTION_SERVICES = {
  ingest: 'ingest',
  fanOut: 'fan-out',
  alarmFormatter: 'alarm-formatter',
  slackNotifier: 'slack-notifier',
  webhookReconciler: 'webhook-reconciler',
} as const;
export type FunctionService = (typeof FUNCTION_SERVICES)[keyof typeof FUNCTION_SERVICES];

export const INGEST_ENV = {
  tableName: ENV.tableName,
  endpointKeySecretId: ENV.endpointKeySecretId,
  authHeaderName: ENV.authHeaderName,
  maxBodyBytes: ENV.maxBodyBytes,
  maxEventsPerBatch: ENV.maxEventsPerBatch,
  retentionDays: ENV.retentionDays,
  eventTypes: ENV.eventTypes,
  requiredFields: ENV.requiredFields,
  verifyMailingId: ENV.verifyMailingId,
  publishVerificationEvents: ENV.publishVerificationEvents,
  largeEventBucket: ENV.largeEventBucket,
} as const satisfies EnvSpec;

export const FAN_OUT_ENV = {
  topicArns: ENV.topicArns,
  parkedEventsQueueUrl: ENV.parkedEventsQueueUrl,
  heldEventsQueueUrl: ENV.heldEventsQueueUrl,
  holdAfterSeconds: ENV.holdAfterSeconds,
} as const satisfies EnvSpec;
export const ALARM_FORMATTER_ENV = {
  alertsTopicArn: ENV.alertsTopicArn,
  parkedEventsLogGroup: ENV.parkedEventsLogGroup,
} as const satisfies EnvSpec;
export const SLACK_NOTIFIER_ENV = {
  slackWebhookSecretName: ENV.slackWebhookSecretName,
} as const satisfies EnvSpec;
/** The reconciler takes everything from its custom resource's properties (webhook-resource.ts). */
export const WEBHOOK_RECONCILER_ENV = {} as const satisfies EnvSpec;

/** Each function's own spec, by service name. */
export const FUNCTION_ENVIRONMENTS: Readonly<Record<FunctionService, EnvSpec>> = {
  [FUNCTION_SERVICES.ingest]: INGEST_ENV,
  [FUNCTION_SERVICES.fanOut]: FAN_OUT_ENV,
  [FUNCTION_SERVICES.alarmFormatter]: ALARM_FORMATTER_ENV,
  [FUNCTION_SERVICES.slackNotifier]: SLACK_NOTIFIER_ENV,
  [FUNCTION_SERVICES.webhookReconciler]: WEBHOOK_RECONCILER_ENV,
};

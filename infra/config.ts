import * as v from 'valibot';
import { CAMPAIGN_EVENT_TYPES } from '../functions/shared/campaign-event-types.js';
import {
  CAMPAIGN_PRODUCTION_API_URL,
  campaignBaseUrlProblem,
} from '../functions/shared/contracts/campaign-api.js';
import { DEFAULT_METRICS_NAMESPACE } from '../functions/shared/metrics-catalog.js';
import { describeIssue } from './config-errors.js';
import { SNS_PROTOCOLS, type SnsProtocol } from './constructs/event-topics.js';
import { MAX_LOG_RETENTION_DAYS } from './log-retention.js';

/**
 * The deployment configuration: the `campaignEvents` object in cdk.json's context (or `-c campaignEvents=<json>`).
 * Every option is documented in README.md ("Configuration reference") with its default; keep the two in step.
 */

/** Campaign's documented webhook sender address. */
export const CAMPAIGN_SENDER_CIDR = '193.169.180.1/32';

const ipv4Cidr = v.pipe(
  v.string(),
  v.regex(
    /^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/,
    'must be an IPv4 address or CIDR such as 193.169.180.1/32',
  ),
  v.check((value) => {
    const [ip = '', prefix] = value.split('/');
    const octetsOk = ip.split('.').every((octet) => Number(octet) <= 255);
    return octetsOk && (prefix === undefined || Number(prefix) <= 32);
  }, 'must be an IPv4 address or CIDR with octets <= 255 and prefix <= 32'),
  v.check(
    (value) => !value.endsWith('/0'),
    'must not admit every address (a /0 prefix): to turn the allow list off, set api.allowAnySourceIp to true',
  ),
);
const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const headerName = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name (letters, digits, dashes)'),
);
const hourOfDay = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(23));

const ApiSchema = v.pipe(
  v.strictObject({
    /** Source addresses allowed by the API's resource policy. */
    allowedSourceIps: v.optional(v.pipe(v.array(ipv4Cidr), v.minLength(1)), [CAMPAIGN_SENDER_CIDR]),
    /** Turns the source-IP allow list off (for example behind a proxy). Authentication still applies. */
    allowAnySourceIp: v.optional(v.boolean(), false),
    /** Header that carries the endpoint key (the webhook's keyAuth `key`). */
    authHeaderName: v.optional(headerName, 'X-Campaign-Webhook-Key'),
    /**
     * Largest request body accepted, in bytes, decoded. Bodies reach the function base64-encoded (so no
     * byte is altered on the way), and Lambda's synchronous payload limit is 6 MB: at most 4,400,000.
     */
    maxBodyBytes: v.optional(v.pipe(positiveInt, v.maxValue(4_400_000)), 4_000_000),
    /** Most events accepted in one batch. */
    maxEventsPerBatch: v.optional(positiveInt, 10_000),
    /** Stage throttling, steady requests per second: 2× the documented peak at one event per request (docs/SIZING.md). */
    throttlingRateLimit: v.optional(positiveInt, 2000),
    /** Stage throttling, burst size: at most what a new on-demand table writes at once (docs/SIZING.md). */
    throttlingBurstLimit: v.optional(positiveInt, 4000),
    /**
     * Set the region's API Gateway CloudWatch role (AWS::ApiGateway::Account, needed for access logs).
     * Turn off when the account already manages that setting elsewhere (e.g. a landing zone).
     */
    manageAccountLoggingRole: v.optional(v.boolean(), true),
  }),
  v.forward(
    v.partialCheck(
      [['throttlingRateLimit'], ['throttlingBurstLimit']],
      (api) => api.throttlingBurstLimit >= api.throttlingRateLimit,
      'must be at least throttlingRateLimit',
    ),
    ['throttlingBurstLimit'],
  ),
);

const CampaignSchema = v.strictObject({
  /** Register and activate the webhooks at deploy time (custom resource). */
  registerWebhooks: v.optional(v.boolean(), true),
  /** Campaign client ids (mandator ids) whose events are received. */
  clientIds: v.pipe(v.array(positiveInt), v.minLength(1, 'list at least one Campaign client id')),
  /** Base URL of the Campaign REST API. */
  apiBaseUrl: v.optional(
    v.pipe(
      v.string(),
      v.rawCheck(({ dataset, addIssue }) => {
        const problem = dataset.typed ? campaignBaseUrlProblem(dataset.value) : undefined;
        if (problem !== undefined) addIssue({ message: problem });
      }),
    ),
    CAMPAIGN_PRODUCTION_API_URL,
  ),
  /** Name of the Secrets Manager secret (created by you) holding {"username": "...", "password": "..."}. */
  credentialsSecretName: v.optional(v.pipe(v.string(), v.minLength(1)), 'campaign-events/campaign-api'),
  /** Mailing id used to verify each webhook at deploy time; without it verification is skipped. */
  verifyMailingId: v.optional(positiveInt),
  /** Bump to push a rotated endpoint key to Campaign on the next deploy. */
  endpointKeyRotation: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
});

const fieldName = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_$-]{1,64}$/, 'must be a field name (letters, digits, _ $ -)'),
);

const PayloadSchema = v.strictObject({
  /**
   * Fields an event must carry (not absent, not null), per registration type, beyond what routing needs;
   * an event without one is quarantined. E.g. {"sent": ["mailingId"]}.
   */
  requiredFields: v.optional(v.record(v.picklist(CAMPAIGN_EVENT_TYPES), v.array(fieldName)), {}),
  /** Publish Campaign verify's test events (mailingId = campaign.verifyMailingId) to the event topics. */
  publishVerificationEvents: v.optional(v.boolean(), false),
});

const SilenceSchema = v.strictObject({
  /** Window without any `sent` event after which the dispatch-silence alarm fires. */
  windowMinutes: v.optional(v.pipe(positiveInt, v.maxValue(1440)), 60),
  /** When missing data counts as silence: always, or only between the UTC hours given. */
  activeHoursUtc: v.optional(
    v.union([
      v.literal('always'),
      v.pipe(
        v.strictObject({ startHour: hourOfDay, endHour: hourOfDay }),
        v.check(
          (hours) => hours.startHour !== hours.endHour,
          'startHour and endHour must differ (use "always" for the whole day)',
        ),
      ),
    ]),
    'always',
  ),
});

const ThresholdsSchema = v.strictObject({
  ingest5xxRatePercent: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100)), 1),
  ingest4xxRatePercent: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100)), 10),
  fanOutIteratorAgeSeconds: v.optional(positiveInt, 300),
  eventDelaySeconds: v.optional(positiveInt, 900),
  hardBounceRatePercent: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100)), 5),
  spamComplaintsPerHour: v.optional(positiveInt, 10),
  /** Errors of one project function in 5 minutes that raise its errors alarm. */
  lambdaErrorsPer5Minutes: v.optional(positiveInt, 1),
  /** Fewer `sent` events than this in the hour: the hard-bounce rate is not judged (too few to mean much). */
  hardBounceMinSentPerHour: v.optional(positiveInt, 100),
});

const AlertsSchema = v.strictObject({
  /** Email addresses subscribed to the alerts topic. */
  emails: v.optional(v.array(v.pipe(v.string(), v.email())), []),
  /** Lowest severity sent to the email subscriptions (SNS filter policy). */
  emailMinSeverity: v.optional(v.picklist(['info', 'warning', 'critical']), 'warning'),
  /** Name of a Secrets Manager secret (created by you) holding a Slack incoming-webhook URL. */
  slackWebhookSecretName: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** AWS Chatbot Slack channel (the workspace must be authorized in the Chatbot console first). */
  chatbotSlack: v.optional(
    v.strictObject({
      workspaceId: v.pipe(v.string(), v.minLength(1)),
      channelId: v.pipe(v.string(), v.minLength(1)),
    }),
  ),
  dispatchSilence: v.optional(SilenceSchema, {}),
  thresholds: v.optional(ThresholdsSchema, {}),
});

const ArchiveSchema = v.strictObject({
  /**
   * Archive every published event to S3 (Parquet, via Firehose) for the Athena reports. Off by default:
   * the archive keeps recipients' personal data for `retentionDays` beyond the table's own TTL.
   */
  enabled: v.optional(v.boolean(), false),
  /** Days an archived event (and a failed delivery under errors/) is kept before S3 deletes it. */
  retentionDays: v.optional(v.pipe(positiveInt, v.maxValue(3650)), 365),
  /** Firehose buffer: seconds before a partition's file is written (60-900). */
  bufferIntervalSeconds: v.optional(v.pipe(positiveInt, v.minValue(60), v.maxValue(900)), 300),
  /** Firehose buffer: MiB before a partition's file is written (64-128 with dynamic partitioning). */
  bufferSizeMiB: v.optional(v.pipe(positiveInt, v.minValue(64), v.maxValue(128)), 128),
  /** Athena workgroup: a query that would scan more is cancelled (10 MiB minimum). */
  bytesScannedCutoffPerQueryMiB: v.optional(v.pipe(positiveInt, v.minValue(10)), 10_240),
  /** Days Athena's query results are kept. */
  queryResultsRetentionDays: v.optional(positiveInt, 7),
});

/** Same-account queues, functions and delivery streams, and HTTPS endpoints: no plain HTTP, no email. */
export const DEFAULT_SUBSCRIPTION_PROTOCOLS: readonly SnsProtocol[] = ['sqs', 'lambda', 'firehose', 'https'];

const accountId = v.pipe(v.string(), v.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'));
const iamPrincipal = v.union(
  [
    accountId,
    v.pipe(
      v.string(),
      v.regex(
        /^arn:aws[a-z-]*:(iam::\d{12}:(root|role\/.+|user\/.+)|sts::\d{12}:assumed-role\/.+)$/,
        'must be a 12-digit account id or an IAM role/user ARN (wildcards allowed in the name)',
      ),
    ),
  ],
  'must be a 12-digit account id or an IAM role/user ARN',
);

const EventTopicsSchema = v.strictObject({
  /** Protocols a subscription to an event topic may use (`sns:Protocol`); others are denied. */
  subscriptionProtocols: v.optional(
    v.pipe(
      v.array(v.picklist(SNS_PROTOCOLS)),
      v.minLength(1),
      v.check((protocols) => new Set(protocols).size === protocols.length, 'must not repeat a protocol'),
    ),
    [...DEFAULT_SUBSCRIPTION_PROTOCOLS],
  ),
  /** Principals of other accounts allowed to subscribe (account ids or IAM role/user ARNs). */
  subscribers: v.optional(v.array(iamPrincipal), []),
});

export const ConfigSchema = v.strictObject({
  /** CloudFormation stack name. */
  stackName: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'must start with a letter and hold only letters, digits and dashes'),
      v.maxLength(128, 'must be at most 128 characters'),
    ),
    'CampaignEvents',
  ),
  /** CloudFormation termination protection: `cdk destroy` and deletes are refused until it is turned off. */
  terminationProtection: v.optional(v.boolean(), true),
  /** Tags on every resource of the stack, merged over the defaults (project, data classification). */
  tags: v.optional(
    v.record(
      v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
      v.pipe(v.string(), v.maxLength(256, 'must be at most 256 characters')),
    ),
    {},
  ),
  /** Event types to receive: one webhook and one SNS topic each. */
  eventTypes: v.optional(
    v.pipe(
      v.array(v.picklist(CAMPAIGN_EVENT_TYPES)),
      v.minLength(1),
      v.check((types) => new Set(types).size === types.length, 'must not repeat an event type'),
    ),
    [...CAMPAIGN_EVENT_TYPES],
  ),
  /** Days an event is kept in DynamoDB before TTL removes it. */
  retentionDays: v.optional(v.pipe(positiveInt, v.maxValue(3650)), 30),
  /** Days CloudWatch keeps the Lambda and API access logs. */
  logRetentionDays: v.optional(
    v.pipe(
      positiveInt,
      v.maxValue(MAX_LOG_RETENTION_DAYS, `must be at most ${MAX_LOG_RETENTION_DAYS} (10 years)`),
    ),
    30,
  ),
  /** Keep the table, its data and the alert/DLQ queues when the stack is destroyed. */
  retainData: v.optional(v.boolean(), true),
  /** CloudWatch namespace of the custom metrics. */
  metricsNamespace: v.optional(v.pipe(v.string(), v.minLength(1)), DEFAULT_METRICS_NAMESPACE),
  /**
   * IAM role/user ARNs of the deploying account that the data key lets read and publish events through
   * DynamoDB, SQS and SNS (the replay, docs/REPLAY.md); their own IAM policy must allow it too.
   */
  dataKeyOperators: v.optional(
    v.array(
      v.pipe(
        v.string(),
        v.regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, 'must be an IAM role or user ARN'),
      ),
    ),
    [],
  ),
  api: v.optional(ApiSchema, {}),
  eventTopics: v.optional(EventTopicsSchema, {}),
  /** How tolerant the ingest is of the event payload (docs/PAYLOAD.md). */
  payload: v.optional(PayloadSchema, {}),
  campaign: CampaignSchema,
  alerts: v.optional(AlertsSchema, {}),
  archive: v.optional(ArchiveSchema, {}),
});

export type Config = v.InferOutput<typeof ConfigSchema>;
export type ConfigInput = v.InferInput<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Tags every resource carries unless `tags` overrides them. */
export const DEFAULT_TAGS: Readonly<Record<string, string>> = {
  project: 'campaign-events',
  'data-classification': 'personal-data',
};

/**
 * Validates raw configuration, applying defaults. Throws a ConfigError listing every problem by path,
 * each path starting with `rootName` (the context key, or the construct prop that holds it).
 */
export function parseConfig(raw: unknown, rootName = 'campaignEvents'): Config {
  const result = v.safeParse(ConfigSchema, raw);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => `  - ${describeIssue(ConfigSchema, rootName, issue)}`);
  const source = rootName === 'campaignEvents' ? 'cdk.json context "campaignEvents"' : `"${rootName}"`;
  throw new ConfigError(
    `Invalid configuration in ${source} (see README.md, "Configuration reference"):\n${problems.join('\n')}`,
  );
}

/** Reads the `campaignEvents` context value, which may be an object (cdk.json) or a JSON string (-c). */
export function configFromContext(value: unknown): Config {
  if (value === undefined) {
    throw new ConfigError(
      'Missing cdk.json context "campaignEvents"; see README.md, "Configuration reference".',
    );
  }
  if (typeof value === 'string') {
    try {
      return parseConfig(JSON.parse(value));
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`Context "campaignEvents" is not valid JSON: ${(error as Error).message}`);
    }
  }
  return parseConfig(value);
}

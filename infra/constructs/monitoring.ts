import { Annotations, Aws, Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueueAlarmSlug } from '../../functions/shared/alerts/alarm-identity.js';
import type { AlertSeverity } from '../../functions/shared/alerts/severity.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { METRIC_SERVICES, METRICS } from '../../functions/shared/metrics-catalog.js';
import type { Config } from '../config.js';
import { CatalogMetrics } from './alarms/catalog-metrics.js';
import { type DispatchSilenceConfig, silenceAlarmShape } from './alarms/dispatch-silence.js';
import {
  ALARM_PERIOD,
  type AlarmRouter,
  createProjectAlarm,
  type ProjectAlarmSpec,
} from './alarms/project-alarm.js';
import { buildDashboard } from './monitoring-dashboard.js';

export type AlertThresholds = Config['alerts']['thresholds'];

export interface WatchedFunction {
  /** Kebab-case name used in the alarm names, e.g. `ingest`. */
  readonly name: string;
  readonly function: lambda.IFunction;
  /**
   * Severity of the function's errors alarm (its throttles alarm is always a warning).
   * @default 'warning'
   */
  readonly errorSeverity?: AlertSeverity;
}

export interface WatchedQueue {
  /** Kebab-case name used in the alarm name, e.g. `fan-out`. */
  readonly name: string;
  /** A dead-letter queue: any visible message is an alarm. */
  readonly queue: sqs.IQueue;
  /** @default 'critical' */
  readonly severity?: AlertSeverity;
  /** What a parked message means. @default "Messages wait in the <name> dead-letter queue." */
  readonly meaning?: string;
  /** @default read the messages and the function's logs */
  readonly firstAction?: string;
}

export interface MonitoringProps {
  /** Where alarm notifications go (normally the Alerting construct). */
  readonly router: AlarmRouter;
  /** Namespace of the project's custom metrics. */
  readonly metricsNamespace: string;
  /** Event types received: per-type dashboard lines and event-topic alarms. */
  readonly eventTypes: readonly CampaignEventType[];
  readonly thresholds: AlertThresholds;
  readonly dispatchSilence: DispatchSilenceConfig;
  /**
   * Prefix of alarm and dashboard names.
   * @default the stack name
   */
  readonly namePrefix?: string;
  /**
   * The ingest API's stage: 5XX/4XX rate alarms, request and latency widgets.
   * @default no API alarms
   */
  readonly apiStage?: apigateway.Stage;
  /**
   * Requests the API answered 429 (IngestApi.throttledRequests): a critical alarm on any.
   * @default no throttling alarm
   */
  readonly apiThrottledRequests?: cloudwatch.IMetric;
  /**
   * The stream-reading fan-out function: iterator-age alarm and widget.
   * @default no iterator-age alarm
   */
  readonly fanOutFunction?: lambda.IFunction;
  /**
   * Functions whose errors and throttles are alarmed (every project function).
   * @default none
   */
  readonly watchedFunctions?: readonly WatchedFunction[];
  /**
   * Dead-letter queues alarmed on any visible message.
   * @default none
   */
  readonly deadLetterQueues?: readonly WatchedQueue[];
  /**
   * The per-type event topics: delivery-failure alarms.
   * @default none
   */
  readonly eventTopics?: ReadonlyMap<CampaignEventType, sns.ITopic>;
  /**
   * Alarms created elsewhere to show in the dashboard's alarm-status widget (e.g. Alerting's own).
   * @default none
   */
  readonly additionalAlarms?: readonly cloudwatch.IAlarm[];
  /** @default `<namePrefix>-operations` */
  readonly dashboardName?: string;
}

/**
 * The operational and business alarms, built from the metrics catalog and the resources passed in, and
 * the operations dashboard. Every alarm is named `<prefix>-<severity>-<slug>`, describes what it means
 * and the first thing to do, and is routed through `router`.
 */
export class Monitoring extends Construct {
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  /** Console URL of the dashboard. */
  readonly dashboardUrl: string;

  private readonly namePrefix: string;
  private readonly router: AlarmRouter;
  private readonly metrics: CatalogMetrics;
  private readonly created: cloudwatch.Alarm[] = [];
  private readonly slugs = new Set<string>();

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    validateProps(props);
    this.namePrefix = props.namePrefix ?? Stack.of(this).stackName;
    this.router = props.router;
    this.metrics = new CatalogMetrics(props.metricsNamespace);

    if (props.apiStage) this.apiAlarms(props.apiStage, props.thresholds);
    if (props.apiThrottledRequests) this.throttlingAlarm(props.apiThrottledRequests);
    for (const watched of props.watchedFunctions ?? []) this.functionAlarms(watched, props.thresholds);
    if (props.fanOutFunction) this.iteratorAgeAlarm(props.fanOutFunction, props.thresholds);
    for (const watched of props.deadLetterQueues ?? []) this.deadLetterAlarm(watched);
    this.pipelineAlarms(props.eventTopics);
    this.businessAlarms(props);
    this.alarms = [...this.created];

    const dashboardName = props.dashboardName ?? `${this.namePrefix}-operations`;
    this.dashboard = buildDashboard(this, 'Dashboard', {
      dashboardName,
      metrics: this.metrics,
      eventTypes: props.eventTypes,
      thresholds: props.thresholds,
      alarms: [...this.alarms, ...(props.additionalAlarms ?? [])],
      ...(props.apiStage ? { apiStage: props.apiStage } : {}),
      ...(props.fanOutFunction ? { fanOutFunction: props.fanOutFunction } : {}),
      watchedFunctions: props.watchedFunctions ?? [],
      deadLetterQueues: props.deadLetterQueues ?? [],
    });
    this.dashboardUrl = `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${dashboardName}`;
  }

  private alarm(spec: ProjectAlarmSpec, router: AlarmRouter): cloudwatch.Alarm {
    if (this.slugs.has(spec.slug)) throw new Error(`Monitoring: two alarms are named "${spec.slug}"`);
    this.slugs.add(spec.slug);
    const alarm = createProjectAlarm(this, this.namePrefix, spec, router);
    this.created.push(alarm);
    return alarm;
  }

  private apiAlarms(stage: apigateway.Stage, thresholds: AlertThresholds): void {
    const rate = (errors: cloudwatch.IMetric, label: string) =>
      new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { errors, requests: stage.metricCount({ period: ALARM_PERIOD, statistic: 'Sum' }) },
        period: ALARM_PERIOD,
        label,
      });
    this.alarm(
      {
        slug: 'ingest-5xx-rate',
        severity: 'critical',
        title: `Ingest API 5XX rate above ${thresholds.ingest5xxRatePercent}%`,
        meaning:
          'The endpoint is failing Campaign webhook deliveries with server errors; events in those batches are not stored (Campaign may or may not retry).',
        firstAction:
          'Open the ingest function logs (errors, timeouts) and the API access logs; check DynamoDB throttling and the endpoint-key secret.',
        metric: rate(stage.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' }), '5XX rate (%)'),
        threshold: thresholds.ingest5xxRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      this.router,
    );
    this.alarm(
      {
        slug: 'ingest-4xx-rate',
        severity: 'warning',
        title: `Ingest API 4XX rate above ${thresholds.ingest4xxRatePercent}%`,
        meaning:
          'Many webhook requests are rejected (unauthorized, malformed, too large): a wrong or rotated endpoint key, or a payload change at Campaign.',
        firstAction:
          'Check the RequestsRejected metric by Reason on the dashboard, then compare the webhook keyAuth with the endpoint-key secret.',
        metric: rate(stage.metricClientError({ period: ALARM_PERIOD, statistic: 'Sum' }), '4XX rate (%)'),
        threshold: thresholds.ingest4xxRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      this.router,
    );
  }

  private throttlingAlarm(throttled: cloudwatch.IMetric): void {
    this.alarm(
      {
        slug: 'ingest-throttled',
        severity: 'critical',
        title: 'Ingest API throttled webhook requests (429)',
        meaning:
          'API Gateway refused Campaign batches with 429 (stage throttle or account limit): each is a batch Campaign must retry, under a retry policy it does not document, so events may be lost.',
        firstAction:
          'Compare the API request rate on the dashboard with api.throttlingRateLimit / throttlingBurstLimit (docs/SIZING.md), raise them and deploy; check the account-level API Gateway quota.',
        metric: throttled,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      },
      this.router,
    );
  }

  private functionAlarms(watched: WatchedFunction, thresholds: AlertThresholds): void {
    this.alarm(
      {
        slug: `lambda-errors-${watched.name}`,
        severity: watched.errorSeverity ?? 'warning',
        title: `Lambda ${watched.name}: ${thresholds.lambdaErrorsPer5Minutes}+ errors in 5 minutes`,
        meaning: `The ${watched.name} function is failing invocations (unhandled errors or timeouts).`,
        firstAction: `Open the ${watched.name} function's log group and search for level ERROR around the alarm time.`,
        metric: watched.function.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
        threshold: thresholds.lambdaErrorsPer5Minutes,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      },
      this.router,
    );
    this.alarm(
      {
        slug: `lambda-throttles-${watched.name}`,
        severity: 'warning',
        title: `Lambda ${watched.name} is throttled`,
        meaning: `Lambda refused to run the ${watched.name} function for lack of concurrency; work is delayed or, for the API, rejected.`,
        firstAction:
          'Check the account and function concurrency in the Lambda console and what else consumes it.',
        metric: watched.function.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      },
      this.router,
    );
  }

  private iteratorAgeAlarm(fanOut: lambda.IFunction, thresholds: AlertThresholds): void {
    this.alarm(
      {
        slug: 'fan-out-iterator-age',
        severity: 'critical',
        title: `Fan-out more than ${thresholds.fanOutIteratorAgeSeconds} s behind the event table`,
        meaning:
          "Stored events reach their SNS topics late: SNS (or its key, or the fan-out's permissions) keeps failing and the shard waits in order, retrying by itself, or the fan-out cannot keep up. Nothing is lost: events are in the table and stream, and records nearing the stream's 24 h are held (EventsHeld) and published when SNS is back.",
        firstAction:
          'Check PublishFailures and the fan-out log ("Record not published yet": its code) and the SNS health dashboard; no replay is needed: it recovers by itself once the cause is gone.',
        metric: fanOut.metric('IteratorAge', { period: ALARM_PERIOD, statistic: 'Maximum' }),
        threshold: thresholds.fanOutIteratorAgeSeconds * 1000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      this.router,
    );
  }

  private deadLetterAlarm(watched: WatchedQueue): void {
    this.alarm(
      {
        slug: deadLetterQueueAlarmSlug(watched.name),
        severity: watched.severity ?? 'critical',
        title: `Messages in the ${watched.name} dead-letter queue`,
        meaning:
          watched.meaning ?? `Work that failed every retry waits in the ${watched.name} dead-letter queue.`,
        firstAction:
          watched.firstAction ??
          `Read a message in the ${watched.name} dead-letter queue (SQS console) and the matching function logs; redrive once fixed.`,
        metric: watched.queue.metricApproximateNumberOfMessagesVisible({
          period: ALARM_PERIOD,
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      this.router,
    );
  }

  private pipelineAlarms(eventTopics: ReadonlyMap<CampaignEventType, sns.ITopic> | undefined): void {
    this.alarm(
      {
        slug: 'events-quarantined',
        severity: 'warning',
        title: 'Events quarantined',
        meaning:
          'Campaign sent events that fail validation; they are stored as quarantined (not lost) and not published.',
        firstAction:
          'Query the event table for quarantined items to see the validation error; a Campaign payload change may need a schema update.',
        metric: this.metrics.metric(METRICS.eventsQuarantined, {
          service: METRIC_SERVICES.ingest,
          statistic: 'Sum',
          period: ALARM_PERIOD,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      this.router,
    );
    this.alarm(
      {
        slug: 'publish-failures',
        severity: 'warning',
        title: 'SNS refused event publishes',
        meaning:
          'The fan-out could not publish some events after its own retries: transient ones wait in order (the mapping retries them), invalid ones are parked alone (parked-events alarm).',
        firstAction:
          'Check the fan-out logs for the SNS error code (throttling, KMS, permissions, InvalidParameter) and the parked-events and iterator-age alarms.',
        metric: this.metrics.metric(METRICS.publishFailures, {
          service: METRIC_SERVICES.fanOut,
          statistic: 'Sum',
          period: ALARM_PERIOD,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      this.router,
    );
    this.alarm(
      {
        slug: 'fan-out-events-held',
        severity: 'critical',
        title: 'Fan-out holding events near the stream retention',
        meaning:
          "SNS has kept failing for about 20 hours: the fan-out moves records that near the stream's 24 h retention to its held-events queue (kept 14 days) and publishes them from there when SNS is back. Nothing is lost yet.",
        firstAction:
          'Find why SNS refuses (fan-out log code: KMS key, permissions, topic, an AWS outage) and fix it; the held events then go out by themselves.',
        metric: this.metrics.metric(METRICS.eventsHeld, {
          service: METRIC_SERVICES.fanOut,
          statistic: 'Sum',
          period: ALARM_PERIOD,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      this.router,
    );
    for (const [eventType, topic] of eventTopics ?? []) {
      this.alarm(
        {
          slug: `event-topic-delivery-failures-${eventType}`,
          severity: 'warning',
          title: `Deliveries from the ${eventType} topic failing`,
          meaning: `SNS could not deliver "${eventType}" events to one of the topic's subscribers (after SNS's own retries).`,
          firstAction: `In the SNS console, check the ${eventType} topic's subscriptions and their dead-letter queues.`,
          metric: topic.metricNumberOfNotificationsFailed({ period: ALARM_PERIOD, statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
        this.router,
      );
    }
  }

  private businessAlarms(props: MonitoringProps): void {
    const { thresholds, eventTypes } = props;
    const receives = (type: CampaignEventType) => eventTypes.includes(type);
    const sentMetric = (period: Duration) =>
      this.metrics.metric(METRICS.eventsAccepted, {
        service: METRIC_SERVICES.ingest,
        eventType: 'sent',
        statistic: 'Sum',
        period,
      });

    if (receives('sent')) {
      const shape = silenceAlarmShape(sentMetric, props.dispatchSilence);
      const hours = props.dispatchSilence.activeHoursUtc;
      const when = hours === 'always' ? '' : ` between ${hours.startHour}:00 and ${hours.endHour}:00 UTC`;
      this.alarm(
        {
          slug: 'dispatch-silence',
          severity: 'critical',
          title: `No sent events for ${props.dispatchSilence.windowMinutes} minutes${when}`,
          meaning:
            'Mail dispatch looks stopped: Campaign reported no sent email in the window (or its sent webhook stopped reaching the endpoint).',
          firstAction:
            'Check in Campaign whether mailings are running and the sent webhook is active; then check the ingest 4XX/5XX alarms and the API access logs.',
          metric: shape.metric,
          threshold: shape.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: shape.evaluationPeriods,
          treatMissingData: shape.treatMissingData,
        },
        this.router,
      );
    } else {
      Annotations.of(this).addWarningV2(
        'campaign-events:no-sent-events',
        'eventTypes has no "sent": no dispatch-silence or hard-bounce-rate alarm.',
      );
    }

    this.alarm(
      {
        slug: 'event-delay',
        severity: 'warning',
        title: `Events arriving more than ${thresholds.eventDelaySeconds} s after they happened (p90)`,
        meaning:
          "Campaign is delivering webhook events late (queueing at Campaign, or retries after failed deliveries); measured from each event's own timestamp.",
        firstAction:
          'Compare with the ingest 5XX alarm and API latency (our side); if ours are healthy, the delay is at Campaign: check their status page.',
        metric: this.metrics.metric(METRICS.eventDelay, {
          service: METRIC_SERVICES.ingest,
          statistic: 'p90',
          period: Duration.minutes(15),
        }),
        threshold: thresholds.eventDelaySeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      this.router,
    );

    if (receives('sent') && receives('bounce')) {
      const hour = Duration.hours(1);
      this.alarm(
        {
          slug: 'hard-bounce-rate',
          severity: 'warning',
          title: `Hard bounces above ${thresholds.hardBounceRatePercent}% of sent mail in an hour`,
          meaning: `Hard bounces per sent email (hour with at least ${thresholds.hardBounceMinSentPerHour} sent): a stale or bad recipient list, which hurts sender reputation.`,
          firstAction:
            'Find the mailing (mailingId) behind the bounces in the bounce topic or table and review its recipient list.',
          metric: new cloudwatch.MathExpression({
            expression: `IF(sent >= ${thresholds.hardBounceMinSentPerHour}, 100 * hard / sent, 0)`,
            usingMetrics: {
              hard: this.metrics.metric(METRICS.hardBounces, {
                service: METRIC_SERVICES.ingest,
                statistic: 'Sum',
                period: hour,
              }),
              sent: sentMetric(hour),
            },
            period: hour,
            label: 'hard bounces per sent (%)',
          }),
          threshold: thresholds.hardBounceRatePercent,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
        this.router,
      );
    }

    if (receives('spamcomplaint')) {
      this.alarm(
        {
          slug: 'spam-complaints',
          severity: 'warning',
          title: `More than ${thresholds.spamComplaintsPerHour} spam complaints in an hour`,
          meaning:
            'Recipients are marking mail as spam at an unusual rate, which can get the sender blocked.',
          firstAction:
            'Find the mailing (mailingId) behind the complaints and pause it if it is still sending; check its audience and consent.',
          metric: this.metrics.metric(METRICS.spamComplaints, {
            service: METRIC_SERVICES.ingest,
            statistic: 'Sum',
            period: Duration.hours(1),
          }),
          threshold: thresholds.spamComplaintsPerHour,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
        this.router,
      );
    }
  }
}

function validateProps(props: MonitoringProps): void {
  if (props.eventTypes.length === 0)
    throw new Error('Monitoring: eventTypes must list at least one event type');
  const kebab = /^[a-z0-9]+(-[a-z0-9]+)*$/;
  for (const [kind, names] of [
    ['watchedFunctions', (props.watchedFunctions ?? []).map((watched) => watched.name)],
    ['deadLetterQueues', (props.deadLetterQueues ?? []).map((watched) => watched.name)],
  ] as const) {
    const seen = new Set<string>();
    for (const name of names) {
      if (!kebab.test(name)) throw new Error(`Monitoring: ${kind} name "${name}" must be kebab-case`);
      if (seen.has(name)) throw new Error(`Monitoring: ${kind} lists "${name}" twice`);
      seen.add(name);
    }
  }
  for (const eventType of props.eventTopics?.keys() ?? []) {
    if (!props.eventTypes.includes(eventType)) {
      throw new Error(`Monitoring: eventTopics has a topic for "${eventType}", which is not in eventTypes`);
    }
  }
}

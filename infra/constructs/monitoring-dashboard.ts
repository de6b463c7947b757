import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { METRIC_SERVICES, METRICS } from '../../functions/shared/metrics-catalog.js';
import type { CatalogMetrics } from './alarms/catalog-metrics.js';
import type { AlertThresholds, WatchedFunction, WatchedQueue } from './monitoring.js';

export interface DashboardInputs {
  readonly dashboardName: string;
  readonly metrics: CatalogMetrics;
  readonly eventTypes: readonly CampaignEventType[];
  readonly thresholds: AlertThresholds;
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly apiStage?: apigateway.Stage;
  readonly fanOutFunction?: lambda.IFunction;
  readonly watchedFunctions: readonly WatchedFunction[];
  readonly deadLetterQueues: readonly WatchedQueue[];
}

const FIVE_MINUTES = Duration.minutes(5);
const HOUR = Duration.hours(1);
const FULL = 24;
const HALF = 12;
const HEIGHT = 6;

/**
 * One dashboard for the on-call view: alarm states first, then traffic per event type, accepted vs
 * quarantined, the API's latency, the fan-out's lag, dead-letter queues, and bounce/complaint rates.
 */
export function buildDashboard(scope: Construct, id: string, inputs: DashboardInputs): cloudwatch.Dashboard {
  const { metrics } = inputs;
  const ingest = METRIC_SERVICES.ingest;
  const dashboard = new cloudwatch.Dashboard(scope, id, {
    dashboardName: inputs.dashboardName,
    defaultInterval: Duration.hours(24),
  });

  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({
      title: 'Alarm states',
      alarms: [...inputs.alarms],
      width: FULL,
      height: Math.min(12, 2 + Math.ceil(inputs.alarms.length / 4)),
      sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
    }),
  );

  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Events received per type (per 5 min)',
      left: inputs.eventTypes.map((eventType) =>
        metrics.metric(METRICS.eventsReceived, {
          service: ingest,
          eventType,
          statistic: 'Sum',
          period: FIVE_MINUTES,
          label: eventType,
        }),
      ),
      stacked: true,
      width: HALF,
      height: HEIGHT,
    }),
    new cloudwatch.GraphWidget({
      title: 'Accepted vs quarantined events (per 5 min)',
      left: [
        metrics.metric(METRICS.eventsAccepted, {
          service: ingest,
          statistic: 'Sum',
          period: FIVE_MINUTES,
          label: 'accepted',
        }),
        metrics.metric(METRICS.eventsQuarantined, {
          service: ingest,
          statistic: 'Sum',
          period: FIVE_MINUTES,
          label: 'quarantined',
        }),
      ],
      width: HALF,
      height: HEIGHT,
    }),
  );

  const apiWidgets: cloudwatch.IWidget[] = [];
  if (inputs.apiStage) {
    const stage = inputs.apiStage;
    apiWidgets.push(
      new cloudwatch.GraphWidget({
        title: 'Ingest API latency',
        left: [
          stage.metricLatency({ statistic: 'p50', period: FIVE_MINUTES, label: 'latency p50' }),
          stage.metricLatency({ statistic: 'p99', period: FIVE_MINUTES, label: 'latency p99' }),
          stage.metricIntegrationLatency({
            statistic: 'p99',
            period: FIVE_MINUTES,
            label: 'integration p99',
          }),
        ],
        leftYAxis: { label: 'ms', showUnits: false, min: 0 },
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Ingest API requests and errors (per 5 min)',
        left: [stage.metricCount({ statistic: 'Sum', period: FIVE_MINUTES, label: 'requests' })],
        right: [
          stage.metricClientError({ statistic: 'Sum', period: FIVE_MINUTES, label: '4XX' }),
          stage.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES, label: '5XX' }),
        ],
        width: HALF,
        height: HEIGHT,
      }),
    );
  }
  if (apiWidgets.length > 0) dashboard.addWidgets(...apiWidgets);

  const lagMetrics: cloudwatch.IMetric[] = [];
  if (inputs.fanOutFunction) {
    lagMetrics.push(
      new cloudwatch.MathExpression({
        expression: 'age / 1000',
        usingMetrics: {
          age: inputs.fanOutFunction.metric('IteratorAge', { statistic: 'Maximum', period: FIVE_MINUTES }),
        },
        period: FIVE_MINUTES,
        label: 'fan-out iterator age, max (s)',
      }),
    );
  }
  lagMetrics.push(
    metrics.metric(METRICS.eventDelay, {
      service: ingest,
      statistic: 'p90',
      period: FIVE_MINUTES,
      label: 'event delay p90 (s)',
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Lag: fan-out iterator age and event delay (seconds)',
      left: lagMetrics,
      leftAnnotations: [
        { value: inputs.thresholds.fanOutIteratorAgeSeconds, label: 'iterator age alarm' },
        { value: inputs.thresholds.eventDelaySeconds, label: 'delay alarm' },
      ],
      width: HALF,
      height: HEIGHT,
    }),
    new cloudwatch.GraphWidget({
      title: 'Dead-letter queues (visible messages)',
      left: inputs.deadLetterQueues.map((watched) =>
        watched.queue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period: FIVE_MINUTES,
          label: watched.name,
        }),
      ),
      width: HALF,
      height: HEIGHT,
    }),
  );

  const sentPerHour = metrics.metric(METRICS.eventsAccepted, {
    service: ingest,
    eventType: 'sent',
    statistic: 'Sum',
    period: HOUR,
  });
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Bounce and complaint rates (per hour)',
      left: [
        new cloudwatch.MathExpression({
          expression: 'IF(sent > 0, 100 * hard / sent, 0)',
          usingMetrics: {
            hard: metrics.metric(METRICS.hardBounces, { service: ingest, statistic: 'Sum', period: HOUR }),
            sent: sentPerHour,
          },
          period: HOUR,
          label: 'hard bounces per sent (%)',
        }),
        new cloudwatch.MathExpression({
          expression: 'IF(sent > 0, 100 * soft / sent, 0)',
          usingMetrics: {
            soft: metrics.metric(METRICS.softBounces, { service: ingest, statistic: 'Sum', period: HOUR }),
            sent: sentPerHour,
          },
          period: HOUR,
          label: 'soft bounces per sent (%)',
        }),
      ],
      leftAnnotations: [{ value: inputs.thresholds.hardBounceRatePercent, label: 'hard-bounce alarm' }],
      right: [
        metrics.metric(METRICS.spamComplaints, {
          service: ingest,
          statistic: 'Sum',
          period: HOUR,
          label: 'spam complaints',
        }),
      ],
      rightAnnotations: [{ value: inputs.thresholds.spamComplaintsPerHour, label: 'complaint alarm' }],
      width: HALF,
      height: HEIGHT,
    }),
    new cloudwatch.GraphWidget({
      title: 'Sent events and SNS publishing (per 5 min)',
      left: [
        metrics.metric(METRICS.eventsAccepted, {
          service: ingest,
          eventType: 'sent',
          statistic: 'Sum',
          period: FIVE_MINUTES,
          label: 'sent events accepted',
        }),
        new cloudwatch.MathExpression({
          // EventsPublished is emitted per type only: add the types up.
          expression: 'SUM(METRICS("published"))',
          usingMetrics: Object.fromEntries(
            inputs.eventTypes.map((eventType, index) => [
              `published${index}`,
              metrics.metric(METRICS.eventsPublished, {
                service: METRIC_SERVICES.fanOut,
                eventType,
                statistic: 'Sum',
                period: FIVE_MINUTES,
              }),
            ]),
          ),
          period: FIVE_MINUTES,
          label: 'published (all types)',
        }),
      ],
      right: [
        metrics.metric(METRICS.publishFailures, {
          service: METRIC_SERVICES.fanOut,
          statistic: 'Sum',
          period: FIVE_MINUTES,
          label: 'publish failures',
        }),
        // At-least-once delivery with a number: messages published again, and events set aside.
        ...(
          [
            [METRICS.eventsRepublished, 'republished (duplicates)'],
            [METRICS.eventsParked, 'parked'],
            [METRICS.eventsHeld, 'held'],
          ] as const
        ).map(([name, label]) =>
          metrics.metric(name, {
            service: METRIC_SERVICES.fanOut,
            statistic: 'Sum',
            period: FIVE_MINUTES,
            label,
          }),
        ),
      ],
      width: HALF,
      height: HEIGHT,
    }),
  );

  if (inputs.watchedFunctions.length > 0) {
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors (per 5 min)',
        left: inputs.watchedFunctions.map((watched) =>
          watched.function.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label: watched.name }),
        ),
        width: HALF,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda throttles (per 5 min)',
        left: inputs.watchedFunctions.map((watched) =>
          watched.function.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES, label: watched.name }),
        ),
        width: HALF,
        height: HEIGHT,
      }),
    );
  }
  return dashboard;
}

import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { parseAlarmDescription, parseAlarmName } from '../../functions/shared/alerts/alarm-identity.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { METRIC_SERVICES, METRICS } from '../../functions/shared/metrics-catalog.js';
import { type ConfigInput, parseConfig } from '../../infra/config.js';
import type { AlarmRouter } from '../../infra/constructs/alarms/project-alarm.js';
import { Monitoring, type MonitoringProps } from '../../infra/constructs/monitoring.js';
import { testApp } from '../support/app.js';
import { synthStack } from '../support/synth.js';

const env = { account: '123456789012', region: 'eu-central-1' };
const EVENT_TYPES: CampaignEventType[] = ['sent', 'bounce', 'spamcomplaint', 'open'];

type AlertsInput = NonNullable<ConfigInput['alerts']>;

/** A test stack with stand-ins for the pipeline's resources and a router that only records alarms. */
function build(alerts: AlertsInput = {}, overrides: Partial<MonitoringProps> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'MonitoringTest', { env });
  const config = parseConfig({ campaign: { clientIds: [1] }, eventTypes: EVENT_TYPES, alerts });
  const routed: cloudwatch.Alarm[] = [];
  const router: AlarmRouter = { routeAlarm: (alarm) => void routed.push(alarm) };
  const api = new apigateway.RestApi(stack, 'Api', { restApiName: 'campaign-webhooks' });
  api.root.addMethod('POST', new apigateway.MockIntegration());
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
  const ingest = fn('Ingest');
  const fanOut = fn('FanOut');
  const deadLetterQueue = new sqs.Queue(stack, 'FanOutDlq');
  const topics = new Map(EVENT_TYPES.map((type) => [type, new sns.Topic(stack, `Topic-${type}`)] as const));
  const monitoring = new Monitoring(stack, 'Monitoring', {
    router,
    metricsNamespace: config.metricsNamespace,
    eventTypes: config.eventTypes,
    thresholds: config.alerts.thresholds,
    dispatchSilence: config.alerts.dispatchSilence,
    apiStage: api.deploymentStage,
    fanOutFunction: fanOut,
    watchedFunctions: [
      { name: 'ingest', function: ingest, errorSeverity: 'critical' },
      { name: 'fan-out', function: fanOut },
    ],
    deadLetterQueues: [{ name: 'fan-out', queue: deadLetterQueue }],
    eventTopics: topics,
    ...overrides,
  });
  return { stack, monitoring, routed, api, template: Template.fromStack(stack) };
}

function alarmsByName(template: Template): Map<string, Record<string, unknown>> {
  const alarms = template.findResources('AWS::CloudWatch::Alarm');
  return new Map(
    Object.values(alarms).map((alarm) => [alarm.Properties.AlarmName as string, alarm.Properties]),
  );
}

function alarm(template: Template, name: string): Record<string, unknown> {
  const found = alarmsByName(template).get(`MonitoringTest-${name}`);
  if (!found) throw new Error(`no alarm MonitoringTest-${name}`);
  return found;
}

/** The metric queries of a metric-math alarm, by id. */
function queries(props: Record<string, unknown>): Map<string, Record<string, unknown>> {
  const metrics = props.Metrics as Array<Record<string, unknown>>;
  return new Map(metrics.map((query) => [query.Id as string, query]));
}

describe('monitoring alarms', () => {
  const { template, routed } = build();
  const alarms = alarmsByName(template);

  it('are the operational and business alarms, each named <prefix>-<severity>-<slug>', () => {
    expect([...alarms.keys()].sort()).toEqual(
      [
        'critical-dispatch-silence',
        'critical-dlq-fan-out',
        'critical-fan-out-events-held',
        'critical-fan-out-iterator-age',
        'critical-ingest-5xx-rate',
        'critical-lambda-errors-ingest',
        'warning-event-delay',
        'warning-event-topic-delivery-failures-bounce',
        'warning-event-topic-delivery-failures-open',
        'warning-event-topic-delivery-failures-sent',
        'warning-event-topic-delivery-failures-spamcomplaint',
        'warning-events-quarantined',
        'warning-hard-bounce-rate',
        'warning-ingest-4xx-rate',
        'warning-lambda-errors-fan-out',
        'warning-lambda-throttles-fan-out',
        'warning-lambda-throttles-ingest',
        'warning-publish-failures',
        'warning-spam-complaints',
      ]
        .map((name) => `MonitoringTest-${name}`)
        .sort(),
    );
    for (const name of alarms.keys()) expect(parseAlarmName(name)?.prefix).toBe('MonitoringTest');
  });

  it('each say what they mean and what to do first, and are routed to the alerting path', () => {
    for (const [name, props] of alarms) {
      const explanation = parseAlarmDescription(props.AlarmDescription as string);
      expect(explanation.title, name).toBeTruthy();
      expect(explanation.meaning, name).toBeTruthy();
      expect(explanation.firstAction, name).toBeTruthy();
    }
    expect(
      routed.map((routedAlarm) => (routedAlarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName).sort(),
    ).toEqual([...alarms.keys()].sort());
  });

  it('alarm on the ingest 5XX and 4XX rates as a percentage of API requests', () => {
    for (const [name, metricName, threshold] of [
      ['critical-ingest-5xx-rate', '5XXError', 1],
      ['warning-ingest-4xx-rate', '4XXError', 10],
    ] as const) {
      const props = alarm(template, name);
      expect(props).toMatchObject({ Threshold: threshold, ComparisonOperator: 'GreaterThanThreshold' });
      const byId = queries(props);
      expect(byId.get('expr_1')?.Expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
      expect(byId.get('errors')?.MetricStat).toMatchObject({
        Metric: {
          Namespace: 'AWS/ApiGateway',
          MetricName: metricName,
          Dimensions: [
            { Name: 'ApiName', Value: 'campaign-webhooks' },
            { Name: 'Stage', Value: { Ref: expect.stringMatching(/^ApiDeploymentStageprod/) } },
          ],
        },
        Stat: 'Sum',
        Period: 300,
      });
      expect(byId.get('requests')?.MetricStat).toMatchObject({
        Metric: { MetricName: 'Count' },
        Stat: 'Sum',
      });
    }
  });

  it('alarm on errors (severity per function) and throttles of every watched function', () => {
    expect(alarm(template, 'critical-lambda-errors-ingest')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarm(template, 'warning-lambda-throttles-fan-out')).toMatchObject({ MetricName: 'Throttles' });
  });

  it('alarm on the fan-out iterator age in milliseconds and on any fan-out dead-letter message', () => {
    expect(alarm(template, 'critical-fan-out-iterator-age')).toMatchObject({
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 300_000,
    });
    expect(alarm(template, 'critical-dlq-fan-out')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarm on any quarantined event and any publish failure, from the metrics catalog', () => {
    expect(alarm(template, 'warning-events-quarantined')).toMatchObject({
      Namespace: 'CampaignEvents',
      MetricName: METRICS.eventsQuarantined,
      Dimensions: [{ Name: 'service', Value: METRIC_SERVICES.ingest }],
      Statistic: 'Sum',
      Threshold: 0,
    });
    expect(alarm(template, 'warning-publish-failures')).toMatchObject({
      MetricName: METRICS.publishFailures,
      Dimensions: [{ Name: 'service', Value: METRIC_SERVICES.fanOut }],
    });
  });

  it('alarm critically as soon as the fan-out holds an event (SNS failing for about 20 hours)', () => {
    expect(alarm(template, 'critical-fan-out-events-held')).toMatchObject({
      MetricName: METRICS.eventsHeld,
      Dimensions: [{ Name: 'service', Value: METRIC_SERVICES.fanOut }],
      Statistic: 'Sum',
      Threshold: 0,
    });
  });

  it('alarm when an event topic fails deliveries to its subscribers', () => {
    expect(alarm(template, 'warning-event-topic-delivery-failures-bounce')).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Dimensions: [
        { Name: 'TopicName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^Topicbounce/), 'TopicName'] } },
      ],
    });
  });

  it('alarm on the p90 event delay over its threshold', () => {
    expect(alarm(template, 'warning-event-delay')).toMatchObject({
      MetricName: METRICS.eventDelay,
      Dimensions: [{ Name: 'service', Value: 'ingest' }],
      ExtendedStatistic: 'p90',
      Period: 900,
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarm on hard bounces per sent email in an hour, once enough mail was sent to judge', () => {
    const props = alarm(template, 'warning-hard-bounce-rate');
    expect(props).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' });
    const byId = queries(props);
    expect(byId.get('expr_1')?.Expression).toBe('IF(sent >= 100, 100 * hard / sent, 0)');
    expect(byId.get('hard')?.MetricStat).toMatchObject({
      Metric: { MetricName: METRICS.hardBounces, Dimensions: [{ Name: 'service', Value: 'ingest' }] },
      Period: 3600,
      Stat: 'Sum',
    });
    expect(byId.get('sent')?.MetricStat).toMatchObject({
      Metric: {
        MetricName: METRICS.eventsAccepted,
        Dimensions: [
          { Name: 'EventType', Value: 'sent' },
          { Name: 'service', Value: 'ingest' },
        ],
      },
    });
  });

  it('alarm on more spam complaints in an hour than allowed', () => {
    expect(alarm(template, 'warning-spam-complaints')).toMatchObject({
      MetricName: METRICS.spamComplaints,
      Period: 3600,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('take every threshold from the configuration', () => {
    const custom = build({
      thresholds: {
        ingest5xxRatePercent: 2.5,
        ingest4xxRatePercent: 25,
        fanOutIteratorAgeSeconds: 60,
        eventDelaySeconds: 120,
        hardBounceRatePercent: 3,
        hardBounceMinSentPerHour: 500,
        spamComplaintsPerHour: 4,
        lambdaErrorsPer5Minutes: 5,
      },
    }).template;
    expect(alarm(custom, 'critical-ingest-5xx-rate').Threshold).toBe(2.5);
    const ingest4xx = alarm(custom, 'warning-ingest-4xx-rate');
    expect(ingest4xx.Threshold).toBe(25);
    expect(parseAlarmDescription(ingest4xx.AlarmDescription as string).title).toBe(
      'Ingest API 4XX rate above 25%',
    );
    expect(alarm(custom, 'critical-fan-out-iterator-age').Threshold).toBe(60_000);
    expect(alarm(custom, 'warning-event-delay').Threshold).toBe(120);
    expect(alarm(custom, 'warning-hard-bounce-rate').Threshold).toBe(3);
    expect(queries(alarm(custom, 'warning-hard-bounce-rate')).get('expr_1')?.Expression).toContain(
      'sent >= 500',
    );
    expect(alarm(custom, 'warning-spam-complaints').Threshold).toBe(4);
    expect(alarm(custom, 'warning-lambda-errors-fan-out').Threshold).toBe(5);
  });
});

describe('dispatch-silence alarm', () => {
  it('by default fires when no sent event was accepted for 60 minutes, treating no data as silence', () => {
    expect(alarm(build().template, 'critical-dispatch-silence')).toMatchObject({
      Namespace: 'CampaignEvents',
      MetricName: METRICS.eventsAccepted,
      Dimensions: [
        { Name: 'EventType', Value: 'sent' },
        { Name: 'service', Value: 'ingest' },
      ],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('follows windowMinutes', () => {
    const props = alarm(
      build({ dispatchSilence: { windowMinutes: 15 } }).template,
      'critical-dispatch-silence',
    );
    expect(props).toMatchObject({ Period: 900, EvaluationPeriods: 1 });
  });

  it('during active hours only: counts silence per period inside the hours, 1 (not silent) outside', () => {
    const props = alarm(
      build({ dispatchSilence: { windowMinutes: 90, activeHoursUtc: { startHour: 7, endHour: 19 } } })
        .template,
      'critical-dispatch-silence',
    );
    expect(props).toMatchObject({
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    const byId = queries(props);
    expect(byId.get('expr_1')?.Expression).toBe('IF((HOUR(sent) >= 7 AND HOUR(sent) < 19), sent, 1)');
    expect(byId.get('sent')?.MetricStat).toMatchObject({ Period: 1800, Stat: 'Sum' });
  });

  it('handles active hours across midnight', () => {
    const props = alarm(
      build({ dispatchSilence: { windowMinutes: 60, activeHoursUtc: { startHour: 22, endHour: 6 } } })
        .template,
      'critical-dispatch-silence',
    );
    expect(queries(props).get('expr_1')?.Expression).toBe(
      'IF((HOUR(sent) >= 22 OR HOUR(sent) < 6), sent, 1)',
    );
    expect(props.EvaluationPeriods).toBe(1);
  });

  it('rejects an empty active window at synth time', () => {
    // parseConfig refuses it first (test/unit/config.test.ts); the construct guards its own props too.
    const dispatchSilence = { windowMinutes: 60, activeHoursUtc: { startHour: 9, endHour: 9 } };
    expect(() => build({}, { dispatchSilence })).toThrow(
      /startHour = endHour = 9, an empty window; use "always"/,
    );
  });

  it('is left out, with a warning, when sent events are not received', () => {
    const { stack, template } = build({}, { eventTypes: ['open'], eventTopics: new Map() });
    const names = [...alarmsByName(template).keys()];
    expect(names.some((name) => name.includes('dispatch-silence') || name.includes('hard-bounce'))).toBe(
      false,
    );
    expect(names.some((name) => name.includes('spam-complaints'))).toBe(false);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('eventTypes has no "sent"'));
  });
});

describe('monitoring props', () => {
  const config = parseConfig({ campaign: { clientIds: [1] }, eventTypes: ['open'] });
  const minimal = (): MonitoringProps => ({
    router: { routeAlarm: () => undefined },
    metricsNamespace: 'CampaignEvents',
    eventTypes: config.eventTypes,
    thresholds: config.alerts.thresholds,
    dispatchSilence: config.alerts.dispatchSilence,
  });
  const bareStack = () => new Stack(testApp(), 'Bad', { env });

  it('reject the same watched function name twice and names that are not kebab-case', () => {
    const stack = bareStack();
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    const twice = [
      { name: 'ingest', function: fn },
      { name: 'ingest', function: fn },
    ];
    expect(() => new Monitoring(stack, 'Twice', { ...minimal(), watchedFunctions: twice })).toThrow(
      /watchedFunctions lists "ingest" twice/,
    );
    const camel = [{ name: 'fanOut', function: fn }];
    expect(() => new Monitoring(stack, 'Camel', { ...minimal(), watchedFunctions: camel })).toThrow(
      /"fanOut" must be kebab-case/,
    );
  });

  it('reject an event topic for a type that is not received', () => {
    const stack = bareStack();
    const eventTopics = new Map([['sent' as const, new sns.Topic(stack, 'T')]]);
    expect(() => new Monitoring(stack, 'M', { ...minimal(), eventTopics })).toThrow(
      /topic for "sent", which is not in eventTypes/,
    );
  });
});

describe('operations dashboard', () => {
  const { template, stack, monitoring } = build();
  const body = JSON.stringify(
    stack.resolve(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody,
    ),
  );

  it('is named after the prefix, with its console URL exposed', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'MonitoringTest-operations',
    });
    expect(stack.resolve(monitoring.dashboardUrl)).toEqual({
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: 'AWS::Region' },
          '.console.aws.amazon.com/cloudwatch/home?region=',
          { Ref: 'AWS::Region' },
          '#dashboards:name=MonitoringTest-operations',
        ],
      ],
    });
  });

  it('shows the state of every alarm', () => {
    expect(body).toContain('"type\\":\\"alarm\\"');
    expect(body).toContain('Alarm states');
    for (const created of monitoring.alarms) {
      expect(body).toContain(stack.getLogicalId(created.node.defaultChild as never));
    }
  });

  it('graphs events received per type, accepted vs quarantined, latency p50/p99, lag, DLQs, bounces and complaints', () => {
    for (const title of [
      'Events received per type',
      'Accepted vs quarantined events',
      'Ingest API latency',
      'Lag: fan-out iterator age and event delay',
      'Dead-letter queues',
      'Bounce and complaint rates',
    ]) {
      expect(body).toContain(title);
    }
    for (const eventType of EVENT_TYPES) {
      expect(body).toContain(
        `[\\"CampaignEvents\\",\\"EventsReceived\\",\\"EventType\\",\\"${eventType}\\",\\"service\\",\\"ingest\\"`,
      );
    }
    expect(body).toContain('\\"stat\\":\\"p50\\"');
    expect(body).toContain('\\"stat\\":\\"p99\\"');
    expect(body).toContain('IteratorAge');
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    expect(body).toContain('100 * hard / sent');
    expect(body).toContain(METRICS.spamComplaints);
  });
});

describe('the stack', () => {
  const { stack, template } = synthStack();

  it('outputs the alerts topic ARN and the dashboard URL', () => {
    template.hasOutput('AlertsTopicArn', {
      Value: { Ref: stack.getLogicalId(stack.events.alerting.alertsTopic.node.defaultChild as never) },
    });
    template.hasOutput('DashboardUrl', { Value: stack.resolve(stack.events.monitoring.dashboardUrl) });
  });

  it('watches every project function and the fan-out dead-letter queue', () => {
    const names = [...alarmsByName(template).keys()];
    for (const expected of [
      'TestStack-critical-lambda-errors-ingest',
      'TestStack-warning-lambda-errors-fan-out',
      'TestStack-critical-dlq-fan-out',
      'TestStack-critical-alarm-formatter-errors',
    ]) {
      expect(names).toContain(expected);
    }
  });

  it('routes every alarm to the alerting path', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    for (const [id, resource] of Object.entries(alarms)) {
      expect((resource.Properties.AlarmActions as unknown[]).length, id).toBeGreaterThan(0);
      expect(resource.Properties.OKActions, id).toEqual(resource.Properties.AlarmActions);
    }
    // The monitoring alarms notify Alerting's alarm topic, whose formatter builds the alerts.
    const alarmTopic = {
      Ref: stack.getLogicalId(stack.events.alerting.alarmTopic.node.defaultChild as never),
    };
    expect(stack.events.monitoring.alarms.length).toBeGreaterThan(0);
    for (const created of stack.events.monitoring.alarms) {
      const props = alarms[stack.getLogicalId(created.node.defaultChild as never)]?.Properties;
      expect(props?.AlarmActions, props?.AlarmName).toEqual([alarmTopic]);
    }
  });
});

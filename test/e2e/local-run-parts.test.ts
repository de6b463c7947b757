import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../infra/config.js';
import { startCampaignSimulator } from '../../local/campaign-simulator/server.js';
import { LocalResources, UnresolvableError } from '../../local/pipeline/intrinsics.js';
import { compileFilterCriteria, FilterSyntaxError } from '../../local/pipeline/lambda-event-filter.js';
import { functionOutputStream, type LogRecord, parseEmf } from '../../local/pipeline/log-sink.js';
import { type MetricDatum, MetricStore } from '../../local/pipeline/metric-store.js';
import { buildStackModel } from '../../local/pipeline/stack-model.js';
import { LOCAL_EVALUATION_NOTE, LocalAlarms } from '../../local/run/alarms.js';
import { compileExpression, UnsupportedExpressionError } from '../../local/run/metric-math.js';
import { OptionsError, parseCliOptions } from '../../local/run/options.js';
import {
  plannedRedeliveries,
  plannedRounds,
  TrafficGenerator,
  type TrafficOptions,
} from '../../local/run/traffic.js';
import { describeTraffic } from '../../local/run/view.js';

/** The pieces of the local run that decide something on their own: options, filters, metrics, alarms. */

describe('npm start options', () => {
  it('gives the defaults when nothing is passed', () => {
    expect(parseCliOptions([])).toEqual({ help: false, verbose: false, run: { traffic: {}, ports: {} } });
  });

  it('reads traffic, services and output options', () => {
    const options = parseCliOptions([
      '--rate=5',
      '--batch-size',
      '7',
      '--events',
      '100',
      '--types',
      'sent,bounce',
      '--invalid-ratio',
      '0.5',
      '--redeliveries',
      '0',
      '--data-dir',
      '/tmp/ddb',
      '--port',
      '8080',
      '--dynamodb-port',
      '8000',
      '--alarm-interval',
      '10',
      '--verbose',
    ]);
    expect(options).toEqual({
      help: false,
      verbose: true,
      run: {
        traffic: {
          rate: 5,
          batchSize: 7,
          events: 100,
          invalidRatio: 0.5,
          redeliveries: 0,
          mix: [
            ['sent', 1],
            ['bounce', 1],
          ],
        },
        ports: { endpoint: 8080, dynamodb: 8000 },
        dataDir: '/tmp/ddb',
        alarmIntervalMs: 10_000,
      },
    });
  });

  it('reads a weighted mix, the service ports, and no traffic', () => {
    expect(parseCliOptions(['--mix', 'sent=5,open=2.5']).run.traffic).toEqual({
      mix: [
        ['sent', 5],
        ['open', 2.5],
      ],
    });
    expect(
      parseCliOptions(['--sqs-port', '9324', '--s3-port', '4568', '--secrets-port', '4584']).run.ports,
    ).toEqual({ sqs: 9324, s3: 4568, secretsManager: 4584 });
    expect(parseCliOptions(['--no-traffic']).run.traffic).toBe(false);
  });

  it.each([
    [['--rate', 'fast'], '--rate must be a whole number from 0 to 100000, got "fast"'],
    [['--port', '70000'], '--port must be a whole number from 1 to 65535, got "70000"'],
    [['--invalid-ratio', '2'], '--invalid-ratio must be a number from 0 to 1, got "2"'],
    [['--types', 'sent,teleport'], '--types: "teleport" is not a Campaign event type'],
    [['--mix', 'sent:5'], '--mix: "sent:5" is not type=weight (e.g. bounce=20)'],
    [['--mix', 'sent=0'], '--mix: at least one weight must be above 0'],
    [['--types', 'sent', '--mix', 'sent=1'], 'Give either --types or --mix, not both'],
    [['--no-traffic', '--rate', '5'], '--no-traffic cannot be combined with --rate'],
    [['--localstack', 'http://localhost:4566'], "Unknown option '--localstack'"],
    [['--speed', '3'], "Unknown option '--speed'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliOptions(argv)).toThrow(OptionsError);
    expect(() => parseCliOptions(argv)).toThrow(message);
  });
});

describe('simulated traffic: redeliveries', () => {
  const traffic = (options: Partial<TrafficOptions>): TrafficOptions => ({
    rate: 0,
    batchSize: 20,
    mix: [['open', 1]],
    invalidRatio: 0.03,
    redeliveries: 1,
    seed: 1,
    ...options,
  });

  it('says at start-up only the redeliveries the rounds of the run hold', () => {
    expect(describeTraffic(traffic({ events: 20 }))).toBe(
      '20 events, as fast as the pipeline takes them, 20 per round, 3% invalid, 0 redelivered batch(es) ' +
        '(1 asked, but redeliveries come in round 3, then every 10th round, and 20 events make 1 round)',
    );
    expect(describeTraffic(traffic({ events: 60 }))).toMatch(/, 1 redelivered batch\(es\)$/);
    expect(describeTraffic(traffic({ events: 300, redeliveries: 3 }))).toMatch(
      /, 2 redelivered batch\(es\) \(3 asked, .* and 300 events make 15 rounds\)$/,
    );
    expect(describeTraffic(traffic({ events: 40, durationSeconds: 5 }))).toMatch(
      /, at most 0 redelivered batch\(es\) \(1 asked, /,
    );
    expect(describeTraffic(traffic({ rate: 20 }))).toBe(
      'until stopped, 20 events/s, 20 per round, 3% invalid, 1 redelivered batch(es)',
    );
  });

  it.each([
    [20, 1],
    [60, 1],
    [300, 3],
    [500, 5],
  ])('redelivers as many batches as planned (%i events, %i asked)', async (events, redeliveries) => {
    // No webhooks registered: every POST goes nowhere, and the traffic's own bookkeeping is what counts.
    const simulator = await startCampaignSimulator({ users: [{ username: 'u', password: 'p' }] });
    try {
      const options = traffic({ events, redeliveries });
      const generator = new TrafficGenerator(simulator, [1], options, () => undefined);
      generator.start();
      await generator.done;
      expect(generator.stats.rounds).toBe(plannedRounds(options));
      expect(generator.stats.redeliveredBatches).toBe(plannedRedeliveries(options).count);
    } finally {
      await simulator.close();
    }
  });
});

describe('stream filter criteria (Lambda event filtering)', () => {
  const stackPattern = '{"eventName":["INSERT"],"dynamodb":{"NewImage":{"status":{"S":["accepted"]}}}}';
  const record = (eventName: string, status?: string) => ({
    eventName,
    dynamodb: status === undefined ? {} : { NewImage: { status: { S: status } } },
  });

  it("passes only INSERTs of accepted items with the stack's pattern", () => {
    const passes = compileFilterCriteria([stackPattern]);
    expect(passes(record('INSERT', 'accepted'))).toBe(true);
    expect(passes(record('INSERT', 'quarantined'))).toBe(false);
    expect(passes(record('MODIFY', 'accepted'))).toBe(false);
    expect(passes(record('REMOVE'))).toBe(false);
  });

  it('supports prefix, anything-but, numeric and exists rules, and ORs patterns', () => {
    const passes = compileFilterCriteria([
      { a: [{ prefix: 'ab' }], n: [{ numeric: ['>', 1, '<=', 5] }] },
      { b: [{ 'anything-but': ['x', 'y'] }], c: [{ exists: false }] },
    ]);
    expect(passes({ a: 'abc', n: 5 })).toBe(true);
    expect(passes({ a: 'abc', n: 6 })).toBe(false);
    expect(passes({ b: 'z' })).toBe(true);
    expect(passes({ b: 'x' })).toBe(false);
    expect(passes({ b: 'z', c: 1 })).toBe(false);
  });

  it('refuses rules it does not evaluate instead of ignoring them', () => {
    expect(() => compileFilterCriteria([{ a: [{ wildcard: 'a*' }] }])).toThrow(FilterSyntaxError);
    expect(() => compileFilterCriteria(['not json'])).toThrow('Filter pattern 0 is not JSON');
  });
});

describe('metric math', () => {
  it("evaluates the stack's rate expressions, with missing data and division by zero as missing", () => {
    const rate = compileExpression('IF(sent >= 100, 100 * hard / sent, 0)');
    expect(rate.ids.sort()).toEqual(['hard', 'sent']);
    expect(rate.evaluate({ sent: 200, hard: 11 })).toBe(5.5);
    expect(rate.evaluate({ sent: 99, hard: 50 })).toBe(0);
    expect(rate.evaluate({ sent: undefined, hard: 1 })).toBeUndefined();
    expect(compileExpression('a / b').evaluate({ a: 1, b: 0 })).toBeUndefined();
    expect(compileExpression('-a + 2 * (b - 1) AND c').evaluate({ a: 1, b: 2, c: 1 })).toBe(1);
  });

  it('refuses functions it does not evaluate', () => {
    expect(() => compileExpression('IF(HOUR(sent) >= 7, sent, 1)')).toThrow(UnsupportedExpressionError);
  });
});

describe('metric store', () => {
  const datum = (dimensions: Record<string, string>, values: number[], timestamp = 1000): MetricDatum => ({
    namespace: 'CampaignEvents',
    name: 'EventDelay',
    dimensions,
    timestamp,
    values,
  });

  it('computes statistics of the exact series over a window', () => {
    const store = new MetricStore();
    store.put(datum({ service: 'ingest' }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    store.put(datum({ service: 'ingest' }, [100], 5000));
    const metric = { namespace: 'CampaignEvents', name: 'EventDelay', dimensions: { service: 'ingest' } };
    expect(store.statistic(metric, 'Sum', 0, 2000)).toEqual({ value: 55 });
    expect(store.statistic(metric, 'p90', 0, 2000)).toEqual({ value: 9 });
    expect(store.statistic(metric, 'Maximum', 0, 6000)).toEqual({ value: 100 });
    expect(store.statistic(metric, 'SampleCount', 2000, 4000)).toEqual({ value: undefined });
  });

  it('combines the narrower series, and says so, only when the exact series was never emitted', () => {
    const store = new MetricStore();
    store.put(datum({ service: 'ingest', EventType: 'open' }, [10]));
    store.put(datum({ service: 'ingest', EventType: 'sent' }, [30]));
    const total = { namespace: 'CampaignEvents', name: 'EventDelay', dimensions: { service: 'ingest' } };
    expect(store.statistic(total, 'Maximum', 0, 2000)).toEqual({ value: 30, combinedSeries: 2 });
    store.put(datum({ service: 'ingest' }, [20]));
    expect(store.statistic(total, 'Maximum', 0, 2000)).toEqual({ value: 20 });
  });
});

describe('log sink (CloudWatch Logs stand-in)', () => {
  it('turns EMF documents into datapoints and other lines into log records, across chunks', async () => {
    const logs: LogRecord[] = [];
    const data: MetricDatum[] = [];
    const stream = functionOutputStream('fn', { onLog: (r) => logs.push(r), onMetric: (d) => data.push(d) });
    const emf = JSON.stringify({
      _aws: {
        Timestamp: 1234,
        CloudWatchMetrics: [
          {
            Namespace: 'CampaignEvents',
            Dimensions: [['service', 'EventType']],
            Metrics: [{ Name: 'EventsAccepted', Unit: 'Count' }],
          },
        ],
      },
      service: 'ingest',
      EventType: 'sent',
      EventsAccepted: [2, 3],
    });
    const log = JSON.stringify({ level: 'WARN', message: 'Events quarantined', service: 'ingest' });
    await new Promise<void>((resolve) => stream.write(`${emf}\n${log.slice(0, 10)}`, () => resolve()));
    await new Promise<void>((resolve) => stream.write(`${log.slice(10)}\nplain text\n`, () => resolve()));
    expect(data).toEqual([
      {
        namespace: 'CampaignEvents',
        name: 'EventsAccepted',
        dimensions: { service: 'ingest', EventType: 'sent' },
        timestamp: 1234,
        values: [2, 3],
      },
    ]);
    expect(logs.map(({ level, message }) => ({ level, message }))).toEqual([
      { level: 'WARN', message: 'Events quarantined' },
      { level: 'RAW', message: 'plain text' },
    ]);
    expect(parseEmf({ level: 'INFO' })).toBeUndefined();
  });
});

describe('intrinsic functions against the local resources', () => {
  const resources = new LocalResources({ region: 'eu-central-1', accountId: '000000000000', stackName: 'S' });
  resources.define('Table', 'S-events', { StreamArn: 'arn:stream' });

  it('resolves Ref, Fn::GetAtt, Fn::Join and pseudo parameters deeply', () => {
    expect(
      resources.resolve({
        a: { Ref: 'Table' },
        b: [{ 'Fn::GetAtt': ['Table', 'StreamArn'] }],
        c: { 'Fn::Join': ['-', [{ Ref: 'AWS::Region' }, { Ref: 'Table' }]] },
      }),
    ).toEqual({ a: 'S-events', b: ['arn:stream'], c: 'eu-central-1-S-events' });
  });

  it('names what the local run does not provide', () => {
    expect(() => resources.resolve({ Ref: 'Queue' }, 'x')).toThrow(UnresolvableError);
    expect(() => resources.resolve({ Ref: 'Queue' }, 'x')).toThrow(
      'x refers to Queue, which the local run does not provide',
    );
    expect(() => resources.resolve({ 'Fn::ImportValue': 'y' }, 'x')).toThrow('uses Fn::ImportValue');
  });
});

describe('local alarms', () => {
  const startedAt = 1_000_000;
  const alarmTopic = 'arn:aws:sns:eu-central-1:000000000000:S-alarms';
  const resources = new LocalResources({ region: 'eu-central-1', accountId: '000000000000', stackName: 'S' });
  resources.define('AlarmTopic', alarmTopic);
  const quarantined = {
    logicalId: 'Quarantined',
    properties: {
      AlarmName: 'S-warning-events-quarantined',
      AlarmDescription: 'Events quarantined\nMeaning: m\nFirst action: f',
      Namespace: 'CampaignEvents',
      MetricName: 'EventsQuarantined',
      Dimensions: [{ Name: 'service', Value: 'ingest' }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
      OKActions: [{ Ref: 'AlarmTopic' }],
    },
  };
  const put = (store: MetricStore, timestamp: number, value: number) =>
    store.put({
      namespace: 'CampaignEvents',
      name: 'EventsQuarantined',
      dimensions: { service: 'ingest' },
      timestamp,
      values: [value],
    });

  it('raises an alarm from the metrics with the notification CloudWatch sends, and resolves it', () => {
    const alarms = new LocalAlarms([quarantined], resources, {
      region: 'eu-central-1',
      accountId: '000000000000',
      startedAt,
    });
    const store = new MetricStore();
    expect(alarms.evaluate(store, startedAt + 1000)).toEqual([]);
    put(store, startedAt + 2000, 0);
    expect(alarms.evaluate(store, startedAt + 3000)).toEqual([]);
    put(store, startedAt + 4000, 3);
    const [raised] = alarms.evaluate(store, startedAt + 5000);
    expect(raised?.topics).toEqual([alarmTopic]);
    expect(raised?.notification).toMatchObject({
      AlarmName: 'S-warning-events-quarantined',
      AlarmDescription: 'Events quarantined\nMeaning: m\nFirst action: f',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      Region: 'EU (Frankfurt)',
      AlarmArn: 'arn:aws:cloudwatch:eu-central-1:000000000000:alarm:S-warning-events-quarantined',
    });
    expect(raised?.notification.NewStateReason).toMatch(
      /^Threshold Crossed: 1 out of the last 1 datapoints \[3\.0 \(.+\)\] was greater than the threshold \(0\.0\)/,
    );
    expect(raised?.notification.NewStateReason).toContain(LOCAL_EVALUATION_NOTE);
    expect(alarms.evaluate(store, startedAt + 6000)).toEqual([]);
    // Five minutes later the quarantined events are out of the period: back to OK.
    const [resolved] = alarms.evaluate(store, startedAt + 4000 + 300_001);
    expect(resolved?.notification).toMatchObject({ NewStateValue: 'OK', OldStateValue: 'ALARM' });
  });

  it('keeps a new state for a minute, as CloudWatch evaluates once a minute', () => {
    const fast = { logicalId: 'Fast', properties: { ...quarantined.properties, Period: 10 } };
    const alarms = new LocalAlarms([fast], resources, {
      region: 'eu-central-1',
      accountId: '000000000000',
      startedAt,
    });
    const store = new MetricStore();
    put(store, startedAt + 1000, 2);
    expect(alarms.evaluate(store, startedAt + 2000).map((t) => t.alarm.state)).toEqual(['ALARM']);
    put(store, startedAt + 20_000, 0);
    expect(alarms.evaluate(store, startedAt + 25_000)).toEqual([]);
    expect(alarms.evaluate(store, startedAt + 62_000).map((t) => t.alarm.state)).toEqual(['OK']);
  });

  it('counts missing data as breaching only for periods the local run has seen whole', () => {
    const silence = {
      logicalId: 'Silence',
      properties: {
        ...quarantined.properties,
        AlarmName: 'S-critical-dispatch-silence',
        TreatMissingData: 'breaching',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        Period: 3600,
      },
    };
    const alarms = new LocalAlarms([silence], resources, {
      region: 'eu-central-1',
      accountId: '000000000000',
      startedAt,
    });
    const store = new MetricStore();
    expect(alarms.evaluate(store, startedAt + 3_599_000)).toEqual([]);
    expect(alarms.evaluate(store, startedAt + 3_600_000).map((t) => t.alarm.state)).toEqual(['ALARM']);
  });

  it('lists the alarms it cannot evaluate, with the reason', () => {
    const unknownRef = {
      logicalId: 'Dlq',
      properties: {
        ...quarantined.properties,
        AlarmName: 'S-dlq',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['Queue', 'QueueName'] } }],
      },
    };
    const hourly = {
      logicalId: 'Hours',
      properties: {
        ...quarantined.properties,
        AlarmName: 'S-hours',
        MetricName: undefined,
        Metrics: [{ Id: 'e', Expression: 'IF(HOUR(m) > 7, m, 1)', ReturnData: true }],
      },
    };
    const alarms = new LocalAlarms([unknownRef, hourly], resources, {
      region: 'eu-central-1',
      accountId: '000000000000',
      startedAt,
    });
    expect(alarms.alarms).toEqual([]);
    expect(alarms.skipped.map((skipped) => skipped.name)).toEqual(['S-dlq', 'S-hours']);
    expect(alarms.skipped[0]?.reason).toContain('Queue.QueueName, which the local run does not provide');
    expect(alarms.skipped[1]?.reason).toContain('HOUR() is not evaluated locally');
  });
});

describe('stack model', () => {
  it("reads the stack's own wiring: functions, their environment, the stream mapping and the alarms", () => {
    const model = buildStackModel(
      parseConfig({
        campaign: { clientIds: [100001, 100002] },
        eventTypes: ['sent', 'bounce'],
        alerts: { slackWebhookSecretName: 'slack' },
      }),
      { region: 'eu-central-1', accountId: '000000000000' },
    );
    expect([...model.functions.keys()]).toEqual([
      'ingest',
      'fanOut',
      'alarmFormatter',
      'slackNotifier',
      'webhookReconciler',
    ]);
    expect(model.functions.get('ingest')?.environment).toMatchObject({
      AUTH_HEADER_NAME: 'X-Campaign-Webhook-Key',
      EVENT_TYPES: 'sent,bounce',
      TABLE_NAME: { Ref: model.tableLogicalId },
    });
    expect(model.functions.get('ingest')?.timeoutSeconds).toBe(28);
    expect(model.fanOutMapping).toMatchObject({
      functionKey: 'fanOut',
      source: { kind: 'table-stream', logicalId: model.tableLogicalId },
      onFailureQueueLogicalId: model.fanOutDeadLetterQueueLogicalId,
      filterPatterns: ['{"eventName":["INSERT"],"dynamodb":{"NewImage":{"status":{"S":["accepted"]}}}}'],
      batchSize: 100,
      maximumRetryAttempts: -1,
      maximumRecordAgeSeconds: 22 * 3600,
      bisectBatchOnError: false,
      reportBatchItemFailures: true,
      startingPosition: 'TRIM_HORIZON',
    });
    // The held-events queue feeds the same function.
    expect(
      model.eventSourceMappings
        .filter((mapping) => mapping.functionKey === 'fanOut')
        .map((mapping) => mapping.source.kind),
    ).toEqual(expect.arrayContaining(['table-stream', 'queue']));
    expect(model.eventTopics.map((topic) => topic.name)).toEqual([
      'CampaignEvents-sent',
      'CampaignEvents-bounce',
    ]);
    expect(model.webhookResources.map((resource) => resource.properties.clientId)).toEqual([
      '100001',
      '100002',
    ]);
    expect(model.stageName).toBe('prod');
    expect(model.alarms.map((alarm) => alarm.properties.AlarmName)).toContain(
      'CampaignEvents-warning-events-quarantined',
    );
  });
});

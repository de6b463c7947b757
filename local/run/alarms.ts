import type { LocalResources } from '../pipeline/intrinsics.js';
import { computeStatistic, type MetricIdentity, type MetricStore } from '../pipeline/metric-store.js';
import type { ResourceModel } from '../pipeline/stack-model.js';
import { compileExpression, type MathValue } from './metric-math.js';

/**
 * The stack's CloudWatch alarms, evaluated locally (there is no CloudWatch here) against the metrics the
 * local run has: the handlers' own EMF metrics and the service metrics the local stand-ins observe. On a
 * state change the alarm's notification, as CloudWatch sends it, goes to the alarm's actions (SNS topics).
 *
 * Differences from CloudWatch, on purpose: periods are trailing windows ending now (CloudWatch aligns them
 * to the clock) so a local run reacts at once; an alarm starts in OK, not INSUFFICIENT_DATA; and missing
 * data in a period that began before the run started is unknown, not breaching (no history here). As in
 * CloudWatch, which evaluates an alarm once a minute, an alarm keeps a new state for at least a minute
 * however often the local run evaluates it (so a rate hovering at its threshold does not flood the alerts).
 */

export type AlarmState = 'OK' | 'ALARM';

interface MetricInput {
  readonly id: string;
  readonly metric: MetricIdentity;
  readonly statistic: string;
  readonly periodSeconds: number;
}

export interface LocalAlarm {
  readonly logicalId: string;
  readonly name: string;
  readonly description: string;
  readonly threshold: number;
  readonly comparisonOperator: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: string;
  readonly alarmActions: readonly string[];
  readonly okActions: readonly string[];
  state: AlarmState;
  /** When the state last changed (epoch milliseconds). */
  changedAt?: number;
  /** Why the value is not exactly what CloudWatch would compute, when that is so. */
  note?: string;
}

export interface SkippedAlarm {
  readonly name: string;
  readonly reason: string;
}

export interface AlarmTransition {
  readonly alarm: LocalAlarm;
  readonly oldState: AlarmState;
  /** The JSON CloudWatch publishes to the alarm's SNS actions. */
  readonly notification: Record<string, unknown>;
  readonly topics: readonly string[];
}

const COMPARISONS: Record<string, { test: (value: number, threshold: number) => boolean; words: string }> = {
  GreaterThanThreshold: { test: (v, t) => v > t, words: 'greater than' },
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, words: 'greater than or equal to' },
  LessThanThreshold: { test: (v, t) => v < t, words: 'less than' },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, words: 'less than or equal to' },
};

const REGION_NAMES: Record<string, string> = {
  'eu-central-1': 'EU (Frankfurt)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-north-1': 'EU (Stockholm)',
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-2': 'US West (Oregon)',
};

/** Marks every locally evaluated notification, so no reader takes it for CloudWatch's. */
export const LOCAL_EVALUATION_NOTE = '[evaluated locally by npm start: there is no CloudWatch here]';

interface CompiledAlarm {
  readonly alarm: LocalAlarm;
  readonly value: (store: MetricStore, from: number, to: number) => { value: MathValue; combined: boolean };
}

export class LocalAlarms {
  readonly alarms: LocalAlarm[] = [];
  readonly skipped: SkippedAlarm[] = [];
  private readonly compiled: CompiledAlarm[] = [];

  constructor(
    models: readonly ResourceModel[],
    resources: LocalResources,
    private readonly opts: {
      region: string;
      accountId: string;
      startedAt: number;
      /** @default 60_000 (CloudWatch's evaluation interval) */
      minimumStateMs?: number;
    },
  ) {
    for (const model of models) {
      const name = String(model.properties.AlarmName ?? model.logicalId);
      try {
        const compiled = compileAlarm(model, resources);
        this.compiled.push(compiled);
        this.alarms.push(compiled.alarm);
      } catch (error) {
        this.skipped.push({ name, reason: (error as Error).message });
      }
    }
  }

  /** Evaluates every alarm at `now`; returns the alarms whose state changed, with their notifications. */
  evaluate(store: MetricStore, now = Date.now()): AlarmTransition[] {
    const transitions: AlarmTransition[] = [];
    const minimumStateMs = this.opts.minimumStateMs ?? 60_000;
    for (const { alarm, value } of this.compiled) {
      if (alarm.changedAt !== undefined && now - alarm.changedAt < minimumStateMs) continue;
      const comparison = COMPARISONS[alarm.comparisonOperator] as (typeof COMPARISONS)[string];
      const periodMs = alarm.periodSeconds * 1000;
      const datapoints: Array<{ value: number; end: number }> = [];
      let breaching = 0;
      let evaluated = 0;
      let combined = false;
      for (let k = 0; k < alarm.evaluationPeriods; k++) {
        const to = now - k * periodMs;
        const from = to - periodMs;
        const result = value(store, from, to);
        combined ||= result.combined;
        if (result.value === undefined) {
          if (from < this.opts.startedAt) continue; // no local history for that period
          if (alarm.treatMissingData === 'breaching') breaching++;
          if (alarm.treatMissingData === 'breaching' || alarm.treatMissingData === 'notBreaching')
            evaluated++;
          continue;
        }
        evaluated++;
        datapoints.push({ value: result.value, end: to });
        if (comparison.test(result.value, alarm.threshold)) breaching++;
      }
      if (combined && alarm.note === undefined) {
        alarm.note =
          'computed from the per-EventType series: the function does not emit the total series this alarm reads yet, so in AWS it would not fire';
      }
      if (evaluated === 0) continue;
      const next: AlarmState = breaching >= alarm.datapointsToAlarm ? 'ALARM' : 'OK';
      if (next === alarm.state) continue;
      const oldState = alarm.state;
      alarm.state = next;
      alarm.changedAt = now;
      const reason = stateReason(alarm, next, datapoints, breaching);
      transitions.push({
        alarm,
        oldState,
        notification: this.notification(alarm, oldState, reason, now),
        topics: next === 'ALARM' ? alarm.alarmActions : alarm.okActions,
      });
    }
    return transitions;
  }

  private notification(alarm: LocalAlarm, oldState: AlarmState, reason: string, now: number) {
    const { region, accountId } = this.opts;
    return {
      AlarmName: alarm.name,
      AlarmDescription: alarm.description,
      AWSAccountId: accountId,
      AlarmConfigurationUpdatedTimestamp: cloudWatchTime(this.opts.startedAt),
      NewStateValue: alarm.state,
      NewStateReason: `${reason} ${LOCAL_EVALUATION_NOTE}`,
      StateChangeTime: cloudWatchTime(now),
      Region: REGION_NAMES[region] ?? region,
      AlarmArn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${alarm.name}`,
      OldStateValue: oldState,
      OKActions: alarm.okActions,
      AlarmActions: alarm.alarmActions,
      InsufficientDataActions: [],
      Trigger: {
        Period: alarm.periodSeconds,
        EvaluationPeriods: alarm.evaluationPeriods,
        ComparisonOperator: alarm.comparisonOperator,
        Threshold: alarm.threshold,
        TreatMissingData: alarm.treatMissingData,
      },
    };
  }

  /** The subject CloudWatch gives the SNS message (at most 100 characters). */
  static subject(transition: AlarmTransition, region: string): string {
    const subject = `${transition.alarm.state}: "${transition.alarm.name}" in ${REGION_NAMES[region] ?? region}`;
    return subject.length <= 100 ? subject : `${subject.slice(0, 97)}...`;
  }
}

function compileAlarm(model: ResourceModel, resources: LocalResources): CompiledAlarm {
  const props = resources.resolve(model.properties, String(model.properties.AlarmName)) as Record<
    string,
    unknown
  >;
  const comparisonOperator = String(props.ComparisonOperator);
  if (COMPARISONS[comparisonOperator] === undefined) {
    throw new Error(`comparison ${comparisonOperator} is not evaluated locally`);
  }
  const evaluationPeriods = Number(props.EvaluationPeriods ?? 1);
  const { value, periodSeconds } = compileAlarmValue(props);
  return {
    alarm: {
      logicalId: model.logicalId,
      name: String(props.AlarmName),
      description: String(props.AlarmDescription ?? ''),
      threshold: Number(props.Threshold),
      comparisonOperator,
      periodSeconds,
      evaluationPeriods,
      datapointsToAlarm: Number(props.DatapointsToAlarm ?? evaluationPeriods),
      treatMissingData: String(props.TreatMissingData ?? 'missing'),
      alarmActions: (props.AlarmActions as string[] | undefined) ?? [],
      okActions: (props.OKActions as string[] | undefined) ?? [],
      state: 'OK',
    },
    value,
  };
}

interface CompiledValue {
  readonly value: CompiledAlarm['value'];
  readonly periodSeconds: number;
}

/** What the alarm compares: one metric's statistic, or a metric math expression over several. */
function compileAlarmValue(props: Record<string, unknown>): CompiledValue {
  if (typeof props.MetricName === 'string') return compileMetricValue(props);
  if (Array.isArray(props.Metrics)) return compileMathValue(props.Metrics as Array<Record<string, unknown>>);
  throw new Error('an alarm without a metric is not evaluated locally');
}

function compileMetricValue(props: Record<string, unknown>): CompiledValue {
  const input: MetricInput = {
    id: 'm',
    metric: identityOf(props),
    statistic: String(props.ExtendedStatistic ?? props.Statistic ?? 'Average'),
    periodSeconds: Number(props.Period ?? 60),
  };
  computeStatistic(input.statistic, [1]); // refuses an unsupported statistic now, not at evaluation
  return {
    periodSeconds: input.periodSeconds,
    value: (store, from, to) => {
      const result = store.statistic(input.metric, input.statistic, from, to);
      return { value: result.value, combined: result.combinedSeries !== undefined };
    },
  };
}

function compileMathValue(queries: Array<Record<string, unknown>>): CompiledValue {
  const output = queries.find((query) => query.ReturnData !== false && typeof query.Expression === 'string');
  if (output === undefined) throw new Error('metric math without an expression is not evaluated locally');
  const expression = compileExpression(String(output.Expression));
  const inputs = queries
    .filter((query) => query.MetricStat !== undefined)
    .map((query): MetricInput => {
      const stat = query.MetricStat as { Metric: Record<string, unknown>; Stat: string; Period: number };
      return {
        id: String(query.Id),
        metric: identityOf(stat.Metric),
        statistic: stat.Stat,
        periodSeconds: Number(stat.Period),
      };
    });
  for (const id of expression.ids) {
    if (!inputs.some((input) => input.id === id))
      throw new Error(`metric math reads ${id}, which is not a metric`);
  }
  for (const input of inputs) computeStatistic(input.statistic, [1]);
  return {
    periodSeconds: Number(output.Period ?? inputs[0]?.periodSeconds ?? 60),
    value: (store, from, to) => {
      const values: Record<string, MathValue> = {};
      let combined = false;
      for (const input of inputs) {
        const result = store.statistic(input.metric, input.statistic, from, to);
        values[input.id] = result.value;
        combined ||= result.combinedSeries !== undefined;
      }
      return { value: expression.evaluate(values), combined };
    },
  };
}

function identityOf(metric: Record<string, unknown>): MetricIdentity {
  const dimensions: Record<string, string> = {};
  for (const dimension of (metric.Dimensions as Array<{ Name: string; Value: string }> | undefined) ?? []) {
    dimensions[dimension.Name] = String(dimension.Value);
  }
  return { namespace: String(metric.Namespace), name: String(metric.MetricName), dimensions };
}

/** CloudWatch's wording, e.g. "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (26/11/25 20:01:00)] was ...". */
function stateReason(
  alarm: LocalAlarm,
  state: AlarmState,
  datapoints: ReadonlyArray<{ value: number; end: number }>,
  breaching: number,
): string {
  const words = (COMPARISONS[alarm.comparisonOperator] as (typeof COMPARISONS)[string]).words;
  const shown = datapoints
    .map((point) => `${formatNumber(point.value)} (${reasonTime(point.end)})`)
    .join(', ');
  const threshold = formatNumber(alarm.threshold);
  if (state === 'ALARM') {
    const points =
      datapoints.length === 0 ? 'no datapoints (missing data treated as breaching)' : `[${shown}]`;
    return (
      `Threshold Crossed: ${breaching} out of the last ${alarm.evaluationPeriods} datapoints ${points} was ${words} ` +
      `the threshold (${threshold}) (minimum ${alarm.datapointsToAlarm} datapoint for OK -> ALARM transition).`
    );
  }
  const points =
    datapoints.length === 0 ? 'no datapoints (missing data treated as not breaching)' : `[${shown}]`;
  return `Threshold Crossed: ${points} was not ${words} the threshold (${threshold}).`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(Math.round(value * 1000) / 1000);
}

/** `26/11/25 20:01:00`, CloudWatch's datapoint time in reasons. */
function reasonTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `2026-05-04T10:05:00.123+0000`, CloudWatch's StateChangeTime. */
function cloudWatchTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+0000');
}

import { Writable } from 'node:stream';
import type { MetricDatum } from './metric-store.js';

/**
 * A CloudWatch Logs stand-in for the handlers of the local run: what a function writes to stdout/stderr
 * (Powertools Logger JSON lines and Powertools Metrics EMF documents) is read line by line, as CloudWatch
 * Logs would: EMF documents become metric datapoints (as CloudWatch extracts them), the rest are log
 * records.
 */

export interface LogRecord {
  /** The local function that wrote it. */
  readonly functionName: string;
  /** Powertools' level (INFO, WARN, ERROR, ...), or RAW for a line that is not a Logger record. */
  readonly level: string;
  readonly message: string;
  readonly line: string;
}

export interface LogSinkListener {
  onLog(record: LogRecord): void;
  onMetric(datum: MetricDatum): void;
}

/** A writable stream standing in for one function's stdout and stderr. */
export function functionOutputStream(functionName: string, listener: LogSinkListener): Writable {
  let pending = '';
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') readLine(functionName, line, listener);
        newline = pending.indexOf('\n');
      }
      callback();
    },
  });
}

function readLine(functionName: string, line: string, listener: LogSinkListener): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    listener.onLog({ functionName, level: 'RAW', message: line, line });
    return;
  }
  const metrics = parseEmf(parsed);
  if (metrics !== undefined) {
    for (const datum of metrics) listener.onMetric(datum);
    return;
  }
  const record = (parsed ?? {}) as { level?: unknown; message?: unknown };
  listener.onLog({
    functionName,
    level: typeof record.level === 'string' ? record.level.toUpperCase() : 'RAW',
    message: typeof record.message === 'string' ? record.message : line,
    line,
  });
}

interface EmfDirective {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

/** The datapoints of an Embedded Metric Format document, or undefined when `document` is not one. */
export function parseEmf(document: unknown): MetricDatum[] | undefined {
  if (typeof document !== 'object' || document === null) return undefined;
  const root = document as Record<string, unknown>;
  const aws = root._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (typeof aws !== 'object' || aws === null || !Array.isArray(aws.CloudWatchMetrics)) return undefined;
  const timestamp = typeof aws.Timestamp === 'number' ? aws.Timestamp : Date.now();
  const data: MetricDatum[] = [];
  for (const directive of aws.CloudWatchMetrics as EmfDirective[]) {
    const namespace = String(directive.Namespace ?? '');
    const dimensionSets = Array.isArray(directive.Dimensions) ? (directive.Dimensions as unknown[][]) : [[]];
    for (const metric of Array.isArray(directive.Metrics) ? directive.Metrics : []) {
      const name = String((metric as { Name?: unknown }).Name ?? '');
      const raw = root[name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (value): value is number => typeof value === 'number',
      );
      for (const set of dimensionSets) {
        const dimensions: Record<string, string> = {};
        for (const dimension of set) dimensions[String(dimension)] = String(root[String(dimension)] ?? '');
        data.push({ namespace, name, dimensions, timestamp, values });
      }
    }
  }
  return data;
}

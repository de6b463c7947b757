import { Metrics } from '@aws-lambda-powertools/metrics';
import { type MockInstance, vi } from 'vitest';

/** One EMF document as Powertools writes it: metric values by name, plus its dimensions. */
export interface EmfDocument {
  readonly dimensions: Record<string, string>;
  readonly values: Record<string, number | number[]>;
  readonly units: Record<string, string>;
}

/**
 * An enabled Metrics instance whose EMF output (console.log in POWERTOOLS_DEV mode, set by vitest.config.ts) is
 * captured and parsed, so tests assert what CloudWatch would receive.
 */
export function capturedMetrics(serviceName = 'ingest'): {
  metrics: Metrics;
  documents: () => EmfDocument[];
  restore: () => void;
} {
  const spy: MockInstance = vi.spyOn(console, 'log').mockImplementation(() => {});
  // POWERTOOLS_DEV turns metrics off unless POWERTOOLS_METRICS_DISABLED says otherwise.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const metrics = new Metrics({ namespace: 'CampaignEventsTest', serviceName });
  vi.unstubAllEnvs();
  return {
    metrics,
    documents: () =>
      spy.mock.calls
        .map(([line]) => (typeof line === 'string' ? safeParse(line) : undefined))
        .filter((document): document is Record<string, unknown> => document?._aws !== undefined)
        .map(toDocument),
    restore: () => spy.mockRestore(),
  };
}

function safeParse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function toDocument(raw: Record<string, unknown>): EmfDocument {
  const aws = raw._aws as {
    CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }>;
  };
  const directive = aws.CloudWatchMetrics[0];
  const dimensionNames = directive?.Dimensions.flat() ?? [];
  const dimensions = Object.fromEntries(dimensionNames.map((name) => [name, String(raw[name])]));
  const values: Record<string, number | number[]> = {};
  const units: Record<string, string> = {};
  for (const metric of directive?.Metrics ?? []) {
    values[metric.Name] = raw[metric.Name] as number | number[];
    units[metric.Name] = metric.Unit;
  }
  return { dimensions, values, units };
}

import type { Pipeline } from '../../local/pipeline/assemble.js';
import type { DrillRow, Measurement } from './measure.js';
import type { Delivery } from './sender.js';

/** How big a drill is: events per scenario, and how long an outage lasts. */
export interface DrillSize {
  readonly events: number;
  readonly outageSeconds: number;
}

/** What a scenario did: the events it sent (each text once) and what the sender saw. */
export interface ScenarioRun {
  readonly sent: ReadonlySet<string>;
  readonly delivery: Delivery;
  /** Facts for the report (e.g. which event was the poison). */
  readonly notes?: readonly string[];
  /** Event keys that were meant to be parked (the poison), checked by the targets. */
  readonly expectParked?: (measurement: Measurement) => ReadonlySet<string>;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /** Acts on the ingest side only (part of `npm test` at small sizes). */
  readonly side: 'ingest' | 'fan-out';
  /** Started with the fan-out deferred (the scenario starts it). */
  readonly deferFanOut?: boolean;
  run(pipeline: Pipeline, size: DrillSize): Promise<ScenarioRun>;
  /** Each target the outcome misses, in words (empty: every target met). */
  missed(row: DrillRow, run: ScenarioRun, measurement: Measurement): string[];
}

/** The targets every scenario shares: every event acknowledged and none lost. */
export function commonMisses(row: DrillRow): string[] {
  const misses: string[] = [];
  if (row.acknowledged < row.sent) misses.push(`${row.sent - row.acknowledged} events never acknowledged`);
  if (row.lost > 0) misses.push(`${row.lost} events lost`);
  return misses;
}

/** No event published twice, nothing parked, every stored accepted event published. */
export function cleanDeliveryMisses(row: DrillRow): string[] {
  const misses: string[] = [];
  if (row.duplicates > 0) misses.push(`${row.duplicates} duplicate messages`);
  if (row.parked > 0) misses.push(`${row.parked} events parked`);
  return misses;
}

import type { DrillRow } from './measure.js';
import type { ScenarioResult } from './runner.js';

const COLUMNS: ReadonlyArray<readonly [header: string, value: (row: DrillRow) => string]> = [
  ['sent', (row) => String(row.sent)],
  ['acknowledged', (row) => String(row.acknowledged)],
  ['stored', (row) => String(row.stored)],
  ['published', (row) => String(row.published)],
  ['duplicates', (row) => String(row.duplicates)],
  ['parked', (row) => String(row.parked)],
  ['lost', (row) => String(row.lost)],
  ['msgs/event', (row) => row.messagesPerEvent.toFixed(2)],
];

/** One table per scenario: its counts, then whether it met its targets and what it noted. */
export function formatResult(result: ScenarioResult): string {
  const headers = COLUMNS.map(([header]) => header);
  const values = COLUMNS.map(([, value]) => value(result.row));
  const widths = headers.map((header, index) => Math.max(header.length, (values[index] ?? '').length));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, index) => cell.padStart(widths[index] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  const verdict = result.missed.length === 0 ? 'PASS: every target met' : `FAIL: ${result.missed.join('; ')}`;
  return [
    `${result.scenario} (${result.seconds} s): ${result.summary}`,
    line(headers),
    rule,
    line(values),
    verdict,
    ...result.notes.map((note) => `  ${note}`),
  ].join('\n');
}

export function formatSummary(results: readonly ScenarioResult[]): string {
  const failed = results.filter((result) => result.missed.length > 0);
  return failed.length === 0
    ? `All ${results.length} scenarios met their targets.`
    : `${failed.length} of ${results.length} scenarios missed a target: ${failed.map((r) => r.scenario).join(', ')}`;
}

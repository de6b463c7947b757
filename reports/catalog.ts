import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The reports over the event archive: one SQL file each, beside this module, run as they are by Athena
 * (named queries of the stack's workgroup) and by DuckDB (`npm run report`). The files name their
 * parameters `:from`, `:to` and `:mailing`; both engines get them as positional `?` parameters, in the
 * order {@link positionalSql} returns.
 */

export const REPORT_NAMES = [
  'mailing-performance',
  'dispatch-timeline',
  'channel-affinity',
  'bounce-complaint-trends',
] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export interface ReportDefinition {
  readonly name: ReportName;
  /** What the report answers (the named query's description, `npm run report -- --help`). */
  readonly answers: string;
}

export const REPORTS: readonly ReportDefinition[] = [
  {
    name: 'mailing-performance',
    answers:
      'Per mailing: sent, bounced (hard/soft), delivered, opens and unique opens, clicks and unique clicks, unsubscribes, complaints, and the rates.',
  },
  {
    name: 'dispatch-timeline',
    answers:
      'Per mailing and minute: sent events, idle minutes before (gaps), and the delay from the event time to its arrival.',
  },
  {
    name: 'channel-affinity',
    answers:
      'Per recipient and media type: opens, clicks, last engagement, a recency-weighted engagement score and the share of it per media type.',
  },
  {
    name: 'bounce-complaint-trends',
    answers: 'Per day: sent, bounces (hard/soft/unknown), spam complaints, and their rates per sent event.',
  },
];

export const REPORT_PARAMETERS = ['from', 'to', 'mailing'] as const;
export type ReportParameter = (typeof REPORT_PARAMETERS)[number];

const REPORTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const PLACEHOLDER = new RegExp(`:(${REPORT_PARAMETERS.join('|')})\\b`, 'g');

export function isReportName(name: string): name is ReportName {
  return (REPORT_NAMES as readonly string[]).includes(name);
}

export function reportFile(name: ReportName): string {
  return path.join(REPORTS_DIR, `${name}.sql`);
}

/** The report's SQL as written in its file (named placeholders). */
export function reportSql(name: ReportName): string {
  return readFileSync(reportFile(name), 'utf8');
}

/**
 * The SQL with each placeholder replaced by `?`, and the parameter each `?` stands for, in order.
 * Comments (`--` to the end of the line; the files put none inside a string) are left as they are.
 */
export function positionalSql(sql: string): { text: string; parameters: ReportParameter[] } {
  const parameters: ReportParameter[] = [];
  const lines = sql.split('\n').map((line) => {
    const comment = line.indexOf('--');
    const code = comment === -1 ? line : line.slice(0, comment);
    const replaced = code.replace(PLACEHOLDER, (_match, name: ReportParameter) => {
      parameters.push(name);
      return '?';
    });
    return comment === -1 ? replaced : replaced + line.slice(comment);
  });
  return { text: lines.join('\n'), parameters };
}

/** The named query's text: a first line saying what each `?` is, then the positional SQL. */
export function athenaQueryText(name: ReportName): string {
  const { text, parameters } = positionalSql(reportSql(name));
  const order = parameters.map((parameter, index) => `${index + 1}: ${describe(parameter)}`).join('; ');
  return `-- Parameters in order (${order})\n${text}`;
}

function describe(parameter: ReportParameter): string {
  return parameter === 'mailing' ? 'mailing id or NULL' : `${parameter} date 'yyyy-MM-dd'`;
}

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { localArchiveDir } from '../local/pipeline/archive-firehose.js';
import { loadLocalConfig } from '../local/run/local-config.js';
import { isReportName, REPORTS, type ReportName } from '../reports/catalog.js';
import { archiveGlob, EmptyArchiveError, runReport } from './report/duckdb-engine.js';
import { toCsv, toTable } from './report/output.js';

/**
 * `npm run report -- <report> [options]`: one of the reports in reports/*.sql, run on DuckDB over the
 * archive `npm start` writes (or any folder laid out like the archive bucket), printed as a table or CSV.
 */

const USAGE = `Usage: npm run report -- <report> [--from yyyy-MM-dd] [--to yyyy-MM-dd] [--mailing <id>] [--csv] [--archive <dir>]

Runs a report over the event archive on DuckDB: the same SQL file Athena runs as the named query of the
same name (reports/<report>.sql). Dates are UTC dates the events were received, both inclusive.

Reports:
${REPORTS.map((report) => `  ${report.name.padEnd(26)}${report.answers}`).join('\n')}

Options:
  --from <yyyy-MM-dd>   first day (default: 6 days before --to)
  --to <yyyy-MM-dd>     last day (default: today, UTC)
  --mailing <id>        only this mailing (default: every mailing)
  --csv                 CSV instead of a table
  --archive <dir>       the archive folder (default: where npm start writes it for cdk.json's stack;
                        with npm start --data-dir <dir>: <dir>/archive)
  --help                this text

Exit code: 0 with the report printed, 1 when the archive holds no event yet, 2 for a usage error.`;

export interface ReportIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Today, for the default window. */
  readonly now?: () => Date;
}

class UsageError extends Error {}

interface ReportCommand {
  readonly report: ReportName;
  readonly from: string;
  readonly to: string;
  readonly mailing: number | null;
  readonly csv: boolean;
  readonly archive: string;
}

export function parseReportArgs(args: readonly string[], now: Date): ReportCommand | 'help' {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      mailing: { type: 'string' },
      csv: { type: 'boolean', default: false },
      archive: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const [report, ...extra] = positionals;
  if (report === undefined) throw new UsageError('Name a report (see --help).');
  if (!isReportName(report)) throw new UsageError(`Unknown report "${report}" (see --help).`);
  if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(' ')}`);
  const to = values.to === undefined ? now.toISOString().slice(0, 10) : date('--to', values.to);
  const from = values.from === undefined ? daysBefore(to, 6) : date('--from', values.from);
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  return {
    report,
    from,
    to,
    mailing: values.mailing === undefined ? null : mailingId(values.mailing),
    csv: values.csv ?? false,
    archive: values.archive ?? localArchiveDir(loadLocalConfig().config.stackName),
  };
}

export async function runReportCli(args: readonly string[], io: ReportIo): Promise<number> {
  let command: ReportCommand | 'help';
  try {
    command = parseReportArgs(args, io.now?.() ?? new Date());
  } catch (error) {
    if (
      !(error instanceof UsageError) &&
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') !== true
    )
      throw error;
    io.stderr(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  try {
    const result = await runReport(command.archive, command.report, command);
    io.stdout(command.csv ? toCsv(result) : toTable(result));
    if (!command.csv) {
      io.stderr(
        `${result.rows.length} row(s); ${command.from} to ${command.to}; ${archiveGlob(command.archive)}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (!(error instanceof EmptyArchiveError)) throw error;
    io.stderr(`${error.message}\n`);
    return 1;
  }
}

function date(option: string, value: string): string {
  const parsed = new Date(`${value}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(parsed.getTime()) ||
    parsed.toISOString().slice(0, 10) !== value
  ) {
    throw new UsageError(`${option} must be a date as yyyy-MM-dd, not "${value}"`);
  }
  return value;
}

function daysBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

function mailingId(value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1) {
    throw new UsageError(`--mailing must be a positive integer, not "${value}"`);
  }
  return id;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text);
  runReportCli(process.argv.slice(2), { stdout: write(process.stdout), stderr: write(process.stderr) })
    .then((code) => {
      process.exitCode = code;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    });
}

import type { ReportResult } from './duckdb-engine.js';

/** A report as an aligned text table (numbers right-aligned, NULL as empty). */
export function toTable(result: ReportResult): string {
  const cells = result.rows.map((row) => result.columns.map((column) => text(row[column])));
  const widths = result.columns.map((column, index) =>
    Math.max(column.length, ...cells.map((row) => (row[index] ?? '').length)),
  );
  const numeric = result.columns.map((column) =>
    result.rows.every((row) => row[column] === null || typeof row[column] === 'number'),
  );
  const line = (values: readonly string[], isHeader: boolean) =>
    values
      .map((value, index) => {
        const width = widths[index] ?? 0;
        return numeric[index] && !isHeader ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const header = line(result.columns, true);
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return `${[header, rule, ...cells.map((row) => line(row, false))].join('\n')}\n`;
}

/** A report as CSV (RFC 4180 quoting, NULL as empty). */
export function toCsv(result: ReportResult): string {
  const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const lines = [
    result.columns.map(quote).join(','),
    ...result.rows.map((row) => result.columns.map((column) => quote(text(row[column]))).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

function text(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

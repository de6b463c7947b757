import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  ARCHIVE_FILE_EXTENSION,
  ARCHIVE_PARTITION_KEYS,
  ARCHIVE_PREFIXES,
  ARCHIVE_TABLE_NAME,
} from '../../infra/constructs/archive-format.js';
import { positionalSql, type ReportName, type ReportParameter, reportSql } from '../../reports/catalog.js';

/**
 * The reports on DuckDB, over an archive laid out as the bucket is (a local folder). The SQL files are
 * written in the part of Athena's Trino dialect DuckDB also speaks; the two Trino functions DuckDB names
 * differently are defined here as macros of the same name and meaning, so the files run unchanged.
 */
export const TRINO_COMPATIBILITY_MACROS: readonly string[] = [
  // Trino: the scalar at the path as varchar (DuckDB's json_extract_string).
  'CREATE MACRO json_extract_scalar(json, path) AS json_extract_string(json, path)',
  // Trino: an ISO-8601 text as timestamp with time zone (a failure is caught by the queries' try()).
  'CREATE MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)',
];

export type ReportValues = Readonly<Record<ReportParameter, string | number | null>>;

export interface ReportResult {
  readonly columns: readonly string[];
  /** Integers as numbers, timestamps as `yyyy-MM-dd HH:mm:ss[.SSS]` (UTC). */
  readonly rows: ReadonlyArray<Readonly<Record<string, string | number | null>>>;
}

export class EmptyArchiveError extends Error {
  override readonly name = 'EmptyArchiveError';
}

/** The files' pattern: one directory level per partition key under the events prefix. */
export function archiveGlob(dir: string): string {
  const levels = ARCHIVE_PARTITION_KEYS.map(() => '*');
  return path.join(dir, ARCHIVE_PREFIXES.events, ...levels, `*${ARCHIVE_FILE_EXTENSION}`);
}

/** Whether the archive folder holds any event file yet (DuckDB needs one to read the schema). */
export function hasArchivedEvents(dir: string): boolean {
  const events = path.join(dir, ARCHIVE_PREFIXES.events);
  if (!existsSync(events)) return false;
  return readdirSync(events, { recursive: true }).some((name) =>
    String(name).endsWith(ARCHIVE_FILE_EXTENSION),
  );
}

/** A DuckDB session with the Trino macros and the archive as the `campaign_events` view. */
export async function openArchive(dir: string): Promise<{ connection: DuckDBConnection; close(): void }> {
  if (!hasArchivedEvents(dir)) {
    throw new EmptyArchiveError(
      `No archived events under ${dir} (is the archive on, and has npm start run?)`,
    );
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  for (const macro of TRINO_COMPATIBILITY_MACROS) await connection.run(macro);
  const hiveTypes = ARCHIVE_PARTITION_KEYS.map((key) => `'${key.name}': VARCHAR`).join(', ');
  await connection.run(
    `CREATE VIEW ${ARCHIVE_TABLE_NAME} AS SELECT * FROM read_parquet('${archiveGlob(dir)}', ` +
      `hive_partitioning = true, hive_types = {${hiveTypes}})`,
  );
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Runs one SQL text (named placeholders) with its values. */
export async function runSql(
  connection: DuckDBConnection,
  sql: string,
  values: ReportValues,
): Promise<ReportResult> {
  const { text, parameters } = positionalSql(sql);
  const reader = await connection.runAndReadAll(
    text,
    parameters.map((parameter) => values[parameter]),
  );
  const columns = reader.columnNames();
  const rows = reader
    .getRowObjectsJS()
    .map((row) => Object.fromEntries(columns.map((column) => [column, plainValue(row[column])])));
  return { columns, rows };
}

/** Runs a report from its SQL file over the archive in `dir`. */
export async function runReport(dir: string, name: ReportName, values: ReportValues): Promise<ReportResult> {
  const archive = await openArchive(dir);
  try {
    return await runSql(archive.connection, reportSql(name), values);
  } finally {
    archive.close();
  }
}

function plainValue(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (value instanceof Date)
    return value
      .toISOString()
      .replace('T', ' ')
      .replace(/(\.000)?Z$/, '');
  return String(value);
}

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { toMessage } from '../functions/fan-out/message.js';
import { eventKeyFor } from '../functions/ingest/event-key.js';
import { type CampaignEventType, toEventType } from '../functions/shared/campaign-event-types.js';
import { parseConfig } from '../infra/config.js';
import { ARCHIVE_COLUMNS } from '../infra/constructs/archive-format.js';
import { CampaignEventFactory } from '../local/campaign-simulator/event-factory.js';
import { ArchiveFirehose, archiveStreamModel } from '../local/pipeline/archive-firehose.js';
import { buildStackModel } from '../local/pipeline/stack-model.js';
import { DEFAULT_MIX } from '../local/run/traffic.js';
import { REPORT_NAMES, reportSql } from '../reports/catalog.js';
import { runReport } from '../scripts/report/duckdb-engine.js';

/**
 * `npx tsx bench/archive-size.ts [--events N]`: one UTC day of the local run's traffic mix (N events,
 * evenly spread), published as the fan-out publishes it and archived by the Firehose stand-in with the
 * stack's stream settings, flushed every 300 s of event time as the deployed stream's default buffer
 * does at this volume (one file per active partition and interval). Prints the archive's size per
 * event, and what each report reads for that day: the files of its partitions, and of those the column
 * chunks it names (what Athena bills for Parquet).
 */

const DAY = '2026-12-01';
const BUFFER_SECONDS = 300;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '100000' } } });
  const events = Number(values.events);
  const dir = mkdtempSync(path.join(tmpdir(), 'archive-size-'));
  try {
    const jsonBytes = await archiveDay(dir, events);
    const files = parquetFiles(dir);
    const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
    console.log(`events: ${events} in one day; files: ${files.length}; Parquet bytes: ${bytes}`);
    console.log(
      `bytes per event: Parquet ${(bytes / events).toFixed(1)}, published JSON ${(jsonBytes / events).toFixed(1)}`,
    );
    for (const name of REPORT_NAMES) {
      const scanned = await reportScan(name, files);
      const rows = (await runReport(dir, name, { from: DAY, to: DAY, mailing: null })).rows.length;
      console.log(
        `${name}: partitions ${scanned.partitionBytes} bytes (${scanned.files} files), columns read ${scanned.columnBytes} bytes; ${rows} rows`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Archives the day; resolves to the published JSON bytes. */
async function archiveDay(dir: string, events: number): Promise<number> {
  const config = parseConfig({ campaign: { clientIds: [100001] }, archive: { enabled: true } });
  const stream = archiveStreamModel(
    buildStackModel(config, { region: 'eu-central-1', accountId: '000000000000' }),
  );
  if (stream === undefined) throw new Error('no archive stream');
  const firehose = await ArchiveFirehose.start({ stream, dir, flushIntervalMs: 0 });
  const start = Date.parse(`${DAY}T00:00:00.000Z`);
  const step = 86_400_000 / events;
  let clock = start;
  const factory = new CampaignEventFactory({ seed: 11, now: () => new Date(clock) });
  const types = DEFAULT_MIX.flatMap(([type, weight]) => Array<CampaignEventType>(weight).fill(type));
  let jsonBytes = 0;
  let interval = 0;
  for (let i = 0; i < events; i++) {
    clock = start + Math.floor(i * step);
    const current = Math.floor((clock - start) / (BUFFER_SECONDS * 1000));
    if (current !== interval) {
      await firehose.flush();
      interval = current;
    }
    const raw = factory.event(types[i % types.length] as CampaignEventType);
    const eventType = toEventType(raw.type) as CampaignEventType;
    const body = toMessage({
      eventKey: eventKeyFor(eventType, raw),
      eventType,
      clientId: raw.clientId,
      ...(raw.mailingId === undefined ? {} : { mailingId: raw.mailingId }),
      ...(raw.recipientId === undefined ? {} : { recipientId: raw.recipientId }),
      receivedAt: new Date(clock).toISOString(),
      event: { ...raw, type: eventType },
    }).body;
    jsonBytes += Buffer.byteLength(body);
    firehose.accept(body);
  }
  await firehose.stop();
  return jsonBytes;
}

interface ParquetFile {
  readonly path: string;
  readonly eventType: string;
  readonly bytes: number;
}

function parquetFiles(dir: string): ParquetFile[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.parquet'))
    .map((file) => ({
      path: path.join(dir, file),
      eventType: /event_type=([^/]+)/.exec(file)?.[1] ?? '',
      bytes: statSync(path.join(dir, file)).size,
    }));
}

/** The files of the report's event types, and the compressed column chunks of the columns it names. */
async function reportScan(name: (typeof REPORT_NAMES)[number], files: readonly ParquetFile[]) {
  const sql = reportSql(name).replace(/--.*$/gm, '');
  const types = [...(/event_type IN \(([^)]*)\)/.exec(sql)?.[1] ?? '').matchAll(/'([a-z]+)'/g)].map(
    (m) => m[1],
  );
  const read = files.filter((file) => types.includes(file.eventType));
  const columns = ARCHIVE_COLUMNS.map((column) => column.name).filter((column) =>
    new RegExp(`\\b${column}\\b`).test(sql),
  );
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  let columnBytes = 0;
  try {
    for (const file of read) {
      const result = await connection.runAndReadAll(
        `SELECT sum(total_compressed_size) AS bytes FROM parquet_metadata('${file.path}') WHERE path_in_schema IN (${columns.map((c) => `'${c}'`).join(', ')})`,
      );
      columnBytes += Number(result.getRowObjectsJS()[0]?.bytes ?? 0);
    }
  } finally {
    connection.closeSync();
    db.closeSync();
  }
  return { files: read.length, partitionBytes: read.reduce((sum, file) => sum + file.bytes, 0), columnBytes };
}

await main();

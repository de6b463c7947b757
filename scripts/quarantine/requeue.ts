import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { createEventReader } from '../../functions/ingest/event-reader.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { EVENT_STATUS } from '../../functions/shared/contracts/event-table.js';
import type { CommonSettings } from '../ops/cli.js';
import { openCursor } from '../ops/cursor.js';
import type { IngestReaderSettings } from '../ops/ingest-settings.js';
import type { LargeEventStore } from '../ops/large-event-store.js';
import {
  describeEstimate,
  estimateScan,
  scanTable,
  type TableClient,
  writeUnitsFor,
} from '../ops/table-scan.js';
import { quarantinedFilter } from './list.js';
import { promote, updateIssues } from './promote.js';
import { eventTextOf, readQuarantinedItem } from './quarantined-item.js';
import { revalidate } from './revalidate.js';

export interface RequeueOptions extends CommonSettings {
  readonly tableName: string;
  readonly settings: IngestReaderSettings;
  /**
   * The types the deployed stack has a topic for (its TopicArn<Type> outputs), when known: an event of
   * another type is not promoted, since the fan-out could not publish it (it would be parked).
   */
  readonly topicTypes?: ReadonlySet<string>;
  /** Only quarantined events whose type could be read as one of these. */
  readonly types?: readonly CampaignEventType[];
  /** Lines listing single events (the counts always cover all). */
  readonly listLimit: number;
}

export interface RequeueDependencies {
  readonly table: TableClient;
  readonly store: LargeEventStore;
}

/** The run's counts; kept in the cursor, so a resumed run reports the whole operation. */
const TOTALS = [
  'quarantined',
  'passes',
  'promoted',
  'alreadyAccepted',
  'verification',
  'stillQuarantined',
  'reasonsUpdated',
  'unreadable',
  'failed',
  'writeUnits',
] as const;
type Totals = Record<(typeof TOTALS)[number], number>;

/**
 * Re-validates every quarantined event under the current settings with the ingest's reader, promotes
 * the ones that now pass (promote.ts) and rewrites the reasons of the others; a dry run only counts.
 */
export async function runRequeue(
  options: RequeueOptions,
  deps: RequeueDependencies,
  print: (line: string) => void,
): Promise<number> {
  const { dryRun } = options;
  const estimate = await estimateScan(deps.table, options.tableName, false);
  print(describeEstimate(estimate, options.segments, options.readRate));
  // A dry run changes nothing, so it has nothing to resume: it never writes the cursor.
  const cursor = openCursor(
    dryRun ? undefined : options.cursorPath,
    `quarantine requeue ${options.tableName} ${options.types ?? 'all'}`,
    options.segments,
  );
  const totals = Object.fromEntries(TOTALS.map((name) => [name, cursor.state.totals[name] ?? 0])) as Totals;
  if (cursor.resumed)
    print(`Resuming from ${cursor.path} (${totals.quarantined} quarantined event(s) handled before)`);
  const read = createEventReader(options.settings);
  const context = {
    read,
    retentionDays: options.settings.retentionDays,
    bucket: options.settings.largeEventBucket ?? '',
    publishVerificationEvents: options.settings.publishVerificationEvents,
  };
  const byType = new Map<string, number>();
  let listed = 0;
  const note = (line: string) => {
    if (listed++ < options.listLimit) print(line);
  };
  const verb = dryRun ? 'would promote' : 'promoted';

  const handle = async (attributes: Record<string, AttributeValue>) => {
    const item = readQuarantinedItem(attributes);
    if (options.types !== undefined && !options.types.includes(item.eventType as CampaignEventType)) return;
    totals.quarantined++;
    let text: string;
    try {
      text = await eventTextOf(item, deps.store);
    } catch (error) {
      totals.unreadable++;
      note(`  cannot read ${item.eventKey}: ${(error as Error).message}`);
      return;
    }
    const outcome = revalidate(item, text, context);
    if (outcome.kind === 'unreadable') {
      totals.unreadable++;
      note(`  cannot read ${item.eventKey}: ${outcome.reason}`);
      return;
    }
    if (outcome.kind === 'still-quarantined') {
      totals.stillQuarantined++;
      if (!outcome.changed) return;
      totals.reasonsUpdated++;
      totals.writeUnits += writeUnitsFor(attributes);
      if (!dryRun) {
        await updateIssues(item, outcome.issues, {
          table: deps.table,
          tableName: options.tableName,
          writeLimiter: options.writeLimiter,
        });
      }
      return;
    }
    const accepted = outcome.item;
    const type = String(accepted.attributes.eventType?.S);
    if (
      options.topicTypes !== undefined &&
      accepted.status === EVENT_STATUS.accepted &&
      !options.topicTypes.has(type)
    ) {
      totals.failed++;
      note(
        `  NOT promoted ${item.eventKey}: the stack has no topic for ${type} yet (deploy the configuration first)`,
      );
      return;
    }
    totals.passes++;
    if (accepted.status === EVENT_STATUS.verification) totals.verification++;
    totals.writeUnits += writeUnitsFor(accepted.attributes) + writeUnitsFor(attributes);
    if (dryRun) {
      byType.set(type, (byType.get(type) ?? 0) + 1);
      note(`  ${verb} ${item.eventKey} -> ${accepted.eventKey} (${accepted.status})`);
      return;
    }
    try {
      const result = await promote(item, accepted, {
        table: deps.table,
        tableName: options.tableName,
        store: deps.store,
        bucket: options.settings.largeEventBucket,
        writeLimiter: options.writeLimiter,
      });
      if (result === 'inserted') totals.promoted++;
      else totals.alreadyAccepted++;
      byType.set(type, (byType.get(type) ?? 0) + 1);
      note(
        `  ${verb} ${item.eventKey} -> ${accepted.eventKey} (${result === 'inserted' ? accepted.status : 'already stored: not published again'})`,
      );
    } catch (error) {
      totals.failed++;
      note(`  NOT promoted ${item.eventKey}: ${(error as Error).name}: ${(error as Error).message}`);
    }
  };

  const scan = await scanTable(deps.table, {
    tableName: options.tableName,
    segments: options.segments,
    pageSize: options.pageSize,
    consistentRead: false,
    filter: quarantinedFilter(),
    cursor,
    readLimiter: options.readLimiter,
    onPage: async (items) => {
      for (const attributes of items) await handle(attributes);
      Object.assign(cursor.state.totals, totals);
    },
  });
  cursor.finish();
  if (listed > options.listLimit) print(`  … and ${listed - options.listLimit} more line(s)`);
  print(summary(totals, byType, scan.readUnits, dryRun));
  return totals.unreadable + totals.failed > 0 ? 1 : 0;
}

function summary(totals: Totals, byType: Map<string, number>, readUnits: number, dryRun: boolean): string {
  const types = [...byType]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  const head = dryRun ? 'Summary (dry run, nothing changed)' : 'Summary';
  const promoted = dryRun
    ? `${totals.passes} would be promoted to accepted items${types && ` (${types})`}`
    : `${totals.promoted} promoted (each published once by the fan-out), ${totals.alreadyAccepted} already accepted (quarantine item removed, not published again)${types && ` (${types})`}`;
  return (
    `${head}: ${totals.quarantined} quarantined event(s) re-read; ${promoted}` +
    `${totals.verification > 0 ? `, of which ${totals.verification} verification (stored, not published)` : ''}; ` +
    `${totals.stillQuarantined} still quarantined (${totals.reasonsUpdated} with updated reasons); ` +
    `${totals.unreadable} unreadable; ${totals.failed} failed. ` +
    `Read units ${Math.ceil(readUnits)}; write units ${dryRun ? 'it would take' : 'taken'} about ${totals.writeUnits}.`
  );
}

import { createHash } from 'node:crypto';
import { type AttributeValue, DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { readJsonDocument } from '../../functions/ingest/json-document.js';
import { EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import { fromAttributeMap } from '../../functions/shared/events/attribute-values.js';
import { type RawObjectPointer, storedText } from '../../functions/shared/events/stored-event.js';
import type { CommonSettings } from '../ops/cli.js';
import { openCursor } from '../ops/cursor.js';
import type { LargeEventStore } from '../ops/large-event-store.js';
import {
  describeEstimate,
  estimateScan,
  scanTable,
  type TableClient,
  writeUnitsFor,
} from '../ops/table-scan.js';
import { ERASURE_AUDIT, writeAudit } from './audit.js';
import { recipientsIn, textMentions } from './match.js';
import { emptyLedger, noteErased, noteLive, type ObjectLedger, sweepObjects } from './objects.js';
import { newSalt, type Recipient, recipientHash } from './recipients.js';

export interface EraseOptions extends CommonSettings {
  readonly tableName: string;
  readonly recipients: readonly Recipient[];
  /** Large-event buckets to sweep besides those the items point into (the stack's, --large-event-bucket). */
  readonly buckets: readonly string[];
}

export interface EraseDependencies {
  readonly table: TableClient;
  readonly store: LargeEventStore;
  readonly now?: () => Date;
}

interface EraseData {
  salt: string;
  ledger: ObjectLedger;
  /** Items found per recipient hash. */
  found: Record<string, number>;
  buckets: string[];
}

/**
 * Erases recipients from the store in one pass: a strongly consistent parallel scan of the whole table
 * (the key is a content hash: nothing else finds them), every item holding one of them deleted (its
 * text read from S3 when kept there), then the large-event objects swept (objects.ts), then an audit
 * record that names no one (audit.ts). A dry run reads everything, deletes nothing, writes no record.
 */
export async function runErase(
  options: EraseOptions,
  deps: EraseDependencies,
  print: (line: string) => void,
): Promise<number> {
  const { dryRun, recipients } = options;
  print(
    describeEstimate(
      await estimateScan(deps.table, options.tableName, true),
      options.segments,
      options.readRate,
    ),
  );
  const fingerprint = createHash('sha256')
    .update(
      recipients
        .map((r) => `${r.kind}:${r.value}`)
        .sort()
        .join('\n'),
    )
    .digest('hex');
  const cursor = openCursor(
    dryRun ? undefined : options.cursorPath,
    `erase ${options.tableName} ${fingerprint}`,
    options.segments,
  );
  if (cursor.resumed) print(`Resuming from ${cursor.path}`);
  const data = cursor.state.data as unknown as EraseData;
  data.salt ??= newSalt();
  data.ledger ??= emptyLedger();
  data.found ??= {};
  data.buckets ??= [...options.buckets];
  const totals = cursor.state.totals;
  const count = (name: string, by = 1) => {
    totals[name] = (totals[name] ?? 0) + by;
  };
  const hashes = new Map(recipients.map((r) => [`${r.kind}:${r.value}`, recipientHash(r, data.salt)]));

  const handle = async (attributes: Record<string, AttributeValue>) => {
    const status = attributes[EVENT_TABLE_ATTRIBUTES.status]?.S ?? '(none)';
    if (status === ERASURE_AUDIT.status) return;
    const pointer =
      attributes.rawObject === undefined
        ? undefined
        : (fromAttributeMap({ p: attributes.rawObject }).p as RawObjectPointer);
    if (pointer !== undefined && !data.buckets.includes(pointer.bucket)) data.buckets.push(pointer.bucket);
    const text =
      storedText(fromAttributeMap(attributes)) ??
      (pointer === undefined ? undefined : await deps.store.readText(pointer));
    const holders = text === undefined ? [] : holdersOf(text, attributes, recipients);
    if (holders.length === 0) {
      if (pointer !== undefined) noteLive(data.ledger, pointer);
      return;
    }
    for (const holder of holders) {
      const hash = hashes.get(`${holder.kind}:${holder.value}`) as string;
      data.found[hash] = (data.found[hash] ?? 0) + 1;
    }
    if (pointer !== undefined) noteErased(data.ledger, pointer);
    count(`items.${status}`);
    count('writeUnits', writeUnitsFor(attributes));
    const key = attributes[EVENT_TABLE_ATTRIBUTES.partitionKey]?.S as string;
    print(`  ${dryRun ? 'would delete' : 'deleting'} ${key} (${status}${pointer ? ', text in S3' : ''})`);
    if (dryRun) return;
    await options.writeLimiter.take(1);
    await deps.table.send(
      new DeleteItemCommand({
        TableName: options.tableName,
        Key: { [EVENT_TABLE_ATTRIBUTES.partitionKey]: { S: key } },
      }),
    );
  };

  const scan = await scanTable(deps.table, {
    tableName: options.tableName,
    segments: options.segments,
    pageSize: options.pageSize,
    consistentRead: true,
    cursor,
    readLimiter: options.readLimiter,
    onPage: async (items) => {
      for (const attributes of items) await handle(attributes);
    },
  });
  count('readUnits', scan.readUnits);
  print(
    `Table scanned: ${scan.scanned} item(s) read. Large-event objects: sweeping ${data.buckets.length} bucket(s)${data.buckets.length === 0 ? ' (none known: pass --large-event-bucket or --stack)' : ''}`,
  );
  const objects = await sweepObjects(data.ledger, data.buckets, recipients, {
    store: deps.store,
    writeLimiter: options.writeLimiter,
    dryRun,
  });
  const itemsDeleted = Object.fromEntries(
    Object.entries(totals)
      .filter(([name]) => name.startsWith('items.'))
      .map(([name, value]) => [name.slice(6), value]),
  );
  const audit = {
    erasedAt: (deps.now ?? (() => new Date()))().toISOString(),
    tableName: options.tableName,
    salt: data.salt,
    recipients: recipients.map((r) => {
      const hash = hashes.get(`${r.kind}:${r.value}`) as string;
      return { hash, items: data.found[hash] ?? 0 };
    }),
    itemsDeleted,
    objectsDeleted: objects.deleted,
    objectsRewritten: objects.rewritten,
    readUnits: totals.readUnits ?? 0,
  };
  const deleted = Object.values(itemsDeleted).reduce((sum, value) => sum + value, 0);
  // In status order, not scan order: the parallel segments finish in any order.
  const perStatus = Object.entries(itemsDeleted)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, value]) => `${status} ${value}`)
    .join(', ');
  print(
    `Summary${dryRun ? ' (dry run, nothing changed)' : ''}: ${recipients.length} recipient(s), ` +
      `${deleted} item(s) ${dryRun ? 'would be ' : ''}deleted${perStatus && ` (${perStatus})`}; ` +
      `${objects.examined} large-event object(s) examined, ${objects.deleted} ${dryRun ? 'would be ' : ''}deleted, ` +
      `${objects.rewritten} ${dryRun ? 'would be ' : ''}rewritten; read units ${Math.ceil(audit.readUnits)}, ` +
      `write units about ${(totals.writeUnits ?? 0) + (dryRun ? 1 : 0)}${dryRun ? ' (the audit record included)' : ''}.`,
  );
  if (dryRun) {
    print(`The audit record would hold: ${JSON.stringify({ ...audit, salt: '(new)' })}`);
  } else {
    const key = await writeAudit(deps.table, audit);
    print(`Audit record ${key} written: ${JSON.stringify(audit)}`);
  }
  cursor.finish();
  return 0;
}

/** The recipients an item's event holds: read from its text (losslessly); unreadable text by mention. */
function holdersOf(
  text: string,
  attributes: Record<string, AttributeValue>,
  recipients: readonly Recipient[],
): Recipient[] {
  const byMention = () => recipients.filter((r) => textMentions(text, [r]));
  let document: ReturnType<typeof readJsonDocument>;
  try {
    JSON.parse(text);
    document = readJsonDocument(text);
  } catch {
    return byMention();
  }
  // Parts nested beyond what the reader builds are not in the value: their text is searched instead.
  if (document.deepElements.size > 0) return byMention();
  const found = recipientsIn(document.root, recipients);
  const storedId = attributes.recipientId?.S;
  for (const recipient of recipients) {
    if (recipient.kind === 'id' && storedId?.trim() === recipient.value && !found.includes(recipient))
      found.push(recipient);
  }
  return found;
}

import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import { toAttributeMap } from '../../functions/shared/events/attribute-values.js';
import type { TableClient } from '../ops/table-scan.js';

/**
 * The record an erasure leaves in the events table: when, how much, and for whom only as salted hashes
 * (recipients.ts). Its status is not `accepted`, so the fan-out's stream filter never publishes it; it
 * has no `expiresAt`, so TTL keeps it until someone deletes it.
 */
export const ERASURE_AUDIT = {
  keyPrefix: 'audit#erasure',
  status: 'erasure-audit',
} as const;

export interface ErasureAudit {
  readonly erasedAt: string;
  readonly tableName: string;
  readonly salt: string;
  /** One entry per recipient: its hash and the items and objects found holding it. */
  readonly recipients: ReadonlyArray<{ readonly hash: string; readonly items: number }>;
  readonly itemsDeleted: Readonly<Record<string, number>>;
  readonly objectsDeleted: number;
  readonly objectsRewritten: number;
  readonly readUnits: number;
}

export function auditKey(audit: ErasureAudit): string {
  return `${ERASURE_AUDIT.keyPrefix}#${audit.erasedAt}#${audit.salt.slice(0, 8)}`;
}

export async function writeAudit(table: TableClient, audit: ErasureAudit): Promise<string> {
  const eventKey = auditKey(audit);
  await table.send(
    new PutItemCommand({
      TableName: audit.tableName,
      Item: toAttributeMap({
        [EVENT_TABLE_ATTRIBUTES.partitionKey]: eventKey,
        [EVENT_TABLE_ATTRIBUTES.status]: ERASURE_AUDIT.status,
        erasedAt: audit.erasedAt,
        salt: audit.salt,
        recipients: audit.recipients.map((recipient) => ({ ...recipient })),
        itemsDeleted: { ...audit.itemsDeleted },
        objectsDeleted: audit.objectsDeleted,
        objectsRewritten: audit.objectsRewritten,
        readUnits: Math.ceil(audit.readUnits),
      }),
    }),
  );
  return eventKey;
}

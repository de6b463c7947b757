import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { WriteReadyItem } from '../../functions/ingest/event-items.js';
import { EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import type { LargeEventStore } from '../ops/large-event-store.js';
import type { RateLimiter } from '../ops/rate.js';
import type { TableClient } from '../ops/table-scan.js';
import type { QuarantinedItem } from './quarantined-item.js';
import { issuesValue } from './revalidate.js';

export interface PromotionDependencies {
  readonly table: TableClient;
  readonly tableName: string;
  readonly store: LargeEventStore;
  /** Where a newly claim-checked event's text goes (the ingest's LARGE_EVENT_BUCKET). */
  readonly bucket: string | undefined;
  readonly writeLimiter: RateLimiter;
}

/** `inserted`: the accepted item is new (the fan-out publishes it once); `existed`: it was there already. */
export type PromotionOutcome = 'inserted' | 'existed';

const KEY = EVENT_TABLE_ATTRIBUTES.partitionKey;

/**
 * Promotes a quarantined event: its S3 text first (so no item points to nothing), then a PutItem of the
 * accepted item on condition that its key is new, so the stream has exactly one INSERT of it (the
 * fan-out's filter, INSERT + status accepted, publishes it once); an accepted item already there (Campaign
 * redelivered the event after the fix, or the ingest accepted it under a newer configuration) is left
 * alone and nothing is published again. Then the quarantine item goes. Run twice, it does nothing twice.
 */
export async function promote(
  quarantined: QuarantinedItem,
  accepted: WriteReadyItem,
  deps: PromotionDependencies,
): Promise<PromotionOutcome> {
  if (accepted.object !== undefined) {
    if (deps.bucket === undefined) {
      throw new Error(
        'its accepted item keeps its text in S3, and no large-event bucket is known (--large-event-bucket)',
      );
    }
    await deps.writeLimiter.take(1);
    await deps.store.putObject(deps.bucket, accepted.object.key, accepted.object.body);
  }
  await deps.writeLimiter.take(1);
  let outcome: PromotionOutcome = 'inserted';
  try {
    await deps.table.send(
      new PutItemCommand({
        TableName: deps.tableName,
        Item: accepted.attributes,
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': KEY },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    outcome = 'existed';
  }
  await deps.writeLimiter.take(1);
  await deps.table.send(
    new DeleteItemCommand({ TableName: deps.tableName, Key: { [KEY]: { S: quarantined.eventKey } } }),
  );
  return outcome;
}

/** Writes a still-quarantined event's issues as the reader words them now (a MODIFY: never published). */
export async function updateIssues(
  quarantined: QuarantinedItem,
  issues: readonly string[],
  deps: Pick<PromotionDependencies, 'table' | 'tableName' | 'writeLimiter'>,
): Promise<void> {
  await deps.writeLimiter.take(1);
  try {
    await deps.table.send(
      new UpdateItemCommand({
        TableName: deps.tableName,
        Key: { [KEY]: { S: quarantined.eventKey } },
        UpdateExpression: 'SET #issues = :issues',
        ConditionExpression: 'attribute_exists(#key)',
        ExpressionAttributeNames: { '#issues': 'issues', '#key': KEY },
        ExpressionAttributeValues: { ':issues': issuesValue(issues) },
      }),
    );
  } catch (error) {
    // Gone meanwhile (TTL, or another run promoted it): nothing to update.
    if (!isConditionFailure(error)) throw error;
  }
}

function isConditionFailure(error: unknown): boolean {
  return (error as Error).name === 'ConditionalCheckFailedException';
}

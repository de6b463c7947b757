import type { RawObjectPointer } from '../../functions/shared/events/stored-event.js';
import type { LargeEventStore } from '../ops/large-event-store.js';
import type { RateLimiter } from '../ops/rate.js';
import { textMentions } from './match.js';
import type { Recipient } from './recipients.js';

/**
 * The large-event objects an erasure touches. One object can hold the texts of several events of a batch
 * (each item points to its byte range), and an object can hold leftovers: the text of an event whose item
 * now points elsewhere (a redelivery in another batch). So an object is never judged by the erased items
 * alone: every byte not in the range of an item that stays is blanked (spaces: the ranges of the items
 * that stay do not move), and an object with no such range is deleted.
 */
export interface ObjectLedger {
  /** Ranges of items that stay, by `bucket/key`. */
  readonly live: Record<string, Array<[number, number]>>;
  /** Objects an erased item pointed into, by `bucket/key`. */
  readonly erased: string[];
}

export function emptyLedger(): ObjectLedger {
  return { live: {}, erased: [] };
}

export const objectId = (pointer: Pick<RawObjectPointer, 'bucket' | 'key'>) =>
  `${pointer.bucket}/${pointer.key}`;

export function noteLive(ledger: ObjectLedger, pointer: RawObjectPointer): void {
  const id = objectId(pointer);
  const ranges = ledger.live[id] ?? [];
  ranges.push([pointer.offset, pointer.bytes]);
  ledger.live[id] = ranges;
}

export function noteErased(ledger: ObjectLedger, pointer: RawObjectPointer): void {
  const id = objectId(pointer);
  if (!ledger.erased.includes(id)) ledger.erased.push(id);
}

export type ObjectAction = 'deleted' | 'rewritten' | 'untouched';

export interface ObjectSweepResult {
  readonly examined: number;
  readonly deleted: number;
  readonly rewritten: number;
}

/**
 * Every object an erased item pointed into, and every object of the buckets that mentions a recipient,
 * reduced to the ranges of the items that stay (or deleted). A dry run reads and decides, writes nothing.
 */
export async function sweepObjects(
  ledger: ObjectLedger,
  buckets: readonly string[],
  recipients: readonly Recipient[],
  deps: { store: LargeEventStore; writeLimiter: RateLimiter; dryRun: boolean },
): Promise<ObjectSweepResult> {
  const candidates = new Set(ledger.erased);
  for (const bucket of buckets) {
    for (const key of await deps.store.listKeys(bucket)) candidates.add(`${bucket}/${key}`);
  }
  const result = { examined: 0, deleted: 0, rewritten: 0 };
  for (const id of candidates) {
    const slash = id.indexOf('/');
    const bucket = id.slice(0, slash);
    const key = id.slice(slash + 1);
    const body = await deps.store.readObject(bucket, key);
    if (body === undefined) continue;
    result.examined++;
    if (!ledger.erased.includes(id) && !textMentions(body.toString('utf8'), recipients)) continue;
    const live = ledger.live[id] ?? [];
    await deps.writeLimiter.take(1);
    if (live.length === 0) {
      if (!deps.dryRun) await deps.store.deleteObject(bucket, key);
      result.deleted++;
      continue;
    }
    if (!deps.dryRun) await deps.store.putObject(bucket, key, keepOnly(body, live));
    result.rewritten++;
  }
  return result;
}

/** The object with every byte outside the ranges blanked (a space), so the ranges stay where they are. */
export function keepOnly(body: Buffer, ranges: ReadonlyArray<[number, number]>): Buffer {
  const blanked = Buffer.alloc(body.length, 0x20);
  for (const [offset, bytes] of ranges) body.copy(blanked, offset, offset, offset + bytes);
  return blanked;
}

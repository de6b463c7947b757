import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventKeyFor } from '../../functions/ingest/event-key.js';
import { type RawObjectPointer, storedText } from '../../functions/shared/events/stored-event.js';
import { type CampaignEvent, CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import { runCli } from '../../scripts/erase.js';
import { largeEventBucketOf, runOperation, runWithStack } from '../support/operations.js';
import {
  type LocalServices,
  type Pipeline,
  startTestPipeline,
  startTestServices,
} from '../support/pipeline.js';

/**
 * `npm run erase` on the pipeline the stack describes: events of several recipients stored by the real
 * ingest (accepted, quarantined, large ones kept in S3, one S3 object shared by two recipients, a
 * leftover object from a redelivery), then two recipients erased in one pass, one by address and one by
 * id: neither appears anywhere in the table or the large-event bucket afterwards, everyone else's items
 * and texts are byte for byte as before, and the audit record holds counts and hashes, no address.
 */
describe('erase', () => {
  let services: LocalServices;
  let pipeline: Pipeline | undefined;
  let s3: S3Client;

  beforeAll(async () => {
    services = await startTestServices();
    s3 = new S3Client({ endpoint: services.endpoints.s3, region: services.region, forcePathStyle: true });
  });
  afterAll(async () => {
    s3?.destroy();
    await services?.stop();
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
  });

  const ERASED = 'Erase.Me@Example.com';
  const BY_ID = 'crm-4711';

  async function objectTexts(bucket: string): Promise<Map<string, string>> {
    const texts = new Map<string, string>();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const { Key } of listed.Contents ?? []) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      texts.set(Key as string, await (object.Body?.transformToString() ?? ''));
    }
    return texts;
  }

  async function rangeText(pointer: RawObjectPointer): Promise<string> {
    const object = await s3.send(
      new GetObjectCommand({
        Bucket: pointer.bucket,
        Key: pointer.key,
        Range: `bytes=${pointer.offset}-${pointer.offset + pointer.bytes - 1}`,
      }),
    );
    return (await object.Body?.transformToString()) ?? '';
  }

  /** Everything an item holds, its deflated text included, lower-cased. */
  const contentOf = (items: Array<Record<string, unknown>>) =>
    items.map((item) => `${JSON.stringify(item)} ${storedText(item) ?? ''}`.toLowerCase()).join('\n');

  it('removes two recipients from the table and the large-event bucket, and nothing else', async () => {
    const p = await startTestPipeline(services, { config: { eventTypes: ['sent', 'open', 'click'] } });
    pipeline = p;
    const factory = new CampaignEventFactory({ seed: 1102, clientId: 100001 });
    const of = (address: string, type: 'sent' | 'open' | 'click', extra: Partial<CampaignEvent> = {}) =>
      factory.event(type, { recipientId: address, mediaTypesToAddresses: { EMAIL: address }, ...extra });
    const big = { notes: 'x'.repeat(170_000) } as Partial<CampaignEvent>;
    const erasedEvents = [
      of(ERASED, 'sent'),
      // Over 1 KB: its item holds the text deflated (rawDeflated).
      of(ERASED, 'sent', { notes: 'y'.repeat(3000) } as Partial<CampaignEvent>),
      of(ERASED, 'open'),
      // Only the address, in another case, and no recipientId.
      factory.event('click', {
        recipientId: undefined,
        mediaTypesToAddresses: { EMAIL: ERASED.toUpperCase() },
      }),
      { ...of(ERASED, 'open'), type: 'teleport' }, // quarantined
    ];
    const byIdEvents = [of('someone.else@example.com', 'sent', { recipientId: BY_ID })];
    const largeErased = of(ERASED, 'open', big);
    const largeKept = of('keeper@example.com', 'open', big);
    const others = [...factory.batch(12, ['sent', 'open', 'click']), factory.invalidEvents()[1]];
    expect((await p.post([...erasedEvents, ...byIdEvents, largeErased, largeKept, ...others])).status).toBe(
      200,
    );
    // Campaign redelivers the large event alone: its item now points to an object of its own, and the
    // shared object still holds its text as a leftover.
    expect((await p.post([largeErased])).status).toBe(200);
    await p.waitUntilIdle();

    const bucket = largeEventBucketOf(p);
    const before = await p.items();
    const keptBefore = before.filter(
      (item) => !contentOf([item]).includes(ERASED.toLowerCase()) && item.recipientId !== BY_ID,
    );
    const erasedCount = before.length - keptBefore.length;
    expect(before.some((item) => item.rawDeflated !== undefined)).toBe(true);
    expect(erasedCount).toBe(erasedEvents.length + byIdEvents.length + 1);
    const keeperItem = before.find((item) => item.eventKey === eventKeyFor('open', largeKept)) as {
      rawObject: RawObjectPointer;
    };
    const keeperText = await rangeText(keeperItem.rawObject);
    expect(keeperText).toContain('keeper@example.com');
    expect(
      [...(await objectTexts(bucket)).values()].filter((text) => text.toLowerCase().includes('erase.me')),
    ).toHaveLength(2);

    const args = [
      '--table-name',
      p.tableName,
      '--recipient',
      ERASED.toLowerCase(),
      '--recipient',
      BY_ID,
      '--large-event-bucket',
      bucket,
    ];
    const dry = await runOperation(runCli, ...args);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toMatch(/Scan of .*strongly consistent.*read unit/);
    expect(dry.output).toContain(`${erasedCount} item(s) would be deleted`);
    expect(dry.output).toMatch(/1 would be deleted, 1 would be rewritten/);
    expect(await p.items()).toEqual(before);

    // The table and the bucket from the stack this time (--stack: its outputs and template).
    const real = await runWithStack(
      runCli,
      p,
      '--recipient',
      ERASED.toLowerCase(),
      '--recipient',
      BY_ID,
      '--yes',
    );
    expect(real.code, real.output).toBe(0);
    expect(real.output).toContain(
      `${erasedCount} item(s) deleted (accepted ${erasedCount - 1}, quarantined 1)`,
    );
    expect(real.output.toLowerCase()).not.toContain('erase.me');
    expect(real.output).not.toContain(BY_ID);

    const after = await p.items();
    const audit = after.filter((item) => item.status === 'erasure-audit');
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit).toLowerCase()).not.toContain('erase.me');
    expect(JSON.stringify(audit)).not.toContain(BY_ID);
    expect(audit[0]).toMatchObject({
      itemsDeleted: { accepted: erasedCount - 1, quarantined: 1 },
      objectsDeleted: 1,
      objectsRewritten: 1,
    });
    expect((audit[0] as { recipients: unknown[] }).recipients).toHaveLength(2);

    // Nowhere in the table, nowhere in the bucket; everyone else untouched, byte for byte.
    const events = after.filter((item) => item.status !== 'erasure-audit');
    expect(contentOf(events)).not.toContain('erase.me');
    expect(contentOf(events)).not.toContain(BY_ID.toLowerCase());
    expect(events).toEqual(keptBefore);
    for (const text of (await objectTexts(bucket)).values()) {
      expect(text.toLowerCase()).not.toContain('erase.me');
    }
    expect(await rangeText(keeperItem.rawObject)).toBe(keeperText);
  });
});

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { fc, test } from '@fast-check/vitest';
import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { describe, expect } from 'vitest';
import { createEventReader } from '../../../functions/ingest/event-reader.js';
import { classifyBatch } from '../../../functions/ingest/ingest-batch.js';
import { parseBatch } from '../../../functions/ingest/request-body.js';
import { CAMPAIGN_EVENT_TYPES } from '../../../functions/shared/campaign-event-types.js';
import { fromAttributeValue } from '../../../functions/shared/events/attribute-values.js';
import { readImage } from '../../../functions/shared/events/stored-event.js';
import { batchArbitrary, type GeneratedBatch, VERIFY_MAILING_ID } from '../../support/adversarial-batches.js';
import { comparableJson, dynamoDataProblems, heldText } from '../../support/stored-items.js';

/**
 * The ingest's invariant against the pure classification, on generated adversarial batches: every body
 * that is JSON within the size limit is a batch whose every element becomes exactly one write-ready item
 * (accepted or quarantined) that DynamoDB can store, holding the element exactly as it was sent.
 */
/** Runs of the generated-batch property (quoted in docs/PAYLOAD.md). */
const PURE_RUNS = 300;
const MAX_BODY_BYTES = 4_000_000;

const read = createEventReader({
  eventTypes: CAMPAIGN_EVENT_TYPES,
  verifyMailingId: Number(VERIFY_MAILING_ID),
});
const context = {
  read,
  receivedAt: new Date('2026-03-01T10:00:00Z'),
  retentionDays: 30,
  bucket: 'large-events',
};

function classify(batch: GeneratedBatch) {
  const parsed = parseBatch(batch.body, 10_000);
  if (!parsed.ok) throw new Error(`Generated body refused: ${parsed.rejection.message}`);
  return { events: parsed.value, classified: classifyBatch(parsed.value, context) };
}

describe('the ingest invariant on generated batches (pure classification)', () => {
  test.prop([batchArbitrary({ maxElements: 25, maxBodyBytes: MAX_BODY_BYTES })], { numRuns: PURE_RUNS })(
    'every element is one storable item, accepted or quarantined as expected, holding its exact text',
    (batch) => {
      const { events, classified } = classify(batch);
      const { summary, outcomes } = classified;
      expect(events.map((event) => event.text)).toEqual(batch.elements.map((element) => element.text));
      expect(outcomes).toHaveLength(batch.elements.length);
      expect(summary.received).toBe(batch.elements.length);
      expect(summary.accepted + summary.quarantined).toBe(summary.received);
      expect(new Set(classified.entries.map((entry) => entry.item.eventKey)).size).toBe(
        classified.entries.length,
      );

      const objects = new Map(
        classified.entries.flatMap(({ item }) =>
          item.object ? [[item.object.key, item.object.body] as const] : [],
        ),
      );
      expect(objects.size, 'one S3 object per batch at most').toBeLessThanOrEqual(1);
      batch.elements.forEach((element, index) => {
        const { item } = outcomes[index] as (typeof outcomes)[number];
        if (element.expected === 'accepted')
          expect(item.status, element.text.slice(0, 200)).not.toBe('quarantined');
        if (element.expected === 'quarantined') expect(item.status).toBe('quarantined');
        expect(dynamoDataProblems(item.attributes), element.text.slice(0, 200)).toEqual([]);
        const storedText = heldText(item.attributes, objects);
        expect(storedText === element.text, 'the stored text is the element exactly as sent').toBe(true);
        if (item.attributes.rawObject !== undefined) {
          expect(item.attributes.raw).toBeUndefined();
          expect(fromAttributeValue(item.attributes.rawObject as AttributeValue)).toMatchObject({
            bucket: 'large-events',
            bytes: Buffer.byteLength(element.text),
          });
        }
        // What the fan-out publishes for an accepted item held inline: read back from its text alone.
        if (item.status === 'accepted' && item.attributes.rawObject === undefined) {
          const reading = readImage(item.attributes as Record<string, StreamAttributeValue>);
          expect(reading.kind).toBe('accepted');
          const published = reading.kind === 'accepted' ? reading.event.event : undefined;
          const normalized = new Set(['type', 'clientId', 'mailingId', 'recipientId']);
          expect(comparableJson(published, normalized)).toEqual(
            comparableJson(JSON.parse(element.text, keepSource), normalized),
          );
        }
      });
    },
  );

  test.prop([fc.integer({ min: 1_000, max: 50_000 })], { numRuns: 20 })(
    'any nesting depth: the batch is classified and its neighbours stored inline as usual',
    (depth) => {
      const deep = `${'{"__proto__":['.repeat(depth)}1${']}'.repeat(depth)}`;
      const good = '{"type":"open","clientId":1,"mailingId":2,"recipientId":"r"}';
      const { classified } = classify({ body: `[${deep},${good}]`, elements: [] });
      const [first, second] = classified.outcomes;
      expect(first?.item.status).toBe('quarantined');
      expect(first?.item.object?.body ?? first?.item.attributes.raw?.S).toBe(deep);
      expect(second?.item.status).toBe('accepted');
      expect(second?.item.attributes.raw?.S).toBe(good);
    },
  );
});

/** A reviver that keeps each number's source text, so numbers can be compared exactly. */
function keepSource(_key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === 'number' && context?.source !== undefined ? { $number: context.source } : value;
}

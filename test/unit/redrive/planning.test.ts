import { describe, expect, it } from 'vitest';
import type { StreamBatchInfo } from '../../../scripts/redrive/on-failure-record.js';
import { receivedWindowFor } from '../../../scripts/redrive/table-window.js';
import { tableMismatch, verdictFor } from '../../../scripts/redrive/verdict.js';

const batch: StreamBatchInfo = {
  shardId: 'shardId-1',
  startSequenceNumber: '100',
  endSequenceNumber: '108',
  approximateArrivalOfFirstRecord: '2026-11-26T20:00:49Z',
  approximateArrivalOfLastRecord: '2026-11-26T20:00:51Z',
  batchSize: 5,
  streamArn:
    'arn:aws:dynamodb:eu-central-1:123456789012:table/CampaignEvents-Events/stream/2026-11-01T00:00:00.000',
};
const window = { from: '2026-11-26T19:59:49.000Z', to: '2026-11-26T20:01:51.000Z' };

describe('receivedWindowFor', () => {
  it('widens the arrival span of the batch by the margin on both sides, in the items’ ISO-8601 form', () => {
    expect(receivedWindowFor(batch, 60)).toEqual(window);
    expect(receivedWindowFor(batch, 0)).toEqual({
      from: '2026-11-26T20:00:49.000Z',
      to: '2026-11-26T20:00:51.000Z',
    });
    expect(receivedWindowFor(batch, 1.5)).toEqual({
      from: '2026-11-26T20:00:47.500Z',
      to: '2026-11-26T20:00:52.500Z',
    });
  });

  it('covers the span whichever arrival Lambda wrote first', () => {
    const swapped = {
      ...batch,
      approximateArrivalOfFirstRecord: batch.approximateArrivalOfLastRecord,
      approximateArrivalOfLastRecord: batch.approximateArrivalOfFirstRecord,
    };
    expect(receivedWindowFor(swapped, 60)).toEqual(window);
  });

  it('refuses a negative margin', () => {
    expect(() => receivedWindowFor(batch, -1)).toThrow('non-negative');
  });
});

describe('verdictFor', () => {
  const fromStream = { kind: 'stream', recordsRead: 7 } as const;
  const fromTable = (eventsFound: number) =>
    ({ kind: 'table', streamUnavailable: 'TrimmedDataAccessException: gone', window, eventsFound }) as const;
  const strict = { acceptTableWindow: false };
  const accepting = { acceptTableWindow: true };

  it('is complete when every record read from the stream was published', () => {
    expect(verdictFor(batch, fromStream, [], strict)).toEqual({ complete: true });
    expect(verdictFor(batch, fromStream, [], accepting)).toEqual({ complete: true });
  });

  it('never lets a batch read from the table go on its own: the table cannot prove it complete', () => {
    // A redelivery rewrote a parked event's receivedAt, so it is outside the window while neighbours
    // make up the count: 5 events found for a batch of 5, one of them not the batch's.
    for (const found of [5, 40]) {
      expect(verdictFor(batch, fromTable(found), [], strict)).toEqual({
        complete: false,
        unproven: true,
        reason:
          'its events were read from the table, which cannot prove that every event of the batch was among ' +
          'them (a later redelivery moves an event out of the window); check the fan-out log ' +
          '(docs/REPLAY.md), then delete it by hand or run again with --accept-table-window',
      });
    }
  });

  it('lets a table window go only when the operator accepts it and it holds enough events', () => {
    expect(verdictFor(batch, fromTable(5), [], accepting)).toEqual({ complete: true });
    expect(verdictFor(batch, fromTable(40), [], accepting)).toEqual({ complete: true });
  });

  it('keeps the message when an event was not published, naming the first', () => {
    const failures = [
      { sequenceNumber: '103', eventType: 'bounce', eventKey: 'bounce#ab', reason: 'InternalError: boom' },
      { sequenceNumber: '104', eventType: 'bounce', eventKey: 'bounce#cd', reason: 'InternalError: boom' },
    ] as const;
    expect(verdictFor(batch, fromStream, failures, strict)).toEqual({
      complete: false,
      reason: '2 event(s) not published (first: bounce bounce#ab: InternalError: boom)',
    });
    expect(verdictFor(batch, fromTable(5), failures, accepting)).toMatchObject({ complete: false });
    expect(
      verdictFor(
        batch,
        fromStream,
        [{ sequenceNumber: '105', reason: 'unreadable image: the record has no NewImage' }],
        strict,
      ),
    ).toEqual({
      complete: false,
      reason: '1 event(s) not published (first: a record: unreadable image: the record has no NewImage)',
    });
  });

  it('keeps the message when the table window holds fewer events than the batch had records, even accepted', () => {
    for (const options of [strict, accepting]) {
      expect(verdictFor(batch, fromTable(4), [], options)).toEqual({
        complete: false,
        reason:
          'the table holds 4 accepted event(s) received around the batch, fewer than its 5 record(s): the others ' +
          'were overwritten by a later redelivery or removed by TTL (try a wider --window-margin)',
      });
    }
  });
});

describe('tableMismatch', () => {
  it('accepts a batch of the table’s own stream, and names the other table otherwise', () => {
    expect(tableMismatch(batch, 'CampaignEvents-Events')).toBeUndefined();
    expect(tableMismatch(batch, 'Other-Events')).toBe(
      'its stream belongs to table CampaignEvents-Events, not to Other-Events',
    );
  });
});

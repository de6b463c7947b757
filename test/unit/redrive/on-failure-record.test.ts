import { describe, expect, it } from 'vitest';
import { parseOnFailureRecord, streamArnParts } from '../../../scripts/redrive/on-failure-record.js';

/** The example record of the Lambda developer guide (services-dynamodb-errors), with this stack's names. */
const RECORD = {
  requestContext: {
    requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
    functionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:CampaignEvents-FanOut',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 11,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2026-11-26T20:01:02.345Z',
  DDBStreamBatchInfo: {
    shardId: 'shardId-00000001604582374620-e4d6a1f0',
    startSequenceNumber: '202328600001712385967261751',
    endSequenceNumber: '202328600001712385967261759',
    approximateArrivalOfFirstRecord: '2026-11-26T20:00:49Z',
    approximateArrivalOfLastRecord: '2026-11-26T20:00:51Z',
    batchSize: 9,
    streamArn:
      'arn:aws:dynamodb:eu-central-1:123456789012:table/CampaignEvents-EventTable/stream/2026-11-01T00:00:00.000',
  },
};

const parse = (value: unknown) =>
  parseOnFailureRecord(typeof value === 'string' ? value : JSON.stringify(value));
const withBatch = (changes: Record<string, unknown>) => ({
  ...RECORD,
  DDBStreamBatchInfo: { ...RECORD.DDBStreamBatchInfo, ...changes },
});

describe('parseOnFailureRecord', () => {
  it('reads the batch Lambda gave up on, and why', () => {
    expect(parse(RECORD)).toEqual({
      ok: true,
      record: {
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 11,
        functionError: 'Unhandled',
        timestamp: '2026-11-26T20:01:02.345Z',
        batch: RECORD.DDBStreamBatchInfo,
      },
    });
  });

  it('needs only the batch and the condition; extra fields are allowed', () => {
    const minimal = {
      requestContext: { condition: 'RecordAgeExceeded' },
      DDBStreamBatchInfo: RECORD.DDBStreamBatchInfo,
      somethingNew: { added: 'by AWS later' },
    };
    expect(parse(minimal)).toEqual({
      ok: true,
      record: { condition: 'RecordAgeExceeded', batch: RECORD.DDBStreamBatchInfo },
    });
    // A partial batch failure has no function error; Lambda may write it as null.
    const partial = { ...RECORD, responseContext: { statusCode: 200, functionError: null } };
    const reading = parse(partial);
    expect(reading.ok && 'functionError' in reading.record).toBe(false);
  });

  it('refuses what is not JSON, not an object, or not about a DynamoDB stream, without quoting it', () => {
    expect(parse('recipient jane@example.com bounced')).toEqual({
      ok: false,
      reason: 'the body is not JSON',
    });
    expect(parse('["jane@example.com"]')).toEqual({ ok: false, reason: 'the body is not a JSON object' });
    expect(
      parse({ requestContext: RECORD.requestContext, requestPayload: { to: 'jane@example.com' } }),
    ).toEqual({
      ok: false,
      reason: 'no DDBStreamBatchInfo: not an on-failure record of a DynamoDB stream batch',
    });
  });

  it('names each malformed field', () => {
    expect(parse(withBatch({ startSequenceNumber: 12 }))).toEqual({
      ok: false,
      reason: 'DDBStreamBatchInfo.startSequenceNumber: expected string',
    });
    expect(parse(withBatch({ endSequenceNumber: '12ab' }))).toEqual({
      ok: false,
      reason: 'DDBStreamBatchInfo.endSequenceNumber: must be a string of digits',
    });
    expect(parse(withBatch({ batchSize: 0, approximateArrivalOfLastRecord: 'yesterday' }))).toEqual({
      ok: false,
      reason:
        'DDBStreamBatchInfo.approximateArrivalOfLastRecord: must be an ISO-8601 time; DDBStreamBatchInfo.batchSize: must be at least 1',
    });
    expect(
      parse(withBatch({ streamArn: 'arn:aws:kinesis:eu-central-1:123456789012:stream/events' })),
    ).toEqual({
      ok: false,
      reason: 'DDBStreamBatchInfo.streamArn: must be a DynamoDB stream ARN',
    });
    const { shardId: _shardId, ...withoutShard } = RECORD.DDBStreamBatchInfo;
    expect(parse({ ...RECORD, DDBStreamBatchInfo: withoutShard })).toEqual({
      ok: false,
      reason: 'DDBStreamBatchInfo.shardId: is missing',
    });
    expect(parse({ ...RECORD, requestContext: {} })).toEqual({
      ok: false,
      reason: 'requestContext.condition: is missing',
    });
  });

  it('refuses a range that ends before it starts, comparing sequence numbers as numbers', () => {
    expect(parse(withBatch({ startSequenceNumber: '1000', endSequenceNumber: '999' }))).toEqual({
      ok: false,
      reason: 'DDBStreamBatchInfo.startSequenceNumber is after endSequenceNumber',
    });
    // Longer is larger, whatever the leading digit.
    expect(parse(withBatch({ startSequenceNumber: '999', endSequenceNumber: '1000' })).ok).toBe(true);
  });
});

describe('streamArnParts', () => {
  it('names the table and region of a stream', () => {
    expect(streamArnParts(RECORD.DDBStreamBatchInfo.streamArn)).toEqual({
      region: 'eu-central-1',
      tableName: 'CampaignEvents-EventTable',
    });
    expect(
      streamArnParts('arn:aws:dynamodb:ddblocal:000000000000:table/events-1/stream/2026-11-26T20:43:14.488'),
    ).toEqual({ region: 'ddblocal', tableName: 'events-1' });
    expect(() => streamArnParts('arn:aws:sqs:eu-central-1:1:q')).toThrow('Not a DynamoDB stream ARN');
  });
});

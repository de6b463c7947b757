import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { toLambdaRecord } from '../../../scripts/redrive/stream-record.js';

const STREAM_ARN = 'arn:aws:dynamodb:eu-central-1:123456789012:table/Events/stream/2026-11-01T00:00:00.000';

describe('toLambdaRecord', () => {
  it('shapes a Streams API record as Lambda hands it to a stream consumer', () => {
    const record: StreamRecord = {
      eventID: 'e-1',
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        ApproximateCreationDateTime: new Date('2026-11-26T20:00:49.750Z'),
        Keys: { eventKey: { S: 'bounce#ab' } },
        NewImage: {
          eventKey: { S: 'bounce#ab' },
          clientId: { N: '100001' },
          raw: { B: new TextEncoder().encode('hi') },
          parts: { BS: [new Uint8Array([1, 2])] },
          nested: { M: { flags: { L: [{ BOOL: true }, { NULL: true }] }, tags: { SS: ['a'] } } },
          ids: { NS: ['1', '2'] },
        },
        SequenceNumber: '100',
        SizeBytes: 120,
        StreamViewType: 'NEW_IMAGE',
      },
      userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
    };
    expect(toLambdaRecord(record, STREAM_ARN, 'eu-central-1')).toEqual({
      eventID: 'e-1',
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-central-1',
      eventSourceARN: STREAM_ARN,
      dynamodb: {
        ApproximateCreationDateTime: 1795723249,
        Keys: { eventKey: { S: 'bounce#ab' } },
        NewImage: {
          eventKey: { S: 'bounce#ab' },
          clientId: { N: '100001' },
          raw: { B: 'aGk=' },
          parts: { BS: ['AQI='] },
          nested: { M: { flags: { L: [{ BOOL: true }, { NULL: true }] }, tags: { SS: ['a'] } } },
          ids: { NS: ['1', '2'] },
        },
        SequenceNumber: '100',
        SizeBytes: 120,
        StreamViewType: 'NEW_IMAGE',
      },
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    });
  });

  it('leaves out what the record does not carry', () => {
    const lambda = toLambdaRecord({ eventName: 'REMOVE', dynamodb: {} }, STREAM_ARN, 'ddblocal');
    expect(lambda.dynamodb).toEqual({});
    expect(lambda).not.toHaveProperty('userIdentity');
    expect(lambda.awsRegion).toBe('ddblocal');
  });

  it('refuses an attribute value of no known type rather than dropping it', () => {
    const record = { dynamodb: { NewImage: { odd: {} as never } } } as StreamRecord;
    expect(() => toLambdaRecord(record, STREAM_ARN, 'eu-central-1')).toThrow(
      'Unknown attribute value type in stream record: {}',
    );
  });
});

import type { DynamoDBRecord, StreamRecord as LambdaStreamRecord } from 'aws-lambda';

/** The fields of a GetRecords record around its `dynamodb` part, whether read by the SDK or off the wire. */
export interface StreamRecordEnvelope {
  readonly eventID?: string;
  readonly eventName?: DynamoDBRecord['eventName'];
  readonly eventVersion?: string;
  readonly eventSource?: string;
  readonly userIdentity?: { readonly Type?: string; readonly PrincipalId?: string };
}

/**
 * A stream record as Lambda hands it to a consumer: the GetRecords envelope, the `dynamodb` part already
 * in Lambda's form, and the region and stream ARN, which GetRecords leaves out.
 */
export function lambdaStreamRecord(
  record: StreamRecordEnvelope,
  dynamodb: LambdaStreamRecord,
  streamArn: string,
  region: string,
): DynamoDBRecord {
  const lambdaRecord: DynamoDBRecord = {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: region,
    dynamodb,
    eventSourceARN: streamArn,
  };
  if (record.userIdentity) {
    lambdaRecord.userIdentity = {
      type: record.userIdentity.Type,
      principalId: record.userIdentity.PrincipalId,
    };
  }
  return lambdaRecord;
}

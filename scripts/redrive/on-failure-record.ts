import * as v from 'valibot';

/**
 * The record Lambda sends to a stream event source mapping's on-failure destination when it gives up on
 * a DynamoDB stream batch. It names the batch's place in the stream, not its records:
 *
 * ```json
 * { "requestContext": { "requestId": "…", "functionArn": "…", "condition": "RetryAttemptsExhausted",
 *                       "approximateInvokeCount": 11 },
 *   "responseContext": { "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled" },
 *   "version": "1.0", "timestamp": "2026-11-26T20:01:02.345Z",
 *   "DDBStreamBatchInfo": { "shardId": "shardId-…", "startSequenceNumber": "…", "endSequenceNumber": "…",
 *     "approximateArrivalOfFirstRecord": "2026-11-26T20:01:01Z", "approximateArrivalOfLastRecord": "…",
 *     "batchSize": 3, "streamArn": "arn:aws:dynamodb:…:table/<name>/stream/<label>" } }
 * ```
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html). Fields the replay does
 * not need are optional; unknown fields are allowed, since AWS may add some.
 */
export interface StreamBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  /** ISO-8601; Lambda writes whole seconds (the stream records' ApproximateCreationDateTime). */
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  /** Records in the batch Lambda gave up on (after its filter; the stream range may hold more). */
  readonly batchSize: number;
  readonly streamArn: string;
}

export interface OnFailureRecord {
  /** Why Lambda gave up, e.g. RetryAttemptsExhausted or RecordAgeExceeded. */
  readonly condition: string;
  readonly approximateInvokeCount?: number;
  /** Set when the last invocation failed as a whole (e.g. Unhandled), absent for a partial failure. */
  readonly functionError?: string;
  /** When Lambda wrote the record. */
  readonly timestamp?: string;
  readonly batch: StreamBatchInfo;
}

export type OnFailureRecordReading =
  | { readonly ok: true; readonly record: OnFailureRecord }
  | { readonly ok: false; readonly reason: string };

const SequenceNumber = v.pipe(v.string(), v.regex(/^\d{1,64}$/, 'must be a string of digits'));
const Timestamp = v.pipe(
  v.string(),
  v.check(
    (text) => /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text)),
    'must be an ISO-8601 time',
  ),
);
const STREAM_ARN =
  /^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table\/([A-Za-z0-9_.-]{3,255})\/stream\/(.+)$/;

const BatchInfoSchema = v.looseObject({
  shardId: v.pipe(v.string(), v.nonEmpty('must not be empty')),
  startSequenceNumber: SequenceNumber,
  endSequenceNumber: SequenceNumber,
  approximateArrivalOfFirstRecord: Timestamp,
  approximateArrivalOfLastRecord: Timestamp,
  batchSize: v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1, 'must be at least 1')),
  streamArn: v.pipe(v.string(), v.regex(STREAM_ARN, 'must be a DynamoDB stream ARN')),
});

const OnFailureRecordSchema = v.looseObject({
  requestContext: v.looseObject({
    condition: v.string(),
    approximateInvokeCount: v.optional(v.number()),
  }),
  responseContext: v.optional(v.looseObject({ functionError: v.optional(v.nullable(v.string())) })),
  timestamp: v.optional(v.string()),
  DDBStreamBatchInfo: BatchInfoSchema,
});

/**
 * Reads an SQS message body as an on-failure record of a DynamoDB stream batch, or says precisely why it
 * is not one. The reason never quotes the body (a foreign message may carry anything).
 */
export function parseOnFailureRecord(body: string): OnFailureRecordReading {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, reason: 'the body is not a JSON object' };
  }
  if (!('DDBStreamBatchInfo' in json)) {
    return {
      ok: false,
      reason: 'no DDBStreamBatchInfo: not an on-failure record of a DynamoDB stream batch',
    };
  }
  const result = v.safeParse(OnFailureRecordSchema, json);
  if (!result.success) return { ok: false, reason: result.issues.slice(0, 3).map(describeIssue).join('; ') };
  const { requestContext, responseContext, timestamp, DDBStreamBatchInfo: info } = result.output;
  if (BigInt(info.startSequenceNumber) > BigInt(info.endSequenceNumber)) {
    return {
      ok: false,
      reason: 'DDBStreamBatchInfo.startSequenceNumber is after endSequenceNumber',
    };
  }
  return {
    ok: true,
    record: {
      condition: requestContext.condition,
      ...(requestContext.approximateInvokeCount !== undefined && {
        approximateInvokeCount: requestContext.approximateInvokeCount,
      }),
      ...(typeof responseContext?.functionError === 'string' && {
        functionError: responseContext.functionError,
      }),
      ...(timestamp !== undefined && { timestamp }),
      batch: {
        shardId: info.shardId,
        startSequenceNumber: info.startSequenceNumber,
        endSequenceNumber: info.endSequenceNumber,
        approximateArrivalOfFirstRecord: info.approximateArrivalOfFirstRecord,
        approximateArrivalOfLastRecord: info.approximateArrivalOfLastRecord,
        batchSize: info.batchSize,
        streamArn: info.streamArn,
      },
    },
  };
}

/** The table and region a DynamoDB stream ARN belongs to. */
export function streamArnParts(streamArn: string): { region: string; tableName: string } {
  const match = STREAM_ARN.exec(streamArn);
  if (match === null) throw new Error(`Not a DynamoDB stream ARN: ${streamArn}`);
  return { region: match[1] as string, tableName: match[3] as string };
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue) ?? '(root)';
  if (issue.kind !== 'schema') return `${path}: ${issue.message}`;
  // Type mismatches name what was expected, not the value that was found.
  return `${path}: ${issue.received === 'undefined' ? 'is missing' : `expected ${issue.expected}`}`;
}

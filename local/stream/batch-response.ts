import type { DynamoDBRecord } from 'aws-lambda';

/** How one invocation of a stream batch ended, as the event source mapping reads it. */
export type Outcome =
  | { kind: 'success' }
  | { kind: 'partial-failure'; fromIndex: number; checkpoint: string }
  | { kind: 'error'; error: unknown };

/**
 * Lambda's reading of a handler response under ReportBatchItemFailures: no response, no or an empty
 * batchItemFailures list is a success; an identifier that is missing, empty or not in the batch makes the
 * whole batch a failure; otherwise the batch is retried from the lowest reported sequence number.
 */
export function interpretResponse(response: unknown, records: DynamoDBRecord[]): Outcome {
  if (response === undefined || response === null) return { kind: 'success' };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return {
      kind: 'error',
      error: new Error(`Invalid batch response (not an object): ${JSON.stringify(response)}`),
    };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'error', error: new Error('Invalid batch response: batchItemFailures is not a list') };
  }
  if (failures.length === 0) return { kind: 'success' };
  const indexBySequence = new Map(records.map((record, index) => [record.dynamodb?.SequenceNumber, index]));
  let fromIndex = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index =
      typeof identifier === 'string' && identifier !== '' ? indexBySequence.get(identifier) : undefined;
    if (index === undefined) {
      return {
        kind: 'error',
        error: new Error(
          `Invalid batch response: itemIdentifier ${JSON.stringify(identifier)} is not a sequence number of this batch`,
        ),
      };
    }
    fromIndex = Math.min(fromIndex, index);
  }
  const checkpoint = records[fromIndex]?.dynamodb?.SequenceNumber as string;
  return { kind: 'partial-failure', fromIndex, checkpoint };
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRequestBody } from '../request-body.js';
import { errors, SqsError } from './errors.js';
import type { SqsOperation } from './operations.js';

const MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;

export interface RecordedSqsRequest {
  operation: string;
  status: number;
  /** The error type (e.g. QueueDoesNotExist) when the request was answered with an error. */
  errorType?: string;
}

/** The stand-in's HTTP side: an AWS JSON 1.0 request in, its operation's JSON (or the error) out. */
export function sqsRequestHandler(
  operations: Record<string, SqsOperation>,
  requests: RecordedSqsRequest[],
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    const requestId = randomUUID();
    const target = String(request.headers['x-amz-target'] ?? '');
    const operationName = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : target;
    const answer = (status: number, body: object, error?: SqsError) => {
      requests.push({
        operation: operationName || '(none)',
        status,
        ...(error !== undefined && { errorType: error.type }),
      });
      const json = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(json),
        'x-amzn-requestid': requestId,
        ...(error !== undefined && {
          'x-amzn-query-error': `${error.queryCode};${error.status >= 500 ? 'Receiver' : 'Sender'}`,
        }),
      });
      response.end(json);
    };
    try {
      const text = await readRequestBody(request, MAX_REQUEST_BODY_BYTES, () =>
        errors.invalidParameter(`The request body is over ${MAX_REQUEST_BODY_BYTES} bytes.`),
      );
      const operation = operationOf(operations, target, operationName);
      answer(200, await operation(parseInput(text)));
    } catch (error) {
      const sqsError =
        error instanceof SqsError
          ? error
          : new SqsError(
              500,
              'InternalError',
              'InternalError',
              `Local SQS stand-in failure: ${String(error)}`,
            );
      answer(
        sqsError.status,
        { __type: `com.amazonaws.sqs#${sqsError.type}`, message: sqsError.message },
        sqsError,
      );
    }
  };
}

function operationOf(
  operations: Record<string, SqsOperation>,
  target: string,
  operationName: string,
): SqsOperation {
  if (!target.startsWith('AmazonSQS.')) {
    throw errors.unsupported(
      'The local SQS stand-in speaks the AWS JSON 1.0 protocol only (X-Amz-Target: AmazonSQS.<Operation>)',
    );
  }
  const operation = operations[operationName];
  if (operation === undefined) {
    throw errors.unsupported(
      `The local SQS stand-in does not implement ${operationName} (supported: ${Object.keys(operations).join(', ')})`,
    );
  }
  return operation;
}

function parseInput(text: string): Record<string, unknown> {
  let input: unknown;
  try {
    input = JSON.parse(text === '' ? '{}' : text);
  } catch {
    throw new SqsError(
      400,
      'SerializationException',
      'SerializationException',
      'The request body is not JSON.',
    );
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new SqsError(
      400,
      'SerializationException',
      'SerializationException',
      'The request body must be a JSON object.',
    );
  }
  return input as Record<string, unknown>;
}

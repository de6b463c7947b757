import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorSummary } from '../shared/error-policy.js';

/** A JSON response; `Cache-Control: no-store` because every answer is about one delivery. */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: JSON.stringify(body),
  };
}

/** The value of a request header, matched case-insensitively (the last one when it was sent twice). */
export function headerValue(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values !== undefined && values.length > 0) return values.at(-1);
  }
  return undefined;
}

/**
 * The ingest's error policy, an HTTP API's: an unexpected error is logged once (name and message, see
 * errorSummary) and answered 500 with no detail, so the sender retries the batch (storage is idempotent).
 */
export function answerInternalError(
  logger: Logger,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    name: 'answerInternalError',
    onError: (request) => {
      logger.error('Request failed; answering 500', { error: errorSummary(request.error) });
      request.response = jsonResponse(500, { message: 'Internal error; retry later' });
    },
  };
}

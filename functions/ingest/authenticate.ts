import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { EndpointKeyVerifier } from './endpoint-keys.js';
import { headerValue, jsonResponse } from './http.js';

export interface AuthenticateOptions {
  /** Header carrying the endpoint key, matched case-insensitively. */
  readonly headerName: string;
  readonly verifier: EndpointKeyVerifier;
  /** Called once per refused request (metrics, logs); never given the presented key. */
  readonly onRejected?: (cause: 'missing-key' | 'wrong-key') => void;
  /** Called when the keys cannot be read (Secrets Manager unreachable, or the secret unusable). */
  readonly onKeysUnavailable?: (error: unknown) => void;
}

/**
 * Authenticates a request from its key header alone, before anything reads the body: undefined when the
 * key is right, else the answer. A refused request gets 401 with `{"message":"Unauthorized"}` and nothing
 * else, whatever the cause. When the keys cannot be read the request gets 503, so the sender retries it
 * once they can. (A step of the handler, not a middleware: a middleware's early answer would skip the
 * Powertools middlewares' end of invocation, the metrics flush and the trace segment's close.)
 */
export async function authenticate(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>,
  options: AuthenticateOptions,
): Promise<APIGatewayProxyResult | undefined> {
  const presented = headerValue(event, options.headerName);
  if (presented === undefined || presented === '') {
    options.onRejected?.('missing-key');
    return unauthorized();
  }
  let verified: boolean;
  try {
    verified = await options.verifier.verify(presented);
  } catch (error) {
    options.onKeysUnavailable?.(error);
    return jsonResponse(503, { message: 'The endpoint key cannot be checked right now; retry later' });
  }
  if (!verified) {
    options.onRejected?.('wrong-key');
    return unauthorized();
  }
  return undefined;
}

function unauthorized(): APIGatewayProxyResult {
  return jsonResponse(401, { message: 'Unauthorized' });
}

import type { MiddlewareObj } from '@middy/core';
import type { Tracer } from './tracer.js';

/**
 * The middy middleware that traces each invocation: first in every chain, so its subsegment spans the
 * others, and an error that the chain answers (the ingest's 500) is still recorded as the invocation's.
 */
export function captureLambdaHandler(tracer: Tracer): MiddlewareObj {
  return {
    before: () => tracer.startInvocation(),
    after: () => tracer.endInvocation(),
    onError: (request) => tracer.endInvocation(request.error ?? new Error('invocation failed')),
  };
}

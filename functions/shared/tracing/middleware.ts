import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Tracer } from './tracer.js';

/** Sent this long before Lambda's deadline, the calls finished so far survive a timeout. */
const FLUSH_BEFORE_DEADLINE_MS = 500;

function flushDelay(context: Partial<Pick<Context, 'getRemainingTimeInMillis'>>): number | undefined {
  const remaining = context.getRemainingTimeInMillis?.();
  return remaining === undefined ? undefined : Math.max(0, remaining - FLUSH_BEFORE_DEADLINE_MS);
}

/**
 * The middy middleware that traces each invocation: first in every chain, so its subsegment spans the
 * others, and an error that the chain answers (the ingest's 500) is still recorded as the invocation's.
 */
export function captureLambdaHandler(tracer: Tracer): MiddlewareObj {
  return {
    before: (request) => tracer.startInvocation(flushDelay(request.context)),
    after: () => tracer.endInvocation(),
    onError: (request) => tracer.endInvocation(request.error ?? new Error('invocation failed')),
  };
}

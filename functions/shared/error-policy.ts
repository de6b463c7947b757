import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';

/** What an error policy logs of an error: its name and message only, never a cause (it may hold a URL or a secret). */
export function errorSummary(error: unknown): { name: string; message?: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'unknown' };
}

/**
 * The error policy of an asynchronously invoked (or custom resource) function: an error that reaches the
 * handler's edge is logged once (see {@link errorSummary}) and thrown on, so Lambda retries the
 * invocation and then parks it in its dead-letter queue (or CloudFormation gets the failure).
 */
export function failInvocation(logger: Logger, message: string): middy.MiddlewareObj {
  return {
    onError: async (request) => {
      logger.error(message, { error: errorSummary(request.error) });
    },
  };
}

import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';

/**
 * The error policy of an asynchronously invoked (or custom resource) function: an error that reaches the
 * handler's edge is logged once, by name and message only (never a cause, which may hold a URL or a
 * secret), and thrown on, so Lambda retries the invocation and then parks it in its dead-letter queue
 * (or CloudFormation gets the failure).
 */
export function failInvocation(logger: Logger, message: string): middy.MiddlewareObj {
  return {
    onError: async (request) => {
      const error = request.error;
      logger.error(message, {
        error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'unknown' },
      });
    },
  };
}

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createTracer, type Tracer } from './tracing/tracer.js';

export { traced } from './tracing/aws-calls.js';

/**
 * What every Lambda of this project observes itself with, created once at module scope of its handler.ts:
 * the Powertools Logger and Metrics, and the project's X-Ray tracer (functions/shared/tracing/).
 * Service name, metrics namespace and log level come from the environment ProjectFunction sets
 * (RUNTIME_ENV in contracts/environment.ts), so nothing here is configured twice.
 *
 * The tracer traces only invocations Lambda sampled (active tracing): outside Lambda (tests, `npm start`)
 * there is no trace header, so nothing is traced and no X-Ray daemon is needed.
 */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

export function createObservability(): Observability {
  return { logger: new Logger(), metrics: new Metrics(), tracer: createTracer() };
}

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The Powertools trio every Lambda of this project uses, created once at module scope of its handler.ts.
 * Service name, metrics namespace and log level come from the environment ProjectFunction sets
 * (RUNTIME_ENV in contracts/environment.ts), so nothing here is configured twice.
 *
 * Outside Lambda (tests, `npm start`) the Tracer is off by itself: Powertools enables it only when
 * AWS_EXECUTION_ENV is set, so no segment is opened and no X-Ray daemon is needed;
 * POWERTOOLS_TRACE_ENABLED=false turns it off in Lambda too.
 */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

export function createObservability(): Observability {
  return { logger: new Logger(), metrics: new Metrics(), tracer: new Tracer() };
}

/** An AWS SDK v3 client whose calls appear as subsegments of the invocation's trace (a no-op when tracing is off). */
export function traced<Client extends object>(tracer: Tracer, client: Client): Client {
  return tracer.captureAWSv3Client(client);
}

import type { Context } from 'aws-lambda';
import type { MetricStore } from './metric-store.js';
import type { LocalFunctionKey } from './stack-model.js';

/**
 * The AWS service metrics the stack's alarms read, as the local stand-ins can observe them: API Gateway
 * Count/4XXError/5XXError of the ingest stage, Lambda Invocations/Errors (and the fan-out's IteratorAge),
 * and the dead-letter queues' ApproximateNumberOfMessagesVisible. Named and dimensioned as CloudWatch
 * names them, with the local resource names the stack's dimensions resolve to.
 */
export class ServiceMetrics {
  constructor(
    private readonly store: MetricStore,
    private readonly names: {
      readonly restApiName: string;
      readonly stageName: string;
      readonly functionNames: ReadonlyMap<LocalFunctionKey, string>;
      readonly queueNames: ReadonlyMap<string, string>;
    },
  ) {}

  /** One request answered by the ingest integration; `undefined` when the handler failed (a 502). */
  apiRequest(statusCode: number | undefined): void {
    const status = statusCode ?? 502;
    const dimensions = { ApiName: this.names.restApiName, Stage: this.names.stageName };
    this.put('AWS/ApiGateway', 'Count', dimensions, 1);
    this.put('AWS/ApiGateway', '4XXError', dimensions, status >= 400 && status < 500 ? 1 : 0);
    this.put('AWS/ApiGateway', '5XXError', dimensions, status >= 500 ? 1 : 0);
  }

  invocation(key: LocalFunctionKey, failed: boolean): void {
    const dimensions = { FunctionName: this.functionName(key) };
    this.put('AWS/Lambda', 'Invocations', dimensions, 1);
    this.put('AWS/Lambda', 'Errors', dimensions, failed ? 1 : 0);
  }

  /** Milliseconds from the oldest record of a stream batch to its invocation. */
  iteratorAge(key: LocalFunctionKey, ms: number): void {
    this.put('AWS/Lambda', 'IteratorAge', { FunctionName: this.functionName(key) }, Math.max(0, ms));
  }

  /** The depth of every queue (0 for those not given). */
  queueDepths(depths: ReadonlyMap<string, number>): void {
    for (const [logicalId, name] of this.names.queueNames) {
      this.put(
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        { QueueName: name },
        depths.get(logicalId) ?? 0,
      );
    }
  }

  /** The handler, recording Invocations and Errors as Lambda does (a thrown error is an Error). */
  instrument<E, R>(
    key: LocalFunctionKey,
    handler: (event: E, context: Context) => Promise<R>,
  ): (event: E, context: Context) => Promise<R> {
    return async (event, context) => {
      try {
        const result = await handler(event, context);
        this.invocation(key, false);
        return result;
      } catch (error) {
        this.invocation(key, true);
        throw error;
      }
    };
  }

  private functionName(key: LocalFunctionKey): string {
    return this.names.functionNames.get(key) ?? key;
  }

  private put(namespace: string, name: string, dimensions: Record<string, string>, value: number): void {
    this.store.put({ namespace, name, dimensions, timestamp: Date.now(), values: [value] });
  }
}

import { daemonSender, type SendSubsegment } from './daemon.js';
import { InvocationTrace } from './invocation-trace.js';
import type { AnnotationValue, Subsegment } from './subsegment.js';
import { parseTraceHeader } from './trace-header.js';

/** A call traced as a child of the invocation: its subsegment, the header to send downstream, its end. */
export interface TracedCall {
  readonly subsegment: Subsegment;
  readonly traceHeader: string;
  /** Closes the call's subsegment; it goes out with the invocation's (or on its own, if that is sent). */
  end(): void;
}

/**
 * X-Ray tracing of one function: a subsegment per invocation Lambda sampled (`## <handler>`, with the
 * annotations a person debugging searches by), holding a subsegment per AWS SDK or HTTP call, sent to
 * Lambda's X-Ray daemon (invocation-trace.ts). An invocation that is not sampled costs a header read;
 * outside Lambda there is no trace header, so nothing is traced. Tracing never fails an invocation.
 *
 * One invocation at a time per process, as Lambda runs functions (not Lambda Managed Instances): the
 * invocation being traced is this object's state, no async context is needed.
 */
export interface Tracer {
  /**
   * Opens the invocation's subsegment if Lambda sampled it (captureLambdaHandler calls this), and sends
   * what is finished so far `flushAfterMs` later if the invocation is still running then.
   */
  startInvocation(flushAfterMs?: number): void;
  /** Closes and sends the invocation's subsegment, recording the error that ended it, if any. */
  endInvocation(error?: unknown): void;
  /** Annotates the invocation's subsegment (indexed by X-Ray: searchable with filter expressions). */
  putAnnotation(key: string, value: AnnotationValue): void;
  /** Opens a child subsegment of the invocation, or nothing when the invocation is not traced. */
  startCall(name: string): TracedCall | undefined;
}

export interface TracerOptions {
  /** @default daemonSender() (AWS_XRAY_DAEMON_ADDRESS) */
  readonly send?: SendSubsegment;
  /** @default the invocation's `_X_AMZN_TRACE_ID` */
  readonly traceHeader?: () => string | undefined;
  /** @default `## ${_HANDLER}`, as Lambda's own tools name it */
  readonly invocationName?: string;
  /** @default POWERTOOLS_SERVICE_NAME */
  readonly serviceName?: string;
}

export function createTracer(options: TracerOptions = {}): Tracer {
  const traceHeader = options.traceHeader ?? (() => process.env._X_AMZN_TRACE_ID);
  const name = options.invocationName ?? `## ${process.env._HANDLER ?? 'handler'}`;
  const service = options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME;
  const send = neverThrowing(() => options.send ?? daemonSender());
  let coldStart = true;
  let current: { trace: InvocationTrace; flushTimer?: NodeJS.Timeout } | undefined;

  return {
    startInvocation(flushAfterMs) {
      const header = parseTraceHeader(traceHeader());
      const annotations = { ColdStart: coldStart, ...(service === undefined ? {} : { Service: service }) };
      coldStart = false;
      current = undefined;
      if (header?.parent === undefined || !header.sampled) return;
      const trace = new InvocationTrace({ ...header, parent: header.parent }, name, annotations, send);
      const flushTimer =
        flushAfterMs === undefined ? undefined : setTimeout(() => trace.flush(), flushAfterMs);
      flushTimer?.unref();
      current = { trace, flushTimer };
    },
    endInvocation(error) {
      const ending = current;
      current = undefined;
      clearTimeout(ending?.flushTimer);
      ending?.trace.end(error);
    },
    putAnnotation(key, value) {
      current?.trace.annotate(key, value);
    },
    startCall(callName) {
      return current?.trace.startCall(callName);
    },
  };
}

/** The sender, made on first use; a sender that cannot be made, or a send that throws, is dropped. */
function neverThrowing(make: () => SendSubsegment): SendSubsegment {
  let send: SendSubsegment | undefined;
  let warned = false;
  return (document) => {
    try {
      send ??= make();
      send(document);
    } catch (error) {
      if (!warned) console.warn('X-Ray trace not sent', { error: String(error) });
      warned = true;
    }
  };
}

import { daemonSender, type SendSubsegment } from './daemon.js';
import { epochSeconds, openSubsegment, recordError, type SubsegmentDocument } from './subsegment.js';
import { formatTraceHeader, parseTraceHeader, type TraceHeader } from './trace-header.js';

export type AnnotationValue = string | number | boolean;

/** A call traced as a child of the invocation: its subsegment, and the header to send downstream. */
export interface TracedCall {
  readonly subsegment: SubsegmentDocument;
  readonly traceHeader: string;
}

/**
 * X-Ray tracing of one function: a subsegment per sampled invocation (`## <handler>`, with the
 * annotations a person debugging searches by), a child subsegment per AWS SDK or HTTP call, each sent to
 * Lambda's X-Ray daemon as it closes. An invocation Lambda did not sample costs nothing but reading
 * its trace header. Outside Lambda there is no trace header, so nothing is traced.
 *
 * One invocation at a time per process, as Lambda runs functions (not Lambda Managed Instances): the
 * invocation being traced is this object's state, no async context is needed.
 */
export interface Tracer {
  /** Opens the invocation's subsegment if Lambda sampled it (captureLambdaHandler calls this). */
  startInvocation(): void;
  /** Closes and sends the invocation's subsegment, recording the error that ended it, if any. */
  endInvocation(error?: unknown): void;
  /** Annotates the invocation's subsegment (indexed by X-Ray: searchable with filter expressions). */
  putAnnotation(key: string, value: AnnotationValue): void;
  /** Opens a child subsegment of the invocation, or nothing when the invocation is not traced. */
  startCall(name: string): TracedCall | undefined;
  /** Closes and sends a child subsegment. */
  endCall(call: TracedCall): void;
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
  let send = options.send;
  const traceHeader = options.traceHeader ?? (() => process.env._X_AMZN_TRACE_ID);
  const name = options.invocationName ?? `## ${process.env._HANDLER ?? 'handler'}`;
  const service = options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME;
  let coldStart = true;
  let current: { trace: TraceHeader; subsegment: SubsegmentDocument } | undefined;

  const emit = (subsegment: SubsegmentDocument) => {
    subsegment.end_time = epochSeconds();
    send ??= daemonSender();
    send(subsegment);
  };

  return {
    startInvocation() {
      const trace = parseTraceHeader(traceHeader());
      const wasCold = coldStart;
      coldStart = false;
      if (trace?.parent === undefined || !trace.sampled) {
        current = undefined;
        return;
      }
      const subsegment = openSubsegment(trace.root, trace.parent, name);
      subsegment.annotations = { ColdStart: wasCold, ...(service === undefined ? {} : { Service: service }) };
      current = { trace, subsegment };
    },
    endInvocation(error) {
      if (current === undefined) return;
      if (error !== undefined) recordError(current.subsegment, error);
      emit(current.subsegment);
      current = undefined;
    },
    putAnnotation(key, value) {
      if (current?.subsegment.annotations === undefined) return;
      current.subsegment.annotations[annotationKey(key)] = value;
    },
    startCall(callName) {
      if (current === undefined) return undefined;
      const subsegment = openSubsegment(current.trace.root, current.subsegment.id, callName);
      return { subsegment, traceHeader: formatTraceHeader(current.trace, subsegment.id) };
    },
    endCall(call) {
      emit(call.subsegment);
    },
  };
}

/** X-Ray indexes annotation keys of letters, digits and underscores only. */
const annotationKey = (key: string): string => key.replace(/[^A-Za-z0-9_]/g, '_');

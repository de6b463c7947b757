import { daemonSender, type SendSubsegment } from './daemon.js';
import {
  epochSeconds,
  openSubsegment,
  recordError,
  type Subsegment,
  type SubsegmentDocument,
} from './subsegment.js';
import { formatTraceHeader, parseTraceHeader, type TraceHeader } from './trace-header.js';

export type AnnotationValue = string | number | boolean;

/** A call traced as a child of the invocation: its subsegment, and the header to send downstream. */
export interface TracedCall {
  readonly subsegment: Subsegment;
  readonly traceHeader: string;
  readonly invocation: TracedInvocation;
}

interface TracedInvocation {
  readonly trace: TraceHeader;
  readonly document: SubsegmentDocument;
  sent: boolean;
}

/**
 * X-Ray tracing of one function: a subsegment per sampled invocation (`## <handler>`, with the
 * annotations a person debugging searches by) holding a subsegment per AWS SDK or HTTP call, sent to
 * Lambda's X-Ray daemon when the invocation ends (a call still open then is sent on its own when it ends). An invocation Lambda did not sample costs nothing but reading
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
  let current: TracedInvocation | undefined;

  const emit = (document: SubsegmentDocument) => {
    send ??= daemonSender();
    send(document);
  };

  return {
    startInvocation() {
      const trace = parseTraceHeader(traceHeader());
      const wasCold = coldStart;
      coldStart = false;
      current = undefined;
      if (trace?.parent === undefined || !trace.sampled) return;
      const document: SubsegmentDocument = {
        type: 'subsegment',
        trace_id: trace.root,
        parent_id: trace.parent,
        ...openSubsegment(name),
        annotations: { ColdStart: wasCold, ...(service === undefined ? {} : { Service: service }) },
      };
      current = { trace, document, sent: false };
    },
    endInvocation(error) {
      if (current === undefined) return;
      if (error !== undefined) recordError(current.document, error);
      current.document.end_time = epochSeconds();
      current.sent = true;
      emit(current.document);
      current = undefined;
    },
    putAnnotation(key, value) {
      if (current?.document.annotations === undefined) return;
      current.document.annotations[annotationKey(key)] = value;
    },
    startCall(callName) {
      if (current === undefined) return undefined;
      const subsegment = openSubsegment(callName);
      return {
        subsegment,
        traceHeader: formatTraceHeader(current.trace, subsegment.id),
        invocation: current,
      };
    },
    endCall({ subsegment, invocation }) {
      subsegment.end_time = epochSeconds();
      const { document } = invocation;
      if (invocation.sent)
        emit({ ...subsegment, type: 'subsegment', trace_id: document.trace_id, parent_id: document.id });
      else {
        document.subsegments ??= [];
        document.subsegments.push(subsegment);
      }
    },
  };
}

/** X-Ray indexes annotation keys of letters, digits and underscores only. */
const annotationKey = (key: string): string => key.replace(/[^A-Za-z0-9_]/g, '_');

import type { SendSubsegment } from './daemon.js';
import {
  type AnnotationValue,
  epochSeconds,
  independent,
  openSubsegment,
  recordError,
  type Subsegment,
  type SubsegmentDocument,
} from './subsegment.js';
import { formatTraceHeader, type TraceHeader } from './trace-header.js';

/** X-Ray indexes annotation keys of letters, digits and underscores only, and strings up to 1,000 characters. */
const annotationKey = (key: string): string => key.replace(/[^A-Za-z0-9_]/g, '_');
const MAX_ANNOTATION_CHARS = 1000;

/**
 * The trace of one sampled invocation: its `## <handler>` subsegment, with the calls made during it
 * nested (one datagram for the whole invocation). Before Lambda's deadline the calls finished so far are
 * sent on their own, with the invocation marked in progress, so a timeout does not lose them; a call
 * that ends after that, or after the invocation, is sent on its own.
 */
export class InvocationTrace {
  private readonly document: SubsegmentDocument;
  private calls: Subsegment[] = [];
  private streaming = false;

  constructor(
    private readonly trace: TraceHeader & { readonly parent: string },
    name: string,
    annotations: Record<string, AnnotationValue>,
    private readonly send: SendSubsegment,
  ) {
    this.document = independent(openSubsegment(name), trace.root, trace.parent);
    this.document.annotations = annotations;
  }

  annotate(key: string, value: AnnotationValue): void {
    const capped = typeof value === 'string' ? value.slice(0, MAX_ANNOTATION_CHARS) : value;
    if (this.document.annotations !== undefined) this.document.annotations[annotationKey(key)] = capped;
  }

  startCall(name: string): { subsegment: Subsegment; traceHeader: string; end(): void } {
    const subsegment = openSubsegment(name);
    return {
      subsegment,
      traceHeader: formatTraceHeader(this.trace, subsegment.id),
      end: () => {
        subsegment.end_time = epochSeconds();
        if (this.streaming) this.send(independent(subsegment, this.trace.root, this.document.id));
        else this.calls.push(subsegment);
      },
    };
  }

  /** Sends what is finished so far, before Lambda may stop the invocation at its deadline. */
  flush(): void {
    this.streaming = true;
    for (const call of this.calls) this.send(independent(call, this.trace.root, this.document.id));
    this.calls = [];
    this.send({ ...this.document, in_progress: true });
  }

  end(error?: unknown): void {
    if (error !== undefined) recordError(this.document, error);
    this.document.end_time = epochSeconds();
    if (this.calls.length > 0) this.document.subsegments = this.calls;
    this.calls = [];
    this.streaming = true;
    this.send(this.document);
  }
}

import { randomBytes } from 'node:crypto';

export type AnnotationValue = string | number | boolean;

/**
 * An X-Ray subsegment, with the fields AWS documents for segment documents
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html).
 */
export interface Subsegment {
  readonly id: string;
  readonly name: string;
  readonly start_time: number;
  end_time?: number;
  namespace?: 'aws' | 'remote';
  annotations?: Record<string, AnnotationValue>;
  aws?: Record<string, unknown>;
  http?: { request?: { method: string; url: string }; response?: { status?: number } };
  error?: true;
  fault?: true;
  throttle?: true;
  cause?: { exceptions: Array<{ id: string; type: string; message: string; remote?: true }> };
  subsegments?: Subsegment[];
  /** Sent before it ended (instead of `end_time`); the complete document, same id, replaces it. */
  in_progress?: true;
}

/** A subsegment sent on its own: it names its trace and its parent (the function's segment, or a subsegment). */
export interface SubsegmentDocument extends Subsegment {
  readonly type: 'subsegment';
  readonly trace_id: string;
  readonly parent_id: string;
}

export const newSubsegmentId = (): string => randomBytes(8).toString('hex');
export const epochSeconds = (): number => Date.now() / 1000;

export function openSubsegment(name: string): Subsegment {
  return { id: newSubsegmentId(), name, start_time: epochSeconds() };
}

/** A subsegment as a document of its own, under `parentId` (a subsegment, or the function's segment). */
export function independent(subsegment: Subsegment, traceId: string, parentId: string): SubsegmentDocument {
  return { ...subsegment, type: 'subsegment', trace_id: traceId, parent_id: parentId };
}

/** Flags a subsegment by HTTP status as X-Ray does: 429 throttle (and error), other 4xx error, 5xx fault. */
export function flagByStatus(subsegment: Subsegment, status: number | undefined): void {
  if (status === undefined) return;
  if (status === 429) subsegment.throttle = true;
  if (status >= 400 && status < 500) subsegment.error = true;
  else if (status >= 500) subsegment.fault = true;
}

const MAX_MESSAGE_CHARS = 1000;

/**
 * Records a thrown error: its type and message (or only its type: `withMessage` false, for errors whose
 * message may quote a URL), never its stack (the deployed bundle is minified; the stack is in the
 * function's log). A remote error (the called service answered with it) is not a fault of this function.
 */
export function recordError(
  subsegment: Subsegment,
  error: unknown,
  { remote = false, withMessage = true }: { remote?: boolean; withMessage?: boolean } = {},
): void {
  const type = error instanceof Error ? error.name : typeof error;
  const text = error instanceof Error ? error.message : String(error);
  const message = withMessage ? text.slice(0, MAX_MESSAGE_CHARS) : errorCode(error);
  subsegment.cause = {
    exceptions: [{ id: newSubsegmentId(), type, message, ...(remote ? { remote: true as const } : {}) }],
  };
  if (subsegment.error === undefined && subsegment.throttle === undefined) subsegment.fault = true;
}

/** The errno-style code of a network failure (undici puts it in `cause`), or nothing. */
function errorCode(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : '';
}

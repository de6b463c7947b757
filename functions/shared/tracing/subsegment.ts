import { randomBytes } from 'node:crypto';

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
  annotations?: Record<string, string | number | boolean>;
  aws?: Record<string, unknown>;
  http?: { request?: { method: string; url: string }; response?: { status?: number } };
  error?: true;
  fault?: true;
  throttle?: true;
  cause?: { exceptions: Array<{ id: string; type: string; message: string; remote?: true }> };
  subsegments?: Subsegment[];
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

/** Flags a subsegment by HTTP status as X-Ray does: 429 throttle (and error), other 4xx error, 5xx fault. */
export function flagByStatus(subsegment: Subsegment, status: number | undefined): void {
  if (status === undefined) return;
  if (status === 429) subsegment.throttle = true;
  if (status >= 400 && status < 500) subsegment.error = true;
  else if (status >= 500) subsegment.fault = true;
}

/**
 * Records a thrown error: its type and message, never its stack (the deployed bundle is minified; the
 * stack is in the function's log). A remote error (the called service answered with it) is not a fault
 * of this function.
 */
export function recordError(subsegment: Subsegment, error: unknown, remote = false): void {
  const type = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  subsegment.cause = {
    exceptions: [{ id: newSubsegmentId(), type, message, ...(remote ? { remote: true as const } : {}) }],
  };
  if (subsegment.error === undefined && subsegment.throttle === undefined) subsegment.fault = true;
}

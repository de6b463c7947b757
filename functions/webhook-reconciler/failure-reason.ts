/**
 * What a failed reconcile tells CloudFormation. The Provider framework sends the handler's error message,
 * its own "Logs: /aws/lambda/<function>" line and the Lambda error trace as the resource's Reason, and
 * CloudFormation refuses a response over 4,096 bytes: the operator then sees only "Response object is too
 * long" instead of what failed. So the message is capped, per-webhook lists are summarized, and the full
 * story goes to the reconciler's log group, which the message names.
 */

/** Bytes of the message CloudFormation gets; the rest of the 4,096 is the framework's line and fields. */
export const MAX_REASON_BYTES = 2500;
/** The log line (level ERROR) that holds everything about a failed request. */
export const REQUEST_FAILED = 'Custom resource request failed';
/** Failures of a list shown in full in a message; the others are counted. */
export const FAILURES_SHOWN = 3;
/** Longest text of one listed failure. */
const MAX_FAILURE_CHARS = 400;

/**
 * The lines of a failure list for an error message: the first {@link FAILURES_SHOWN} in full (each at
 * most a few hundred characters), then "and N more" pointing to where each one is logged.
 */
export function summarizeFailures(lines: readonly string[], whereLogged: string): string[] {
  const shown = lines
    .slice(0, FAILURES_SHOWN)
    .map((line) => (line.length > MAX_FAILURE_CHARS ? `${line.slice(0, MAX_FAILURE_CHARS - 3)}...` : line));
  const more = lines.length - shown.length;
  return more > 0 ? [...shown, `  ... and ${more} more (${whereLogged})`] : shown;
}

/** Longest last line kept when a message is cut (it says how the request ended, e.g. the clean-up). */
const MAX_LAST_LINE_BYTES = 1000;

/**
 * The error the handler throws to the Provider framework: the message cut to {@link MAX_REASON_BYTES}
 * (UTF-8), keeping its last line (the conclusion), with a pointer to the log group; and a one-line stack.
 * Lambda reports the stack split into lines and the framework appends all but the first to the Reason: a
 * full stack, or a multi-line message repeated there, would take the room the message needs.
 */
export function failureForCloudFormation(error: unknown, logGroupName: string | undefined): Error {
  const where = logGroupName === undefined ? "the reconciler's log group" : `log group ${logGroupName}`;
  const pointer = `Full details: ${where} (ERROR "${REQUEST_FAILED}").`;
  const text = error instanceof Error ? error.message : String(error);
  const failure = new Error(`${capMessage(text, MAX_REASON_BYTES - utf8Bytes(pointer) - 1)}\n${pointer}`);
  failure.name = error instanceof Error ? error.name : 'Error';
  failure.stack = `${failure.name}: the reason is the message above`;
  return failure;
}

/** The text within `maxBytes`: its head cut short, its last line kept (itself at most 1,000 bytes). */
export function capMessage(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const split = text.lastIndexOf('\n');
  if (split === -1) return truncateUtf8(text, maxBytes);
  const last = truncateUtf8(text.slice(split + 1), Math.min(MAX_LAST_LINE_BYTES, maxBytes));
  const headRoom = maxBytes - utf8Bytes(last) - 1;
  if (headRoom <= 0) return truncateUtf8(text, maxBytes);
  return `${truncateUtf8(text.slice(0, split), headRoom)}\n${last}`;
}

/** At most `maxBytes` of UTF-8, cut at a character boundary, marked when anything was cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const marker = ' ...(cut)';
  let kept = '';
  let bytes = utf8Bytes(marker);
  for (const character of text) {
    const size = utf8Bytes(character);
    if (bytes + size > maxBytes) break;
    kept += character;
    bytes += size;
  }
  return `${kept}${marker}`;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The `X-Amzn-Trace-Id` header (AWS's trace context): `Root=1-…;Parent=…;Sampled=1`, plus fields the
 * tracer passes on untouched (e.g. `Lineage`). Lambda gives each invocation its own in `_X_AMZN_TRACE_ID`.
 */
export interface TraceHeader {
  readonly root: string;
  readonly parent?: string;
  readonly sampled: boolean;
  /** The other `key=value` fields, in their order. */
  readonly extra: ReadonlyArray<readonly [string, string]>;
}

export function parseTraceHeader(header: string | undefined): TraceHeader | undefined {
  if (header === undefined) return undefined;
  let root: string | undefined;
  let parent: string | undefined;
  let sampled = false;
  const extra: Array<[string, string]> = [];
  for (const field of header.split(';')) {
    const at = field.indexOf('=');
    if (at <= 0) continue;
    const key = field.slice(0, at).trim();
    const value = field.slice(at + 1).trim();
    if (key === 'Root') root = value;
    else if (key === 'Parent') parent = value;
    else if (key === 'Sampled') sampled = value === '1';
    else extra.push([key, value]);
  }
  return root === undefined || root === '' ? undefined : { root, parent, sampled, extra };
}

/** The header a traced call sends downstream, naming `parent` (its subsegment) as the caller. */
export function formatTraceHeader(trace: TraceHeader, parent: string): string {
  const fields = [`Root=${trace.root}`, `Parent=${parent}`, `Sampled=${trace.sampled ? '1' : '0'}`];
  for (const [key, value] of trace.extra) fields.push(`${key}=${value}`);
  return fields.join(';');
}

import { parseJsonLosslessly } from '../shared/events/lossless-json.js';
import type { RejectionReason } from '../shared/metrics-catalog.js';
import { locateJsonSyntaxError } from './json-syntax-error.js';

/**
 * The checks a request passes before its events are looked at, in the order the handler applies them:
 * content type, body size (before anything is decoded or parsed), JSON syntax, batch shape.
 */
export interface Rejection {
  readonly statusCode: 400 | 413 | 415;
  readonly reason: RejectionReason;
  readonly message: string;
}

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly rejection: Rejection };

const reject = (statusCode: Rejection['statusCode'], reason: RejectionReason, message: string) =>
  ({ ok: false, rejection: { statusCode, reason, message } }) as const;

/** `application/json`, with or without parameters; a charset, when given, must be UTF-8. */
export function checkContentType(contentType: string | undefined): Rejection | undefined {
  const expected = 'Content-Type must be application/json (UTF-8)';
  if (contentType === undefined || contentType.trim() === '') {
    return { statusCode: 415, reason: 'unsupported-media-type', message: `${expected}; none was sent` };
  }
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  if (mediaType.toLowerCase() !== 'application/json') {
    return { statusCode: 415, reason: 'unsupported-media-type', message: expected };
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    const charset = value.replace(/^"(.*)"$/, '$1').toLowerCase();
    if (name.toLowerCase() === 'charset' && charset !== 'utf-8' && charset !== 'utf8') {
      return { statusCode: 415, reason: 'unsupported-media-type', message: expected };
    }
  }
  return undefined;
}

export interface RequestBody {
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
}

/**
 * The body as text, refusing one larger than `maxBytes` before decoding it (a base64 body's decoded size
 * follows from its length). An empty body is malformed: a delivery always carries at least `[]`.
 */
export function readBody(request: RequestBody, maxBytes: number): Checked<string> {
  const { body, isBase64Encoded } = request;
  if (body === null || body === '') return reject(400, 'malformed', 'Request body is empty');
  const bytes = isBase64Encoded ? decodedBase64Length(body) : Buffer.byteLength(body);
  if (bytes > maxBytes) {
    return reject(413, 'too-large', `Request body is ${bytes} bytes; at most ${maxBytes} are accepted`);
  }
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  // A UTF-8 byte order mark is not JSON, but some senders write one; it carries no content.
  return { ok: true, value: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}

function decodedBase64Length(base64: string): number {
  const compact = base64.replace(/[\s=]/g, '');
  return Math.floor((compact.length * 3) / 4);
}

/**
 * Parses the body into a batch: a JSON array is a batch, a single JSON object a batch of one; anything
 * else, or more than `maxEvents` events, is refused. Numbers a double cannot hold are kept exactly.
 */
export function parseBatch(text: string, maxEvents: number): Checked<unknown[]> {
  let parsed: unknown;
  try {
    parsed = parseJsonLosslessly(text);
  } catch (error) {
    return reject(400, 'malformed', describeSyntaxError(text, error as Error));
  }
  if (Array.isArray(parsed)) {
    if (parsed.length > maxEvents) {
      return reject(413, 'too-large', `Batch has ${parsed.length} events; at most ${maxEvents} are accepted`);
    }
    return { ok: true, value: parsed };
  }
  if (parsed !== null && typeof parsed === 'object') return { ok: true, value: [parsed] };
  return reject(400, 'malformed', 'Body must be a JSON array of events or a single event object');
}

function describeSyntaxError(text: string, error: Error): string {
  const located = locateJsonSyntaxError(text);
  if (located !== undefined) {
    return `Body is not valid JSON: ${located.problem} at position ${located.position} (line ${located.line} column ${located.column})`;
  }
  // The scanner found no error (it and V8 disagree) or gave up on deep nesting: keep V8's position only.
  const position = /at position (\d+)/.exec(error.message)?.[1];
  return position === undefined ? 'Body is not valid JSON' : `Body is not valid JSON at position ${position}`;
}

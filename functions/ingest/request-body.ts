import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { RejectionReason } from '../shared/metrics-catalog.js';
import type { ReceivedEvent } from './event-items.js';
import { readJsonDocument } from './json-document.js';
import { locateJsonSyntaxError } from './json-syntax-error.js';

/**
 * The checks a request passes before its events are looked at, in the order the handler applies them:
 * body size (before anything is decoded), content encoding (decoded, the decoded size checked again),
 * UTF-8, JSON syntax, batch shape. The content type is not checked: Campaign's is documented nowhere,
 * so a JSON body is accepted whatever it says (and the content type counted, see contentTypeLabel).
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

/** Content types counted by name; any other is counted as `other` (a metric dimension stays bounded). */
const NAMED_CONTENT_TYPES = new Set([
  'application/json',
  'text/json',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'application/x-ndjson',
]);

/** The content type as a metric dimension value: a known media type, `application/*+json`, `none` or `other`. */
export function contentTypeLabel(contentType: string | undefined): string {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === '') return 'none';
  if (NAMED_CONTENT_TYPES.has(mediaType)) return mediaType;
  if (/^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType)) return 'application/*+json';
  return 'other';
}

export interface RequestBody {
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
  /** The Content-Encoding header, when sent. */
  readonly contentEncoding?: string | undefined;
}

const DECODERS: Readonly<Record<string, (input: Buffer, maxOutputLength: number) => Buffer>> = {
  gzip: (input, maxOutputLength) => gunzipSync(input, { maxOutputLength }),
  'x-gzip': (input, maxOutputLength) => gunzipSync(input, { maxOutputLength }),
  deflate: (input, maxOutputLength) => inflateSync(input, { maxOutputLength }),
  br: (input, maxOutputLength) => brotliDecompressSync(input, { maxOutputLength }),
};

/**
 * The body as text. A body larger than `maxBytes` is refused before it is decoded (a base64 body's
 * decoded size follows from its length), and so is one that decodes (gzip, deflate, br) to more. Bytes
 * that are not UTF-8 are refused, never replaced. An empty body is malformed: a delivery carries at
 * least `[]`.
 */
export function readBody(request: RequestBody, maxBytes: number): Checked<string> {
  const { body, isBase64Encoded } = request;
  if (body === null || body === '') return reject(400, 'malformed', 'Request body is empty');
  const size = isBase64Encoded ? decodedBase64Length(body) : Buffer.byteLength(body);
  if (size > maxBytes) return tooLarge(`Request body is ${size} bytes`, maxBytes);
  const encodings = (request.contentEncoding ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '' && name !== 'identity');
  const unsupported = encodings.find((name) => DECODERS[name] === undefined);
  if (unsupported !== undefined) {
    return reject(
      415,
      'unsupported-media-type',
      `Content-Encoding ${printable(unsupported)} is not supported; send the body as is, or gzip, deflate or br`,
    );
  }
  if (!isBase64Encoded && encodings.length === 0) return wellFormedText(body);
  let bytes: Buffer = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'latin1');
  // Encodings apply in the order listed, so they are undone in reverse.
  for (const name of [...encodings].reverse()) {
    const decoded = decode(name, bytes, maxBytes);
    if (!decoded.ok) return decoded;
    bytes = decoded.value;
  }
  return utf8Text(bytes);
}

function decode(name: string, bytes: Buffer, maxBytes: number): Checked<Buffer> {
  try {
    return { ok: true, value: (DECODERS[name] as (input: Buffer, max: number) => Buffer)(bytes, maxBytes) };
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      return tooLarge(`Request body decodes (${name}) to more than ${maxBytes} bytes`, maxBytes);
    }
    return reject(400, 'malformed', `Request body is not valid ${name} data`);
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly; a byte order mark carries no content and is dropped. */
function utf8Text(bytes: Buffer): Checked<string> {
  try {
    return { ok: true, value: STRICT_UTF8.decode(bytes) };
  } catch {
    return reject(
      400,
      'malformed',
      `Request body is not valid UTF-8 (at byte ${firstInvalidUtf8Byte(bytes)})`,
    );
  }
}

/** A text body (already decoded by the platform): refused if it holds a lone surrogate, never altered. */
function wellFormedText(body: string): Checked<string> {
  if (!(body as string & { isWellFormed(): boolean }).isWellFormed()) {
    return reject(400, 'malformed', 'Request body is not well-formed Unicode (a lone surrogate)');
  }
  return { ok: true, value: body.charCodeAt(0) === 0xfeff ? body.slice(1) : body };
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8Byte(bytes: Buffer): number {
  let low = 0;
  let high = bytes.length;
  // The longest valid prefix: decoding is monotone in the prefix length (modulo a cut sequence).
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, middle), { stream: true });
      low = middle;
    } catch {
      high = middle - 1;
    }
  }
  return low;
}

function tooLarge(what: string, maxBytes: number): Checked<never> {
  return reject(413, 'too-large', `${what}; at most ${maxBytes} are accepted`);
}

function printable(name: string): string {
  return /^[a-z0-9._-]{1,40}$/.test(name) ? `"${name}"` : '(unnamed)';
}

function decodedBase64Length(base64: string): number {
  const compact = base64.replace(/[\s=]/g, '');
  return Math.floor((compact.length * 3) / 4);
}

/**
 * Parses the body into a batch: a JSON array is a batch, a single JSON object a batch of one; anything
 * else, or more than `maxEvents` events, is refused. Each event keeps its exact source text; numbers a
 * double cannot hold are kept exactly; any nesting depth is read.
 */
export function parseBatch(text: string, maxEvents: number): Checked<ReceivedEvent[]> {
  try {
    JSON.parse(text);
  } catch (error) {
    return reject(400, 'malformed', describeSyntaxError(text, error as Error));
  }
  const document = readJsonDocument(text);
  if (document.elementTexts !== undefined) {
    const values = document.root as unknown[];
    if (values.length > maxEvents) {
      return reject(413, 'too-large', `Batch has ${values.length} events; at most ${maxEvents} are accepted`);
    }
    return {
      ok: true,
      value: values.map((value, index) => ({
        value,
        text: document.elementTexts?.[index] as string,
        ...(document.deepElements.has(index) && { deep: true }),
      })),
    };
  }
  if (document.root !== null && typeof document.root === 'object') {
    return {
      ok: true,
      value: [
        { value: document.root, text: text.trim(), ...(document.deepElements.size > 0 && { deep: true }) },
      ],
    };
  }
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

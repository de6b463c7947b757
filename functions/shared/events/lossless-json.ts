/**
 * JSON parsing that keeps numbers a JavaScript number cannot hold.
 *
 * `JSON.parse` turns `12345678901234567890` into `12345678901234567000` and `1e400` into `Infinity`
 * without a word. Campaign's ids are int64, so a payload field could carry such a number; storing the
 * rounded value would silently change what the sender sent. Those numbers are kept as raw JSON
 * (`JSON.rawJSON`, Node 21+), which `JSON.stringify` writes back byte for byte and the DynamoDB attribute
 * conversion stores as an exact `N`. Every other value is what `JSON.parse` returns (floats with more
 * digits than a double holds are rounded, as in any JSON parser).
 *
 * The reviver that makes this possible is several times slower than a plain parse, so it only runs when
 * the text contains something that could be such a number: a run of 16+ digits or a 3-digit exponent.
 */

/** A number kept as its JSON source text (a frozen, null-prototype object with a `rawJSON` string). */
export interface RawJsonNumber {
  readonly rawJSON: string;
}

interface JsonWithRawText {
  rawJSON(text: string): RawJsonNumber;
  isRawJSON(value: unknown): value is RawJsonNumber;
}

const json = JSON as unknown as JsonWithRawText;

const MAY_HOLD_IMPRECISE_NUMBER = /\d{16,}|[eE][+-]?\d{3,}/;
const INTEGER_LITERAL = /^-?\d+$/;
const NON_ZERO_MANTISSA = /^-?0*\.?0*[1-9]/;

export function isRawJsonNumber(value: unknown): value is RawJsonNumber {
  return json.isRawJSON(value);
}

/** Same result as `JSON.parse(text)`, except numbers a double would change are kept exactly. */
export function parseJsonLosslessly(text: string): unknown {
  if (!MAY_HOLD_IMPRECISE_NUMBER.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepImpreciseNumbers);
}

function keepImpreciseNumbers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  const source = context.source;
  const lostInteger = !Number.isSafeInteger(value) && INTEGER_LITERAL.test(source);
  const overflowed = !Number.isFinite(value);
  const underflowed = value === 0 && NON_ZERO_MANTISSA.test(source);
  return lostInteger || overflowed || underflowed ? json.rawJSON(source) : value;
}

/** The exact text of a raw JSON number. */
export function rawJsonText(value: RawJsonNumber): string {
  return value.rawJSON;
}

/** A raw JSON number from its exact text (used when reading a stored `N` a double cannot hold). */
export function rawJsonNumber(text: string): RawJsonNumber {
  return json.rawJSON(text);
}

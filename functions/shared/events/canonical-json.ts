import { isRawJsonNumber } from './lossless-json.js';

/**
 * The canonical JSON text of a parsed JSON value: object keys sorted (by UTF-16 code units, the
 * default sort) at every level, no whitespace, strings and numbers written as `JSON.stringify` writes
 * them. Two texts that differ only in key order or whitespace have the same canonical form.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object' || isRawJsonNumber(value)) {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}

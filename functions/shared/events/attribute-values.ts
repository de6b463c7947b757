import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { isRawJsonNumber, rawJsonNumber, rawJsonText } from './lossless-json.js';

/**
 * Conversion between parsed JSON values and DynamoDB attribute values, written for JSON alone (null,
 * boolean, number, string, array, object) so nothing is guessed: arrays are lists (never sets), objects
 * are maps, and numbers kept as raw JSON (see lossless-json.ts) are stored with their exact digits.
 */
export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'boolean':
      return { BOOL: value };
    case 'number':
      return { N: String(value) };
    case 'object':
      if (isRawJsonNumber(value)) return { N: rawJsonText(value) };
      if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
      return { M: toAttributeMap(value as Record<string, unknown>) };
    default:
      throw new TypeError(`A ${typeof value} is not a JSON value`);
  }
}

/** The attribute map of a JSON object; members whose value is `undefined` are left out. */
export function toAttributeMap(object: Readonly<Record<string, unknown>>): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const [key, member] of Object.entries(object)) {
    if (member !== undefined) map[key] = toAttributeValue(member);
  }
  return map;
}

/**
 * The JSON value of an attribute value (from the SDK or a stream record). A number a double cannot hold
 * exactly comes back as raw JSON, so it is republished with the digits it was stored with.
 */
export function fromAttributeValue(attribute: StreamAttributeValue | AttributeValue): unknown {
  const value = attribute as StreamAttributeValue;
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return numberFrom(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.M !== undefined) return fromAttributeMap(value.M);
  throw new TypeError(`Attribute value of type ${Object.keys(value).join(',') || 'none'} is not JSON`);
}

export function fromAttributeMap(
  map: Readonly<Record<string, StreamAttributeValue | AttributeValue>>,
): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, attribute] of Object.entries(map)) object[key] = fromAttributeValue(attribute);
  return object;
}

function numberFrom(text: string): unknown {
  const number = Number(text);
  const lostInteger = /^-?\d+$/.test(text) && !Number.isSafeInteger(number);
  return lostInteger || !Number.isFinite(number) ? rawJsonNumber(text) : number;
}

/** DynamoDB's limits on a map nested inside an item attribute (measured against DynamoDB Local). */
const MAX_CONTAINER_DEPTH = 31;
const MAX_NUMBER_MAGNITUDE = 1e126;
const MIN_NUMBER_MAGNITUDE = 1e-130;
const MAX_SIGNIFICANT_DIGITS = 38;

/**
 * Why DynamoDB would reject this JSON value as a top-level map attribute, as `<path>: <reason>`, or
 * undefined when it can be stored. DynamoDB rejects the whole BatchWriteItem request for one such value,
 * so an event that breaks a limit must be quarantined (as raw text) instead of written as a map.
 */
export function unstorableReason(value: unknown, path = 'event', depth = 1): string | undefined {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' ? numberProblem(String(value), value, path) : undefined;
  }
  if (isRawJsonNumber(value)) return numberProblem(rawJsonText(value), Number(rawJsonText(value)), path);
  if (depth > MAX_CONTAINER_DEPTH) {
    return `${path}: nested deeper than the ${MAX_CONTAINER_DEPTH} levels DynamoDB stores`;
  }
  if (Array.isArray(value)) {
    for (const [index, member] of value.entries()) {
      const reason = unstorableReason(member, `${path}.${index}`, depth + 1);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }
  for (const [key, member] of Object.entries(value)) {
    if (key === '') return `${path}: has an empty field name, which DynamoDB cannot store`;
    const reason = unstorableReason(member, `${path}.${key}`, depth + 1);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function numberProblem(text: string, number: number, path: string): string | undefined {
  const magnitude = Math.abs(number);
  if (magnitude >= MAX_NUMBER_MAGNITUDE || (magnitude !== 0 && magnitude < MIN_NUMBER_MAGNITUDE)) {
    return `${path}: number outside the range DynamoDB stores (1e-130 to 1e126)`;
  }
  if (magnitude === 0 && /[1-9]/.test(text.split(/[eE]/)[0] ?? '')) {
    return `${path}: number outside the range DynamoDB stores (1e-130 to 1e126)`;
  }
  const digits = (text.split(/[eE]/)[0] ?? '')
    .replace(/[^0-9]/g, '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  if (digits.length > MAX_SIGNIFICANT_DIGITS) {
    return `${path}: number with more than ${MAX_SIGNIFICANT_DIGITS} significant digits`;
  }
  return undefined;
}

/**
 * The size DynamoDB counts for an item against its 400 KB limit: per attribute, the UTF-8 bytes of its
 * name plus its value; strings by their UTF-8 bytes, numbers 1 byte per two digits plus 1 (counting every
 * digit, so never less than DynamoDB's count), booleans and nulls 1 byte, lists and maps 3 bytes plus
 * 1 byte per element plus the elements (map member names included). Written for the JSON types that
 * {@link toAttributeValue} produces.
 */
export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) {
    return value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 3);
  }
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemBytes(value.M);
  throw new TypeError(`Attribute value of type ${Object.keys(value).join(',') || 'none'} is not JSON`);
}

function numberBytes(text: string): number {
  return Math.ceil(text.replace(/[^0-9]/g, '').length / 2) + 1;
}

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { isRawJsonNumber, rawJsonNumber, rawJsonText } from './lossless-json.js';

/**
 * Conversion between parsed JSON values and DynamoDB attribute values, written for JSON alone (null,
 * boolean, number, string, array, object) so nothing is guessed: arrays are lists (never sets), objects
 * are maps, and numbers kept as raw JSON (see lossless-json.ts) are stored with their exact digits.
 *
 * Every walk here is iterative (an explicit stack), so no input depth can exhaust the call stack, and
 * every map is built without a prototype, so a member named `__proto__` or `constructor` stays a member.
 */

/** DynamoDB's limits on a JSON value stored as a map attribute (measured against DynamoDB Local). */
export const DYNAMODB_VALUE_LIMITS = {
  /** Containers nested in one top-level attribute, the attribute itself included. */
  maxDepth: 31,
  /**
   * Longest member name kept in a map. DynamoDB documents 64 KB; DynamoDB Local fails on names past
   * 50,000 bytes with an internal error, so the product stays far below both.
   */
  maxNameBytes: 4096,
  maxNumberMagnitude: 1e126,
  minNumberMagnitude: 1e-130,
  maxSignificantDigits: 38,
} as const;

export type Marshalled =
  | { readonly ok: true; readonly value: AttributeValue; readonly bytes: number }
  | { readonly ok: false; readonly problem: string };

interface Task {
  readonly source: unknown;
  readonly target: AttributeValue;
  readonly depth: number;
}

/**
 * The attribute value of a JSON value, with the bytes DynamoDB counts for it, or the first reason
 * DynamoDB could not store it (too deep, a member name empty, too long or not well-formed Unicode, a
 * string that is not well-formed Unicode, a number outside DynamoDB's range). One pass: converts,
 * measures and checks.
 */
export function marshalJson(value: unknown): Marshalled {
  const root = leafOrContainer(value);
  if ('problem' in root) return { ok: false, problem: root.problem };
  let bytes = root.bytes;
  const stack: Task[] = root.container ? [{ source: value, target: root.value, depth: 1 }] : [];
  for (let task = stack.pop(); task !== undefined; task = stack.pop()) {
    if (task.depth > DYNAMODB_VALUE_LIMITS.maxDepth) {
      return {
        ok: false,
        problem: `nested deeper than the ${DYNAMODB_VALUE_LIMITS.maxDepth} levels DynamoDB stores`,
      };
    }
    const members = membersOf(task.source, task.target);
    bytes += 3 + members.length;
    for (const [name, member, place] of members) {
      if (name !== undefined) {
        const nameProblem = memberNameProblem(name);
        if (nameProblem !== undefined) return { ok: false, problem: nameProblem };
        bytes += Buffer.byteLength(name);
      }
      const converted = leafOrContainer(member);
      if ('problem' in converted) return { ok: false, problem: converted.problem };
      bytes += converted.bytes;
      place(converted.value);
      if (converted.container) stack.push({ source: member, target: converted.value, depth: task.depth + 1 });
    }
  }
  return { ok: true, value: root.value, bytes };
}

export type Measured =
  | { readonly ok: true; readonly bytes: number }
  | { readonly ok: false; readonly problem: string };

/**
 * What {@link marshalJson} would answer about a JSON value (its size as a DynamoDB map, or the first
 * reason DynamoDB could not hold it), without building the attribute values: for a value that is kept
 * as text, where only whether the map would fit is wanted.
 */
export function measureJson(value: unknown): Measured {
  const root = leafBytes(value);
  if (typeof root === 'string') return { ok: false, problem: root };
  if (root !== CONTAINER) return { ok: true, bytes: root };
  let bytes = 0;
  const containers: unknown[] = [value];
  const depths: number[] = [1];
  for (let container = containers.pop(); container !== undefined; container = containers.pop()) {
    const depth = depths.pop() as number;
    if (depth > DYNAMODB_VALUE_LIMITS.maxDepth) {
      return {
        ok: false,
        problem: `nested deeper than the ${DYNAMODB_VALUE_LIMITS.maxDepth} levels DynamoDB stores`,
      };
    }
    const list = Array.isArray(container) ? container : undefined;
    const names = list === undefined ? Object.keys(container as object) : undefined;
    const count = list?.length ?? (names as string[]).length;
    bytes += 3 + count;
    for (let index = 0; index < count; index++) {
      let member: unknown;
      if (list !== undefined) member = list[index];
      else {
        const name = (names as string[])[index] as string;
        const nameProblem = memberNameProblem(name);
        if (nameProblem !== undefined) return { ok: false, problem: nameProblem };
        bytes += Buffer.byteLength(name);
        member = (container as Record<string, unknown>)[name];
      }
      const size = leafBytes(member);
      if (typeof size === 'string') return { ok: false, problem: size };
      if (size === CONTAINER) {
        containers.push(member);
        depths.push(depth + 1);
      } else bytes += size;
    }
  }
  return { ok: true, bytes };
}

const CONTAINER = -1;

/** A leaf's size as DynamoDB counts it, {@link CONTAINER} for a list or map, or why it cannot be stored. */
function leafBytes(value: unknown): number | string {
  if (value === null) return 1;
  switch (typeof value) {
    case 'string':
      if (!isWellFormedText(value))
        return 'holds a string that is not well-formed Unicode (a lone surrogate)';
      return Buffer.byteLength(value);
    case 'boolean':
      return 1;
    case 'number': {
      // A double has at most 17 significant digits: only its magnitude can be out of DynamoDB's range.
      if (Number.isSafeInteger(value))
        return Math.ceil((value < 0 ? String(-value) : String(value)).length / 2) + 1;
      const text = String(value);
      return numberProblem(text, value) ?? numberBytes(text);
    }
    case 'object': {
      if (!isRawJsonNumber(value)) return CONTAINER;
      const text = rawJsonText(value);
      return numberProblem(text, Number(text)) ?? numberBytes(text);
    }
    default:
      throw new TypeError(`A ${typeof value} is not a JSON value`);
  }
}

type Member = readonly [name: string | undefined, value: unknown, place: (value: AttributeValue) => void];

function membersOf(source: unknown, target: AttributeValue): Member[] {
  if (target.L !== undefined) {
    const list = target.L;
    return (source as unknown[]).map(
      (member, index): Member => [undefined, member, (v) => (list[index] = v)],
    );
  }
  const map = target.M as Record<string, AttributeValue>;
  return Object.keys(source as object).map(
    (name): Member => [name, (source as Record<string, unknown>)[name], (v) => (map[name] = v)],
  );
}

type Converted =
  | { readonly value: AttributeValue; readonly bytes: number; readonly container: boolean }
  | { readonly problem: string };

/** A leaf's attribute value and size, or an empty container to be filled. */
function leafOrContainer(value: unknown): Converted {
  if (value === null) return { value: { NULL: true }, bytes: 1, container: false };
  switch (typeof value) {
    case 'string':
      if (!isWellFormedText(value)) {
        return { problem: 'holds a string that is not well-formed Unicode (a lone surrogate)' };
      }
      return { value: { S: value }, bytes: Buffer.byteLength(value), container: false };
    case 'boolean':
      return { value: { BOOL: value }, bytes: 1, container: false };
    case 'number':
      return numberLeaf(String(value), value);
    case 'object':
      if (isRawJsonNumber(value)) return numberLeaf(rawJsonText(value), Number(rawJsonText(value)));
      if (Array.isArray(value)) return { value: { L: new Array(value.length) }, bytes: 0, container: true };
      return { value: { M: Object.create(null) }, bytes: 0, container: true };
    default:
      throw new TypeError(`A ${typeof value} is not a JSON value`);
  }
}

function numberLeaf(text: string, number: number): Converted {
  const problem = numberProblem(text, number);
  if (problem !== undefined) return { problem };
  return { value: { N: text }, bytes: numberBytes(text), container: false };
}

function memberNameProblem(name: string): string | undefined {
  if (name === '') return 'has an empty field name, which DynamoDB cannot store';
  if (!isWellFormedText(name)) return 'has a field name that is not well-formed Unicode (a lone surrogate)';
  if (Buffer.byteLength(name) > DYNAMODB_VALUE_LIMITS.maxNameBytes) {
    return `has a field name over ${DYNAMODB_VALUE_LIMITS.maxNameBytes} bytes`;
  }
  return undefined;
}

function numberProblem(text: string, number: number): string | undefined {
  const { maxNumberMagnitude, minNumberMagnitude, maxSignificantDigits } = DYNAMODB_VALUE_LIMITS;
  const mantissa = text.split(/[eE]/)[0] ?? '';
  const magnitude = Math.abs(number);
  const outOfRange =
    magnitude >= maxNumberMagnitude ||
    (magnitude !== 0 && magnitude < minNumberMagnitude) ||
    (magnitude === 0 && /[1-9]/.test(mantissa));
  if (outOfRange) return 'holds a number outside the range DynamoDB stores (1e-130 to 1e126)';
  const digits = mantissa
    .replace(/[^0-9]/g, '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  if (digits.length > maxSignificantDigits) {
    return `holds a number with more than ${maxSignificantDigits} significant digits`;
  }
  return undefined;
}

/** True when the text has no lone UTF-16 surrogate (it can be written as UTF-8 unchanged). */
export function isWellFormedText(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The attribute value of a JSON value that is known to be storable (e.g. the item's own fields); throws
 * where {@link marshalJson} would report a problem.
 */
export function toAttributeValue(value: unknown): AttributeValue {
  const marshalled = marshalJson(value);
  if (!marshalled.ok) throw new TypeError(`Not storable in DynamoDB: ${marshalled.problem}`);
  return marshalled.value;
}

/** The attribute map of a JSON object; members whose value is `undefined` are left out. */
export function toAttributeMap(object: Readonly<Record<string, unknown>>): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = Object.create(null);
  for (const name of Object.keys(object)) {
    const member = object[name];
    if (member !== undefined) map[name] = toAttributeValue(member);
  }
  return map;
}

/**
 * The JSON value of an attribute value (from the SDK or a stream record). A number a double cannot hold
 * exactly comes back as raw JSON, so it is republished with the digits it was stored with. Maps come
 * back as objects without a prototype.
 */
export function fromAttributeValue(attribute: StreamAttributeValue | AttributeValue): unknown {
  const root = shellOf(attribute as StreamAttributeValue);
  const stack: Array<readonly [StreamAttributeValue, unknown]> = [
    [attribute as StreamAttributeValue, root.value],
  ];
  for (let task = stack.pop(); task !== undefined; task = stack.pop()) {
    const [value, target] = task;
    // Members are placed in order (containers empty, filled later), so key order survives the walk.
    if (value.L !== undefined) {
      const list = target as unknown[];
      for (const member of value.L) {
        const shell = shellOf(member);
        list.push(shell.value);
        if (shell.container) stack.push([member, shell.value]);
      }
    } else if (value.M !== undefined) {
      const map = target as Record<string, unknown>;
      for (const [name, member] of Object.entries(value.M)) {
        const shell = shellOf(member);
        map[name] = shell.value;
        if (shell.container) stack.push([member, shell.value]);
      }
    }
  }
  return root.value;
}

/** A leaf's value, or an empty list or prototype-less map to be filled. */
function shellOf(value: StreamAttributeValue): { value: unknown; container: boolean } {
  if (value.L !== undefined) return { value: [], container: true };
  if (value.M !== undefined) return { value: Object.create(null), container: true };
  return { value: leafValue(value), container: false };
}

function leafValue(value: StreamAttributeValue | AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  // A binary comes back as its base64 text, as Lambda's stream event carries it (the SDK gives bytes).
  if (value.B !== undefined)
    return typeof value.B === 'string' ? value.B : Buffer.from(value.B).toString('base64');
  if (value.N !== undefined) return numberFrom(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  throw new TypeError(`Attribute value of type ${Object.keys(value).join(',') || 'none'} is not JSON`);
}

export function fromAttributeMap(
  map: Readonly<Record<string, StreamAttributeValue | AttributeValue>>,
): Record<string, unknown> {
  return fromAttributeValue({ M: map as Record<string, StreamAttributeValue> }) as Record<string, unknown>;
}

function numberFrom(text: string): unknown {
  const number = Number(text);
  const lostInteger = /^-?\d+$/.test(text) && !Number.isSafeInteger(number);
  return lostInteger || !Number.isFinite(number) ? rawJsonNumber(text) : number;
}

/**
 * The size DynamoDB counts for an item against its 400 KB limit: per attribute, the UTF-8 bytes of its
 * name plus its value; strings by their UTF-8 bytes, numbers 1 byte per two digits plus 1 (counting every
 * digit, so never less than DynamoDB's count), booleans and nulls 1 byte, lists and maps 3 bytes plus
 * 1 byte per element plus the elements (map member names included).
 */
export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  let bytes = 0;
  const stack: AttributeValue[] = [];
  for (const name of Object.keys(item)) {
    bytes += Buffer.byteLength(name);
    stack.push(item[name] as AttributeValue);
  }
  for (let value = stack.pop(); value !== undefined; value = stack.pop()) {
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.B !== undefined) bytes += value.B.length;
    else if (value.N !== undefined) bytes += numberBytes(value.N);
    else if (value.BOOL !== undefined || value.NULL !== undefined) bytes += 1;
    else if (value.L !== undefined) {
      bytes += 3 + value.L.length;
      for (const member of value.L) stack.push(member);
    } else if (value.M !== undefined) {
      const names = Object.keys(value.M);
      bytes += 3 + names.length;
      for (const name of names) {
        bytes += Buffer.byteLength(name);
        stack.push(value.M[name] as AttributeValue);
      }
    } else {
      throw new TypeError(`Attribute value of type ${Object.keys(value).join(',') || 'none'} is not JSON`);
    }
  }
  return bytes;
}

/** Bytes DynamoDB counts for a number: 1 per two significant digits plus 1 (every digit counted, so never less). */
export function numberBytes(text: string): number {
  return Math.ceil(text.replace(/[^0-9]/g, '').length / 2) + 1;
}

import { isRawJsonNumber } from '../shared/events/lossless-json.js';

/**
 * The canonical JSON text of a parsed JSON value: object keys sorted (by UTF-16 code units, the
 * default sort) at every level, no whitespace, strings and numbers written as `JSON.stringify` writes
 * them. Two texts that differ only in key order or whitespace have the same canonical form.
 */
export function canonicalJson(value: unknown): string {
  const small = smallCanonicalJson(value);
  if (small !== undefined) return small;
  const pieces: string[] = [];
  writeCanonicalJson(value, (piece) => pieces.push(piece));
  return pieces.join('');
}

/** Most characters (of member names and strings) and containers {@link smallCanonicalJson} copies. */
const SMALL_VALUE_BUDGET = 65_536;
/** Deepest value it copies (it recurses). */
const SMALL_VALUE_DEPTH = 64;
/** A name that may be an array index: JavaScript enumerates those first, in numeric order. */
const INDEX_LIKE_NAME = /^(?:0|[1-9]\d*)$/;
const UNCOPIED = Symbol('uncopied');

/**
 * The canonical JSON of a small value, written by `JSON.stringify` from a copy whose objects have their
 * members inserted in sorted order; undefined for a value over the budget or deeper than
 * {@link SMALL_VALUE_DEPTH}, or with a member named like an array index (it would not keep its place).
 */
export function smallCanonicalJson(value: unknown): string | undefined {
  const budget = { left: SMALL_VALUE_BUDGET };
  const copy = sortedCopy(value, 0, budget);
  return copy === UNCOPIED || budget.left < 0 ? undefined : (JSON.stringify(copy) ?? 'null');
}

function sortedCopy(value: unknown, depth: number, budget: { left: number }): unknown {
  if (value === null || typeof value !== 'object' || isRawJsonNumber(value)) {
    if (typeof value === 'string') budget.left -= value.length;
    return value;
  }
  if (depth >= SMALL_VALUE_DEPTH || --budget.left < 0) return UNCOPIED;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (const member of value) {
      const copied = sortedCopy(member, depth + 1, budget);
      if (copied === UNCOPIED) return UNCOPIED;
      copy.push(copied);
    }
    return copy;
  }
  const record = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(record).sort()) {
    budget.left -= name.length;
    if (INDEX_LIKE_NAME.test(name)) return UNCOPIED;
    const copied = sortedCopy(record[name], depth + 1, budget);
    if (copied === UNCOPIED) return UNCOPIED;
    // Assigning `__proto__` would set the prototype: that member is defined instead.
    if (name === '__proto__') Object.defineProperty(copy, name, { value: copied, enumerable: true });
    else copy[name] = copied;
  }
  return copy;
}

/** One open container of the walk: what it holds, in output order, and how far it has been written. */
interface Frame {
  readonly members: readonly unknown[];
  /** Sorted member names of an object (undefined for an array). */
  readonly names: readonly string[] | undefined;
  next: number;
}

/**
 * Writes the canonical JSON of `value` piece by piece (so a caller can hash it without holding it).
 * Iterative, one frame per open container, so any depth the parser accepts is fine; object members are
 * read as own properties, so `__proto__` and `constructor` are members like any other.
 */
export function writeCanonicalJson(value: unknown, write: (piece: string) => void): void {
  const stack: Frame[] = [];
  let current: unknown = value;
  let pending = true;
  for (;;) {
    if (pending) {
      const frame = open(current, write);
      if (frame !== undefined) stack.push(frame);
      pending = false;
    }
    const top = stack.at(-1);
    if (top === undefined) return;
    if (top.next === top.members.length) {
      write(top.names === undefined ? ']' : '}');
      stack.pop();
      continue;
    }
    if (top.names !== undefined) write(memberPrefix(top.names[top.next] as string, top.next > 0));
    else if (top.next > 0) write(',');
    current = top.members[top.next++];
    pending = true;
  }
}

/** Quoted member names already written (events of a batch share their names); short names only. */
const quotedNames = new Map<string, string>();
const MAX_QUOTED_NAMES = 4096;

/** `"name":`, after a comma unless it is the first member. */
function memberPrefix(name: string, afterComma: boolean): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(name)}:`;
    if (name.length <= 64 && quotedNames.size < MAX_QUOTED_NAMES) quotedNames.set(name, quoted);
  }
  return afterComma ? `,${quoted}` : quoted;
}

/** Writes a leaf, or the opening bracket of a container and returns its frame. */
function open(value: unknown, write: (piece: string) => void): Frame | undefined {
  if (value === null || typeof value !== 'object' || isRawJsonNumber(value)) {
    write(JSON.stringify(value) ?? 'null');
    return undefined;
  }
  if (Array.isArray(value)) {
    write('[');
    return { members: value, names: undefined, next: 0 };
  }
  const record = value as Record<string, unknown>;
  const names = Object.keys(record).sort();
  write('{');
  return { members: names.map((name) => record[name]), names, next: 0 };
}

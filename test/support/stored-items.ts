import { inflateRawSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Test oracles for stored items, written from DynamoDB's documented limits rather than from the
 * product's code: what DynamoDB would refuse an item for, and a form of a JSON value that compares
 * numbers exactly.
 */

const ITEM_LIMIT_BYTES = 400 * 1024;
const MAX_NESTING = 32;
const MAX_NAME_BYTES = 65_535;

const wellFormed = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed();

/** Every reason DynamoDB's documented limits give to refuse this item (empty when it can be stored). */
export function dynamoDataProblems(item: Readonly<Record<string, AttributeValue>>): string[] {
  return inspect(item).problems;
}

/**
 * The item's size as DynamoDB's documentation counts it: the UTF-8 bytes of each attribute name plus
 * its value (strings by UTF-8 bytes, binaries by bytes, numbers about 1 byte per two digits plus 1,
 * lists and maps 3 bytes plus 1 per element plus their members' names and values).
 */
export function dynamoItemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  return inspect(item).size;
}

function inspect(item: Readonly<Record<string, AttributeValue>>): { problems: string[]; size: number } {
  const problems: string[] = [];
  let size = 0;
  const stack: Array<[AttributeValue, number]> = [];
  const name = (text: string) => {
    const bytes = Buffer.byteLength(text);
    if (bytes === 0 || bytes > MAX_NAME_BYTES || !wellFormed(text))
      problems.push(`bad name (${bytes} bytes)`);
    size += bytes;
  };
  for (const [key, value] of Object.entries(item)) {
    name(key);
    stack.push([value, 1]);
  }
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [value, depth] = entry;
    if (depth > MAX_NESTING) problems.push(`nested ${depth} levels`);
    if (value.S !== undefined) {
      if (!wellFormed(value.S)) problems.push('ill-formed string');
      size += Buffer.byteLength(value.S);
    } else if (value.N !== undefined) {
      const digits = (value.N.split(/[eE]/)[0] ?? '')
        .replace(/\D/g, '')
        .replace(/^0+/, '')
        .replace(/0+$/, '');
      const magnitude = Math.abs(Number(value.N));
      if (digits.length > 38 || magnitude >= 1e126 || (magnitude > 0 && magnitude < 1e-130)) {
        problems.push(`number ${value.N.slice(0, 40)}`);
      }
      size += Math.ceil(digits.length / 2) + 1;
    } else if (value.B !== undefined) {
      size += value.B.length;
    } else if (value.L !== undefined) {
      size += 3 + value.L.length;
      for (const member of value.L) stack.push([member, depth + 1]);
    } else if (value.M !== undefined) {
      size += 3 + Object.keys(value.M).length;
      for (const [key, member] of Object.entries(value.M)) {
        name(key);
        stack.push([member, depth + 1]);
      }
    } else {
      size += 1;
    }
  }
  if (size > ITEM_LIMIT_BYTES) problems.push(`item of ${size} bytes`);
  return { problems, size };
}

/**
 * A canonical text of a JSON value in which numbers compare exactly: a number that came through a
 * source-keeping reviver (`{$number: source}`) or as raw JSON (`{rawJSON}`) is written as its digits when
 * a double would change it (integers beyond 2^53, overflow, underflow), else as the double. Top-level
 * members named in `skip` are left out (fields the product normalizes).
 */
export function comparableJson(value: unknown, skip: ReadonlySet<string> = new Set()): string {
  const write = (current: unknown, top: boolean): string => {
    if (current === null || typeof current !== 'object') {
      return typeof current === 'number' ? `num:${current}` : JSON.stringify(current);
    }
    const source =
      (current as { $number?: unknown; rawJSON?: unknown }).$number ??
      (current as { rawJSON?: unknown }).rawJSON;
    if (typeof source === 'string') return numberFromSource(source);
    if (Array.isArray(current)) return `[${current.map((member) => write(member, false)).join(',')}]`;
    const keys = Object.keys(current)
      .filter((key) => !(top && skip.has(key)))
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${write((current as Record<string, unknown>)[key], false)}`).join(',')}}`;
  };
  return write(value, true);
}

function numberFromSource(source: string): string {
  const number = Number(source);
  const unsafeInteger = /^-?\d+$/.test(source) && !Number.isSafeInteger(number);
  const underflow = number === 0 && /^-?0*\.?0*[1-9]/.test(source);
  return unsafeInteger || !Number.isFinite(number) || underflow ? `raw:${source}` : `num:${number}`;
}

/** The text an item holds: its `raw`, its `rawDeflated` inflated, or its byte range of the object it points to (`objects`: key -> body). */
export function heldText(
  item: Readonly<Record<string, AttributeValue>>,
  objects: ReadonlyMap<string, string>,
): string | undefined {
  if (item.raw?.S !== undefined) return item.raw.S;
  const deflated = item.rawDeflated?.B;
  if (deflated !== undefined) {
    const bytes = typeof deflated === 'string' ? Buffer.from(deflated, 'base64') : deflated;
    return inflateRawSync(bytes).toString('utf8');
  }
  const pointer = item.rawObject?.M;
  if (pointer === undefined) return undefined;
  const body = objects.get(pointer.key?.S ?? '');
  if (body === undefined) return undefined;
  const offset = Number(pointer.offset?.N);
  return Buffer.from(body)
    .subarray(offset, offset + Number(pointer.bytes?.N))
    .toString('utf8');
}

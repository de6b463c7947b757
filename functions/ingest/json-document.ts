import { type RawJsonNumber, rawJsonNumber } from '../shared/events/lossless-json.js';

/**
 * Reads a JSON text that `JSON.parse` has already accepted, the way the ingest needs it:
 * - iteratively (an explicit stack), so any depth the parser accepts is fine;
 * - objects without a prototype, so members named `__proto__` or `constructor` stay members;
 * - numbers a double would change (integers beyond 2^53, overflow, underflow) kept as raw JSON with
 *   their exact digits (see lossless-json.ts);
 * - for a top-level array, the exact source text of each element, so an event is stored as received.
 */
export interface JsonDocument {
  readonly root: unknown;
  /** The source text of each element of a top-level array (undefined for any other root). */
  readonly elementTexts: readonly string[] | undefined;
  /** Positions of the top-level elements (0 for a root that is not an array) that hold a {@link DEEP_VALUE}. */
  readonly deepElements: ReadonlySet<number>;
}

/**
 * Containers nested deeper than this are not built: DynamoDB stores at most 32 levels, so such an event
 * is kept as text (in S3) anyway, and building millions of levels would take more memory than the
 * function has. The container is skipped in the text and stands as {@link DEEP_VALUE}.
 */
export const MAX_BUILT_DEPTH = 64;

/** What stands for a container nested deeper than {@link MAX_BUILT_DEPTH} (its text is kept whole). */
export const DEEP_VALUE: object = Object.freeze(Object.create(null));
export const isDeepValue = (value: unknown): boolean => value === DEEP_VALUE;

type Frame = { readonly list: unknown[] } | { readonly map: Record<string, unknown>; key: string };

const INTEGER_LITERAL = /^-?\d+$/;
const NON_ZERO_MANTISSA = /^-?0*\.?0*[1-9]/;

export function readJsonDocument(text: string): JsonDocument {
  return new DocumentReader(text).read();
}

class DocumentReader {
  private at = 0;
  private readonly stack: Frame[] = [];
  private readonly elementTexts: string[] = [];
  private readonly deepElements = new Set<number>();
  private elementStart = 0;

  constructor(private readonly text: string) {}

  read(): JsonDocument {
    let value = this.value();
    for (;;) {
      const top = this.stack.at(-1);
      if (top === undefined) break;
      value = this.afterValue(top, value);
    }
    this.skipWhitespace();
    if (this.at !== this.text.length) this.fail('text after the document');
    const rootIsList = Array.isArray(value);
    return {
      root: value,
      elementTexts: rootIsList ? this.elementTexts : undefined,
      deepElements: this.deepElements,
    };
  }

  /** Attaches a finished value to its container, then reads on to the next finished value. */
  private afterValue(top: Frame, value: unknown): unknown {
    if ('list' in top) {
      top.list.push(value);
      if (this.stack.length === 1) this.elementTexts.push(this.text.slice(this.elementStart, this.at));
    } else {
      top.map[top.key] = value;
    }
    this.skipWhitespace();
    const next = this.text[this.at++];
    if (next === ',') {
      if ('map' in top) top.key = this.memberName();
      return this.value();
    }
    if (next !== ('list' in top ? ']' : '}')) this.fail(`unexpected ${next ?? 'end of text'}`);
    this.stack.pop();
    // A list grown by push keeps spare capacity; a copy of a short one is exact (deep nesting of short
    // lists would otherwise take several times the memory JSON.parse needs).
    if ('list' in top) return top.list.length < 16 ? top.list.slice() : top.list;
    return top.map;
  }

  /** Reads a value; a non-empty container is opened (pushed) and its first member read instead. */
  private value(): unknown {
    for (;;) {
      this.skipWhitespace();
      if (this.stack.length === 1 && 'list' in (this.stack[0] as Frame)) this.elementStart = this.at;
      const character = this.text[this.at];
      if (character === '{' || character === '[') {
        this.at++;
        this.skipWhitespace();
        const closing = character === '{' ? '}' : ']';
        if (this.stack.length >= MAX_BUILT_DEPTH) {
          this.skipContainer();
          this.deepElements.add(
            this.stack[0] !== undefined && 'list' in this.stack[0] ? this.elementTexts.length : 0,
          );
          return DEEP_VALUE;
        }
        if (this.text[this.at] === closing) {
          this.at++;
          return character === '{' ? Object.create(null) : [];
        }
        if (character === '{') {
          const map: Record<string, unknown> = Object.create(null);
          this.stack.push({ map, key: this.memberName() });
        } else {
          this.stack.push({ list: [] });
        }
        continue;
      }
      if (character === '"') return this.string();
      return this.literalOrNumber();
    }
  }

  /** Moves past the container whose opening bracket was just read (the text is valid JSON). */
  private skipContainer(): void {
    let depth = 1;
    while (depth > 0) {
      const code = this.text.charCodeAt(this.at++);
      if (Number.isNaN(code)) this.fail('unterminated container');
      if (code === 0x22) {
        while (this.text.charCodeAt(this.at) !== 0x22)
          this.at += this.text.charCodeAt(this.at) === 0x5c ? 2 : 1;
        this.at++;
      } else if (code === 0x5b || code === 0x7b) {
        depth++;
      } else if (code === 0x5d || code === 0x7d) {
        depth--;
      }
    }
  }

  private memberName(): string {
    this.skipWhitespace();
    const name = this.string();
    this.skipWhitespace();
    if (this.text[this.at++] !== ':') this.fail('expected a colon');
    return name;
  }

  private string(): string {
    const start = this.at;
    if (this.text[this.at] !== '"') this.fail('expected a string');
    let escaped = false;
    let at = start + 1;
    for (;;) {
      const code = this.text.charCodeAt(at);
      if (Number.isNaN(code)) this.fail('unterminated string');
      if (code === 0x22) break;
      if (code === 0x5c) {
        escaped = true;
        at++;
      }
      at++;
    }
    this.at = at + 1;
    return escaped ? (JSON.parse(this.text.slice(start, this.at)) as string) : this.text.slice(start + 1, at);
  }

  private literalOrNumber(): boolean | null | number | RawJsonNumber {
    for (const [literal, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(literal, this.at)) {
        this.at += literal.length;
        return value;
      }
    }
    const start = this.at;
    while (/[-+0-9.eE]/.test(this.text[this.at] ?? '')) this.at++;
    const source = this.text.slice(start, this.at);
    const number = Number(source);
    if (source === '' || Number.isNaN(number)) this.fail('expected a value');
    const lostInteger = !Number.isSafeInteger(number) && INTEGER_LITERAL.test(source);
    const overflowed = !Number.isFinite(number);
    const underflowed = number === 0 && NON_ZERO_MANTISSA.test(source);
    return lostInteger || overflowed || underflowed ? rawJsonNumber(source) : number;
  }

  private skipWhitespace(): void {
    for (;;) {
      const code = this.text.charCodeAt(this.at);
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return;
      this.at++;
    }
  }

  private fail(problem: string): never {
    throw new SyntaxError(`Not a JSON document: ${problem} at position ${this.at}`);
  }
}

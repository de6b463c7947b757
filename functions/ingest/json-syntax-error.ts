/**
 * Describes where a text stops being valid JSON, without quoting the text (a body can carry addresses).
 *
 * V8's messages give a position for most errors ("... in JSON at position 7 (line 1 column 8)") but not
 * for an unexpected token at the start of a value, where they quote a snippet of the input instead. This
 * scanner finds the position itself; it runs only after `JSON.parse` has already failed.
 */
export interface JsonSyntaxError {
  /** Zero-based offset into the text (UTF-16 code units, as V8 counts). */
  readonly position: number;
  readonly line: number;
  readonly column: number;
  /** What was found there, e.g. "unexpected character ']'" or "unexpected end of input". */
  readonly problem: string;
}

export function locateJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let failure: number | undefined;
  try {
    failure = new Scanner(text).document();
  } catch (error) {
    // Nesting deep enough to exhaust the stack: the caller reports the error without a position.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  if (failure === undefined) return undefined;
  const before = text.slice(0, failure);
  const line = before.split('\n').length;
  const column = failure - before.lastIndexOf('\n');
  const found = text[failure];
  const problem =
    found === undefined
      ? 'unexpected end of input'
      : `unexpected character ${/[\x20-\x7e]/.test(found) ? `'${found}'` : `U+${codePoint(found)}`}`;
  return { position: failure, line, column, problem };
}

function codePoint(character: string): string {
  return (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const isDigit = (character: string | undefined) =>
  character !== undefined && character >= '0' && character <= '9';
const ESCAPE = /\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/** A recursive-descent JSON recognizer; each method returns the failing offset, or undefined. */
class Scanner {
  private at = 0;
  constructor(private readonly text: string) {}

  document(): number | undefined {
    const failure = this.value();
    if (failure !== undefined) return failure;
    this.skipWhitespace();
    return this.at < this.text.length ? this.at : undefined;
  }

  private value(): number | undefined {
    this.skipWhitespace();
    const character = this.text[this.at];
    if (character === '{') return this.object();
    if (character === '[') return this.array();
    if (character === '"') return this.string();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.at)) {
        this.at += literal.length;
        return undefined;
      }
    }
    if (character === '-' || isDigit(character)) return this.number();
    return this.literalFailure();
  }

  /** Where a partial literal (`tru`, `nul`) stops matching, so the position names the bad character. */
  private literalFailure(): number {
    for (const literal of ['true', 'false', 'null']) {
      let length = 0;
      while (length < literal.length && this.text[this.at + length] === literal[length]) length++;
      if (length > 0) return this.at + length;
    }
    return this.at;
  }

  private number(): number | undefined {
    if (this.text[this.at] === '-') this.at++;
    if (this.text[this.at] === '0') this.at++;
    else if (this.digits() === 0) return this.at;
    if (this.text[this.at] === '.') {
      this.at++;
      if (this.digits() === 0) return this.at;
    }
    if (this.text[this.at] === 'e' || this.text[this.at] === 'E') {
      this.at++;
      if (this.text[this.at] === '+' || this.text[this.at] === '-') this.at++;
      if (this.digits() === 0) return this.at;
    }
    return undefined;
  }

  private digits(): number {
    const start = this.at;
    while (isDigit(this.text[this.at])) this.at++;
    return this.at - start;
  }

  private object(): number | undefined {
    this.at++;
    this.skipWhitespace();
    if (this.text[this.at] === '}') {
      this.at++;
      return undefined;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.at] !== '"') return this.at;
      const keyFailure = this.string();
      if (keyFailure !== undefined) return keyFailure;
      this.skipWhitespace();
      if (this.text[this.at] !== ':') return this.at;
      this.at++;
      const valueFailure = this.value();
      if (valueFailure !== undefined) return valueFailure;
      this.skipWhitespace();
      const next = this.text[this.at];
      this.at++;
      if (next === '}') return undefined;
      if (next !== ',') return this.at - 1;
    }
  }

  private array(): number | undefined {
    this.at++;
    this.skipWhitespace();
    if (this.text[this.at] === ']') {
      this.at++;
      return undefined;
    }
    for (;;) {
      const valueFailure = this.value();
      if (valueFailure !== undefined) return valueFailure;
      this.skipWhitespace();
      const next = this.text[this.at];
      this.at++;
      if (next === ']') return undefined;
      if (next !== ',') return this.at - 1;
    }
  }

  private string(): number | undefined {
    this.at++;
    while (this.at < this.text.length) {
      const character = this.text[this.at] as string;
      if (character === '"') {
        this.at++;
        return undefined;
      }
      if (character === '\\') {
        ESCAPE.lastIndex = this.at;
        // Like V8, point at the character after the backslash that makes the escape invalid.
        if (!ESCAPE.test(this.text)) return this.at + 1;
        this.at = ESCAPE.lastIndex;
        continue;
      }
      if (character < ' ') return this.at;
      this.at++;
    }
    return this.at;
  }

  private skipWhitespace(): void {
    while (WHITESPACE.has(this.text[this.at] as string)) this.at++;
  }
}

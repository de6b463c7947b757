/**
 * The part of CloudWatch metric math the stack's alarms use, for single values: numbers, metric ids,
 * + - * /, comparisons (> >= < <= == !=), AND, OR, parentheses and IF(condition, then[, else]). A missing
 * metric value (no datapoint) makes the result missing, as in CloudWatch; so does a division by zero.
 * Any other function (HOUR, FILL, SEARCH, ...) is refused with an UnsupportedExpressionError.
 */

export class UnsupportedExpressionError extends Error {
  override readonly name = 'UnsupportedExpressionError';
}

export type MathValue = number | undefined;
export type CompiledExpression = (values: Readonly<Record<string, MathValue>>) => MathValue;

type Token =
  | { kind: 'number'; value: number }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: string };

const OPERATORS = ['>=', '<=', '==', '!=', '&&', '||', '>', '<', '+', '-', '*', '/', '(', ')', ','];

/** Compiles an expression; the ids it reads are in `ids`. */
export function compileExpression(text: string): { evaluate: CompiledExpression; ids: string[] } {
  const parser = new ExpressionParser(text);
  const evaluate = parser.parseOr();
  parser.expectEnd();
  return { evaluate, ids: [...parser.ids] };
}

/** Recursive descent over the tokens, lowest precedence first: OR, AND, comparisons, sums, products. */
class ExpressionParser {
  readonly ids = new Set<string>();
  private readonly tokens: Token[];
  private position = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parseOr(): CompiledExpression {
    let left = this.parseAnd();
    while (this.accept('||') || this.acceptWord('OR')) {
      const [a, b] = [left, this.parseAnd()];
      left = (v) => both(a(v), b(v), (x, y) => (x !== 0 || y !== 0 ? 1 : 0));
    }
    return left;
  }

  expectEnd(): void {
    if (this.position < this.tokens.length) {
      throw new UnsupportedExpressionError(
        `Unexpected "${this.tokens[this.position]?.value}" in expression: ${this.text}`,
      );
    }
  }

  private parseAnd(): CompiledExpression {
    let left = this.parseComparison();
    while (this.accept('&&') || this.acceptWord('AND')) {
      const [a, b] = [left, this.parseComparison()];
      left = (v) => both(a(v), b(v), (x, y) => (x !== 0 && y !== 0 ? 1 : 0));
    }
    return left;
  }

  private parseComparison(): CompiledExpression {
    const left = this.parseSum();
    for (const op of ['>=', '<=', '==', '!=', '>', '<']) {
      if (this.accept(op)) {
        const right = this.parseSum();
        const test = COMPARISONS[op] as (a: number, b: number) => boolean;
        return (v) => both(left(v), right(v), (x, y) => (test(x, y) ? 1 : 0));
      }
    }
    return left;
  }

  private parseSum(): CompiledExpression {
    let left = this.parseProduct();
    for (;;) {
      if (this.accept('+')) {
        const [a, b] = [left, this.parseProduct()];
        left = (v) => both(a(v), b(v), (x, y) => x + y);
      } else if (this.accept('-')) {
        const [a, b] = [left, this.parseProduct()];
        left = (v) => both(a(v), b(v), (x, y) => x - y);
      } else return left;
    }
  }

  private parseProduct(): CompiledExpression {
    let left = this.parseUnary();
    for (;;) {
      if (this.accept('*')) {
        const [a, b] = [left, this.parseUnary()];
        left = (v) => both(a(v), b(v), (x, y) => x * y);
      } else if (this.accept('/')) {
        const [a, b] = [left, this.parseUnary()];
        left = (v) => both(a(v), b(v), (x, y) => (y === 0 ? undefined : x / y));
      } else return left;
    }
  }

  private parseUnary(): CompiledExpression {
    if (this.accept('-')) {
      const operand = this.parseUnary();
      return (v) => {
        const x = operand(v);
        return x === undefined ? undefined : -x;
      };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): CompiledExpression {
    const token = this.tokens[this.position++];
    if (token === undefined)
      throw new UnsupportedExpressionError(`Unexpected end of expression: ${this.text}`);
    if (token.kind === 'number') return () => token.value;
    if (token.kind === 'op' && token.value === '(') {
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    if (token.kind === 'name') {
      if (this.accept('(')) return this.parseCall(token.value);
      this.ids.add(token.value);
      return (v) => v[token.value];
    }
    throw new UnsupportedExpressionError(`Unexpected "${token.value}" in expression: ${this.text}`);
  }

  private parseCall(name: string): CompiledExpression {
    if (name.toUpperCase() !== 'IF') {
      throw new UnsupportedExpressionError(`Metric math function ${name}() is not evaluated locally`);
    }
    const condition = this.parseOr();
    this.expect(',');
    const then = this.parseOr();
    const otherwise = this.accept(',') ? this.parseOr() : () => undefined;
    this.expect(')');
    return (v) => {
      const c = condition(v);
      if (c === undefined) return undefined;
      return c !== 0 ? then(v) : otherwise(v);
    };
  }

  private accept(op: string): boolean {
    const token = this.tokens[this.position];
    if (token?.kind === 'op' && token.value === op) {
      this.position++;
      return true;
    }
    return false;
  }

  private acceptWord(word: string): boolean {
    const token = this.tokens[this.position];
    if (token?.kind === 'name' && token.value.toUpperCase() === word) {
      this.position++;
      return true;
    }
    return false;
  }

  private expect(op: string): void {
    if (!this.accept(op))
      throw new UnsupportedExpressionError(`Expected "${op}" in expression: ${this.text}`);
  }
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
};

function both(a: MathValue, b: MathValue, combine: (x: number, y: number) => MathValue): MathValue {
  return a === undefined || b === undefined ? undefined : combine(a, b);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const number = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', value: name[0] });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((candidate) => rest.startsWith(candidate));
    if (op === undefined)
      throw new UnsupportedExpressionError(`Unexpected "${rest[0]}" in expression: ${text}`);
    tokens.push({ kind: 'op', value: op });
    i += op.length;
  }
  return tokens;
}

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
  const tokens = tokenize(text);
  const ids = new Set<string>();
  let position = 0;
  const peek = () => tokens[position];
  const take = () => tokens[position++];
  const accept = (op: string) => {
    const token = peek();
    if (token?.kind === 'op' && token.value === op) {
      position++;
      return true;
    }
    return false;
  };
  const acceptWord = (word: string) => {
    const token = peek();
    if (token?.kind === 'name' && token.value.toUpperCase() === word) {
      position++;
      return true;
    }
    return false;
  };

  function parseOr(): CompiledExpression {
    let left = parseAnd();
    while (accept('||') || acceptWord('OR')) {
      const [a, b] = [left, parseAnd()];
      left = (v) => both(a(v), b(v), (x, y) => (x !== 0 || y !== 0 ? 1 : 0));
    }
    return left;
  }
  function parseAnd(): CompiledExpression {
    let left = parseComparison();
    while (accept('&&') || acceptWord('AND')) {
      const [a, b] = [left, parseComparison()];
      left = (v) => both(a(v), b(v), (x, y) => (x !== 0 && y !== 0 ? 1 : 0));
    }
    return left;
  }
  function parseComparison(): CompiledExpression {
    const left = parseSum();
    for (const op of ['>=', '<=', '==', '!=', '>', '<']) {
      if (accept(op)) {
        const right = parseSum();
        const test = COMPARISONS[op] as (a: number, b: number) => boolean;
        return (v) => both(left(v), right(v), (x, y) => (test(x, y) ? 1 : 0));
      }
    }
    return left;
  }
  function parseSum(): CompiledExpression {
    let left = parseProduct();
    for (;;) {
      if (accept('+')) {
        const [a, b] = [left, parseProduct()];
        left = (v) => both(a(v), b(v), (x, y) => x + y);
      } else if (accept('-')) {
        const [a, b] = [left, parseProduct()];
        left = (v) => both(a(v), b(v), (x, y) => x - y);
      } else return left;
    }
  }
  function parseProduct(): CompiledExpression {
    let left = parseUnary();
    for (;;) {
      if (accept('*')) {
        const [a, b] = [left, parseUnary()];
        left = (v) => both(a(v), b(v), (x, y) => x * y);
      } else if (accept('/')) {
        const [a, b] = [left, parseUnary()];
        left = (v) => both(a(v), b(v), (x, y) => (y === 0 ? undefined : x / y));
      } else return left;
    }
  }
  function parseUnary(): CompiledExpression {
    if (accept('-')) {
      const operand = parseUnary();
      return (v) => {
        const x = operand(v);
        return x === undefined ? undefined : -x;
      };
    }
    return parsePrimary();
  }
  function parsePrimary(): CompiledExpression {
    const token = take();
    if (token === undefined) throw new UnsupportedExpressionError(`Unexpected end of expression: ${text}`);
    if (token.kind === 'number') return () => token.value;
    if (token.kind === 'op' && token.value === '(') {
      const inner = parseOr();
      expect(')');
      return inner;
    }
    if (token.kind === 'name') {
      if (accept('(')) return parseCall(token.value);
      ids.add(token.value);
      return (v) => v[token.value];
    }
    throw new UnsupportedExpressionError(`Unexpected "${token.value}" in expression: ${text}`);
  }
  function parseCall(name: string): CompiledExpression {
    if (name.toUpperCase() !== 'IF') {
      throw new UnsupportedExpressionError(`Metric math function ${name}() is not evaluated locally`);
    }
    const condition = parseOr();
    expect(',');
    const then = parseOr();
    const otherwise = accept(',') ? parseOr() : () => undefined;
    expect(')');
    return (v) => {
      const c = condition(v);
      if (c === undefined) return undefined;
      return c !== 0 ? then(v) : otherwise(v);
    };
  }
  function expect(op: string): void {
    if (!accept(op)) throw new UnsupportedExpressionError(`Expected "${op}" in expression: ${text}`);
  }

  const evaluate = parseOr();
  if (position < tokens.length) {
    throw new UnsupportedExpressionError(`Unexpected "${tokens[position]?.value}" in expression: ${text}`);
  }
  return { evaluate, ids: [...ids] };
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

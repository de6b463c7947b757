/**
 * The part of CloudWatch Logs' filter pattern syntax the project uses, compiled to a matcher: the empty
 * pattern (every event), and JSON patterns `{ $.field = "text" }` / `{ $.a.b != 5 }` joined by `&&`. Any
 * other pattern is refused (InvalidParameterException), so a query the stand-in cannot answer never
 * passes as one that matched nothing.
 */

export class UnsupportedFilterPattern extends Error {
  override readonly name = 'UnsupportedFilterPattern';
}

type Matcher = (message: string) => boolean;

const CONDITION = /^\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*(=|!=)\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)$/;

export function compileFilterPattern(pattern: string | undefined): Matcher {
  const text = (pattern ?? '').trim();
  if (text === '') return () => true;
  if (!text.startsWith('{') || !text.endsWith('}')) {
    throw new UnsupportedFilterPattern(`only JSON filter patterns are supported here, got ${text}`);
  }
  const conditions = text
    .slice(1, -1)
    .split('&&')
    .map((part) => compileCondition(part.trim(), text));
  return (message) => {
    const document = parseJson(message);
    return document !== undefined && conditions.every((condition) => condition(document));
  };
}

function compileCondition(condition: string, pattern: string): (document: unknown) => boolean {
  const match = CONDITION.exec(condition);
  if (!match) throw new UnsupportedFilterPattern(`unsupported condition "${condition}" in ${pattern}`);
  const [, path = '', operator, literal = ''] = match;
  const fields = path.slice(1).split('.');
  const expected: unknown = JSON.parse(literal);
  return (document) => {
    const value = fields.reduce<unknown>(
      (node, field) =>
        node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[field] : undefined,
      document,
    );
    const equal = value === expected;
    return operator === '=' ? equal : value !== undefined && !equal;
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * AWS event patterns, the one grammar behind Lambda event source mapping filter criteria and SNS
 * subscription filter policies: a pattern matches a JSON document when every key matches (nested objects
 * match nested objects); a key's list of rules matches when any rule matches the value, or any element of
 * an array value; a top-level `$or` lists alternative patterns.
 *
 * Rules: exact strings, numbers and null, `{"prefix"}`, `{"suffix"}`, `{"equals-ignore-case"}`,
 * `{"anything-but": value | [values] | {"prefix"} | {"suffix"}}` (the key must exist),
 * `{"numeric": [op, n, ...]}` with =, <, <=, >, >=, and `{"exists": bool}`. Anything else (`cidr`,
 * `wildcard`, ...) is refused with an EventPatternError naming it, never silently matched.
 */

export class EventPatternError extends Error {
  override readonly name = 'EventPatternError';
}

export type DocumentMatcher = (document: unknown) => boolean;
type Rule = (value: unknown, present: boolean) => boolean;

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** Compiles one pattern; `where` names it in errors. */
export function compileEventPattern(pattern: Record<string, unknown>, where = 'pattern'): DocumentMatcher {
  return compileObject(pattern, where, true);
}

function compileObject(pattern: Record<string, unknown>, where: string, topLevel: boolean): DocumentMatcher {
  const keys = Object.entries(pattern).map(([key, spec]): DocumentMatcher => {
    const path = `${where}.${key}`;
    if (key === '$or') return compileOr(spec, path, topLevel);
    if (Array.isArray(spec)) return compileKey(key, spec, path);
    if (isObject(spec)) {
      const nested = compileObject(spec, path, false);
      return (document) => isObject(document) && nested(document[key]);
    }
    throw new EventPatternError(`${path}: a pattern value must be a list of rules or a nested object`);
  });
  return (document) => keys.every((matches) => matches(document));
}

function compileOr(spec: unknown, where: string, topLevel: boolean): DocumentMatcher {
  if (!topLevel) throw new EventPatternError(`${where}: $or is supported at the top level only`);
  if (!Array.isArray(spec) || spec.length < 2) {
    throw new EventPatternError(`${where}: $or must list at least two alternative patterns`);
  }
  const alternatives = spec.map((alternative, index) => {
    if (!isObject(alternative)) throw new EventPatternError(`${where}[${index}] must be an object`);
    return compileObject(alternative, `${where}[${index}]`, false);
  });
  return (document) => alternatives.some((matches) => matches(document));
}

function compileKey(key: string, spec: unknown[], where: string): DocumentMatcher {
  if (spec.length === 0) throw new EventPatternError(`${where} has no rules`);
  const rules = spec.map((rule) => compileRule(rule, where));
  return (document) => {
    const present = isObject(document) && key in document;
    const value = present ? document[key] : undefined;
    const candidates = Array.isArray(value) ? value : [value];
    return rules.some(
      (rule) =>
        (candidates.length === 0 && rule(undefined, present)) || candidates.some((c) => rule(c, present)),
    );
  };
}

function compileRule(rule: unknown, where: string): Rule {
  if (rule === null) return (value, present) => present && value === null;
  if (typeof rule === 'string' || typeof rule === 'number')
    return (value, present) => present && value === rule;
  if (!isObject(rule)) throw new EventPatternError(`${where}: unsupported rule ${JSON.stringify(rule)}`);
  const entries = Object.entries(rule);
  const [operator, operand] = entries[0] ?? [];
  if (entries.length !== 1 || operator === undefined) {
    throw new EventPatternError(`${where}: a rule object has exactly one operator`);
  }
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') throw new EventPatternError(`${where}: exists takes true or false`);
      return (_value, present) => present === operand;
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case': {
      const test = stringRule(operator, operand, where);
      return (value, present) => present && test(value);
    }
    case 'anything-but': {
      const excluded = anythingBut(operand, where);
      return (value, present) => present && value !== undefined && !excluded(value);
    }
    case 'numeric': {
      const conditions = numericConditions(operand, where);
      return (value, present) =>
        present && typeof value === 'number' && conditions.every(([test, bound]) => test(value, bound));
    }
    default:
      throw new EventPatternError(`${where}: operator "${operator}" is not supported locally`);
  }
}

function stringRule(operator: string, operand: unknown, where: string): (value: unknown) => boolean {
  if (typeof operand !== 'string') throw new EventPatternError(`${where}: ${operator} takes a string`);
  if (operator === 'prefix') return (value) => typeof value === 'string' && value.startsWith(operand);
  if (operator === 'suffix') return (value) => typeof value === 'string' && value.endsWith(operand);
  const lower = operand.toLowerCase();
  return (value) => typeof value === 'string' && value.toLowerCase() === lower;
}

/** What anything-but excludes: values, or strings with a prefix or suffix. */
function anythingBut(operand: unknown, where: string): (value: unknown) => boolean {
  const values = Array.isArray(operand) ? operand : [operand];
  if (values.every((item) => typeof item === 'string' || typeof item === 'number' || item === null)) {
    return (value) => values.includes(value);
  }
  if (isObject(operand)) {
    const [operator, value] = Object.entries(operand)[0] ?? [];
    if (operator === 'prefix' || operator === 'suffix') {
      const test = stringRule(operator, value, where);
      return (candidate) => typeof candidate !== 'string' || test(candidate);
    }
  }
  throw new EventPatternError(`${where}: unsupported anything-but operand ${JSON.stringify(operand)}`);
}

function numericConditions(
  operand: unknown,
  where: string,
): Array<[(a: number, b: number) => boolean, number]> {
  const invalid = () =>
    new EventPatternError(`${where}: numeric takes [op, number, ...] with =, <, <=, >, >=`);
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) throw invalid();
  const conditions: Array<[(a: number, b: number) => boolean, number]> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const test = NUMERIC[String(operand[i])];
    const bound = operand[i + 1];
    if (test === undefined || typeof bound !== 'number') throw invalid();
    conditions.push([test, bound]);
  }
  return conditions;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

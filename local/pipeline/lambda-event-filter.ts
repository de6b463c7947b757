/**
 * Lambda event source mapping filter criteria (the `FilterCriteria.Filters[].Pattern` JSON the stack
 * synthesizes), applied to a record as Lambda hands it to the function. A record passes when any pattern
 * matches; a pattern matches when every key matches; a key's list of rules matches when any rule does.
 *
 * Supported rules (Lambda's filter syntax): exact strings, numbers and null, `{"prefix"}`, `{"suffix"}`,
 * `{"equals-ignore-case"}`, `{"anything-but": value | [values]}`, `{"numeric": [op, n, ...]}`,
 * `{"exists": bool}`. Anything else is refused with a FilterSyntaxError, never silently ignored.
 */

export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
}

type Rule = (value: unknown, present: boolean) => boolean;
type Matcher = (record: unknown) => boolean;

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** Compiles the patterns (JSON strings or objects) into one predicate: true when any pattern matches. */
export function compileFilterCriteria(
  patterns: ReadonlyArray<string | object>,
): (record: unknown) => boolean {
  const matchers = patterns.map((pattern, index) => {
    let parsed: unknown = pattern;
    if (typeof pattern === 'string') {
      try {
        parsed = JSON.parse(pattern);
      } catch {
        throw new FilterSyntaxError(`Filter pattern ${index} is not JSON`);
      }
    }
    if (!isObject(parsed)) throw new FilterSyntaxError(`Filter pattern ${index} must be a JSON object`);
    return compileObject(parsed, `pattern ${index}`);
  });
  return (record) => matchers.length === 0 || matchers.some((matches) => matches(record));
}

function compileObject(pattern: Record<string, unknown>, where: string): Matcher {
  const keys = Object.entries(pattern).map(([key, spec]): Matcher => {
    const path = `${where}.${key}`;
    if (Array.isArray(spec)) {
      const rules = spec.map((rule) => compileRule(rule, path));
      return (record) => {
        const present = isObject(record) && key in record;
        const value = present ? (record as Record<string, unknown>)[key] : undefined;
        const candidates = Array.isArray(value) ? value : [value];
        return rules.some((rule) => candidates.some((candidate) => rule(candidate, present)));
      };
    }
    if (isObject(spec)) {
      const nested = compileObject(spec, path);
      return (record) => isObject(record) && nested((record as Record<string, unknown>)[key]);
    }
    throw new FilterSyntaxError(`${path}: a filter value must be a list of rules or a nested object`);
  });
  return (record) => keys.every((matches) => matches(record));
}

function compileRule(rule: unknown, where: string): Rule {
  if (rule === null) return (value, present) => present && value === null;
  if (typeof rule === 'string' || typeof rule === 'number') {
    return (value, present) => present && value === rule;
  }
  if (!isObject(rule)) throw new FilterSyntaxError(`${where}: unsupported rule ${JSON.stringify(rule)}`);
  const [[operator, operand] = []] = Object.entries(rule);
  switch (operator) {
    case 'prefix':
      return (value, present) => present && typeof value === 'string' && value.startsWith(String(operand));
    case 'suffix':
      return (value, present) => present && typeof value === 'string' && value.endsWith(String(operand));
    case 'equals-ignore-case':
      return (value, present) =>
        present && typeof value === 'string' && value.toLowerCase() === String(operand).toLowerCase();
    case 'exists':
      return (_value, present) => present === operand;
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand : [operand];
      if (excluded.some((item) => typeof item === 'object' && item !== null)) {
        throw new FilterSyntaxError(`${where}: anything-but with a nested rule is not supported locally`);
      }
      return (value, present) => present && !excluded.includes(value);
    }
    case 'numeric': {
      const conditions = compileNumeric(operand, where);
      return (value, present) =>
        present && typeof value === 'number' && conditions.every(([test, bound]) => test(value, bound));
    }
    default:
      throw new FilterSyntaxError(`${where}: the rule "${operator}" is not supported locally`);
  }
}

function compileNumeric(operand: unknown, where: string): Array<[(a: number, b: number) => boolean, number]> {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new FilterSyntaxError(`${where}: numeric needs [operator, number, ...]`);
  }
  const conditions: Array<[(a: number, b: number) => boolean, number]> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const test = NUMERIC[String(operand[i])];
    const bound = operand[i + 1];
    if (test === undefined || typeof bound !== 'number') {
      throw new FilterSyntaxError(
        `${where}: bad numeric condition ${JSON.stringify(operand.slice(i, i + 2))}`,
      );
    }
    conditions.push([test, bound]);
  }
  return conditions;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

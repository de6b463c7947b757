/**
 * SNS subscription filter policies on message attributes (FilterPolicyScope "MessageAttributes", the SNS
 * default), for the stand-in's in-process subscribers.
 *
 * Supported, with SNS's semantics:
 * - keys are ANDed, the values listed for a key are ORed; `$or` at the top level (a list of sub-policies);
 * - exact strings `["open", "click"]` and exact numbers `[5]`;
 * - `{"prefix": "a"}`, `{"suffix": "a"}`, `{"equals-ignore-case": "a"}`;
 * - `{"anything-but": "a" | 5 | ["a", 5] | {"prefix": "a"} | {"suffix": "a"}}` (the attribute must exist);
 * - `{"numeric": [">", 0, "<=", 5]}` with =, <, <=, >, >= (one or two conditions);
 * - `{"exists": true | false}`.
 * String attributes match string rules, Number attributes numeric rules, String.Array attributes match when
 * any element matches; Binary attributes are invisible to policies (as in SNS).
 * Not supported (refused with a FilterPolicyError, never silently ignored): MessageBody scope (nested keys),
 * `cidr`, `wildcard`, nesting `$or` below the top level.
 */

export interface FilterableAttribute {
  dataType: string;
  stringValue?: string;
}

export type AttributeMatcher = (attributes: Record<string, FilterableAttribute>) => boolean;

export class FilterPolicyError extends Error {
  override readonly name = 'FilterPolicyError';
}

type Candidate = { kind: 'string'; value: string } | { kind: 'number'; value: number };
type ValueRule = (candidate: Candidate) => boolean;
type KeyRule = { kind: 'value'; test: ValueRule } | { kind: 'exists'; present: boolean };

const NUMERIC_OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** Compiles a filter policy into a matcher; throws a FilterPolicyError naming what is not supported. */
export function compileFilterPolicy(policy: object): AttributeMatcher {
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    throw new FilterPolicyError('A filter policy must be a JSON object');
  }
  return compilePolicy(policy as Record<string, unknown>, true);
}

function compilePolicy(policy: Record<string, unknown>, topLevel: boolean): AttributeMatcher {
  const keyMatchers: AttributeMatcher[] = [];
  for (const [key, rules] of Object.entries(policy)) {
    if (key === '$or') {
      if (!topLevel) throw new FilterPolicyError('Nested $or is not supported by the local stand-in');
      if (!Array.isArray(rules) || rules.length < 2) {
        throw new FilterPolicyError('$or must list at least two sub-policies');
      }
      const alternatives = rules.map((rule) => {
        if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
          throw new FilterPolicyError('Each $or alternative must be an object');
        }
        return compilePolicy(rule as Record<string, unknown>, false);
      });
      keyMatchers.push((attributes) => alternatives.some((matches) => matches(attributes)));
      continue;
    }
    if (!Array.isArray(rules)) {
      throw new FilterPolicyError(
        `Filter policy key "${key}" must map to an array of rules (nested keys need MessageBody scope, which is not supported)`,
      );
    }
    if (rules.length === 0) throw new FilterPolicyError(`Filter policy key "${key}" has no rules`);
    const keyRules = rules.map((rule) => compileRule(key, rule));
    keyMatchers.push((attributes) => keyMatches(attributes[key], keyRules));
  }
  return (attributes) => keyMatchers.every((matches) => matches(attributes));
}

function keyMatches(attribute: FilterableAttribute | undefined, rules: KeyRule[]): boolean {
  const candidates = attribute === undefined ? undefined : candidatesOf(attribute);
  if (candidates === undefined) return rules.some((rule) => rule.kind === 'exists' && !rule.present);
  return rules.some((rule) =>
    rule.kind === 'exists' ? rule.present : candidates.some((candidate) => rule.test(candidate)),
  );
}

function candidatesOf(attribute: FilterableAttribute): Candidate[] | undefined {
  const { dataType, stringValue } = attribute;
  if (stringValue === undefined || dataType.startsWith('Binary')) return undefined;
  if (dataType === 'String.Array') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(stringValue);
    } catch {
      return [];
    }
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((item): Candidate[] => {
      if (typeof item === 'string') return [{ kind: 'string', value: item }];
      if (typeof item === 'number') return [{ kind: 'number', value: item }];
      return [];
    });
  }
  if (dataType.startsWith('Number')) {
    const value = Number(stringValue);
    return Number.isFinite(value) ? [{ kind: 'number', value }] : [];
  }
  return [{ kind: 'string', value: stringValue }];
}

function compileRule(key: string, rule: unknown): KeyRule {
  if (typeof rule === 'string' || typeof rule === 'number') return { kind: 'value', test: equals(rule) };
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    throw new FilterPolicyError(`Filter policy key "${key}": unsupported rule ${JSON.stringify(rule)}`);
  }
  const entries = Object.entries(rule);
  const [operator, operand] = entries[0] ?? [];
  if (entries.length !== 1 || operator === undefined) {
    throw new FilterPolicyError(`Filter policy key "${key}": a rule object has exactly one operator`);
  }
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') throw new FilterPolicyError(`"${key}": exists takes true or false`);
      return { kind: 'exists', present: operand };
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      return { kind: 'value', test: stringOperator(key, operator, operand) };
    case 'anything-but':
      return { kind: 'value', test: anythingBut(key, operand) };
    case 'numeric':
      return { kind: 'value', test: numericRange(key, operand) };
    default:
      throw new FilterPolicyError(
        `Filter policy key "${key}": operator "${operator}" is not supported by the local stand-in`,
      );
  }
}

function equals(expected: string | number): ValueRule {
  return (candidate) =>
    typeof expected === 'string'
      ? candidate.kind === 'string' && candidate.value === expected
      : candidate.kind === 'number' && candidate.value === expected;
}

function stringOperator(key: string, operator: string, operand: unknown): ValueRule {
  if (typeof operand !== 'string') throw new FilterPolicyError(`"${key}": ${operator} takes a string`);
  if (operator === 'prefix') return (c) => c.kind === 'string' && c.value.startsWith(operand);
  if (operator === 'suffix') return (c) => c.kind === 'string' && c.value.endsWith(operand);
  const lower = operand.toLowerCase();
  return (c) => c.kind === 'string' && c.value.toLowerCase() === lower;
}

function anythingBut(key: string, operand: unknown): ValueRule {
  if (typeof operand === 'string' || typeof operand === 'number') {
    const excluded = equals(operand);
    return (candidate) => !excluded(candidate);
  }
  if (Array.isArray(operand)) {
    if (!operand.every((item) => typeof item === 'string' || typeof item === 'number')) {
      throw new FilterPolicyError(`"${key}": anything-but lists only strings and numbers`);
    }
    const excluded = operand.map((item: string | number) => equals(item));
    return (candidate) => !excluded.some((rule) => rule(candidate));
  }
  if (operand !== null && typeof operand === 'object') {
    const [operator, value] = Object.entries(operand)[0] ?? [];
    if (operator === 'prefix' || operator === 'suffix') {
      const excluded = stringOperator(key, operator, value);
      return (candidate) => candidate.kind === 'string' && !excluded(candidate);
    }
  }
  throw new FilterPolicyError(`"${key}": unsupported anything-but operand ${JSON.stringify(operand)}`);
}

function numericRange(key: string, operand: unknown): ValueRule {
  const invalid = () =>
    new FilterPolicyError(
      `"${key}": numeric takes [op, number] or [op, number, op, number] with =, <, <=, >, >=`,
    );
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) throw invalid();
  const conditions: Array<(value: number) => boolean> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const compare = NUMERIC_OPERATORS[String(operand[i])];
    const bound = operand[i + 1];
    if (compare === undefined || typeof bound !== 'number') throw invalid();
    conditions.push((value) => compare(value, bound));
  }
  return (candidate) => candidate.kind === 'number' && conditions.every((holds) => holds(candidate.value));
}

import type * as v from 'valibot';

/**
 * Turns valibot issues into the lines a deployer reads: `path: what is wrong; what is allowed`, with a
 * suggestion for a mistyped option name. No valibot vocabulary ("Expected never") reaches the reader.
 */

type AnySchema = v.GenericSchema & {
  readonly entries?: Record<string, AnySchema>;
  readonly wrapped?: AnySchema;
  readonly item?: AnySchema;
};

export function describeIssue(root: AnySchema, rootName: string, issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((item) => String(item.key));
  const path = [rootName, ...keys].join('.');
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    const unknownKey = keys[keys.length - 1] ?? '';
    const options = Object.keys(objectEntriesAt(root, keys.slice(0, -1)) ?? {});
    const suggestion = closestName(unknownKey, options);
    return (
      `${path}: unknown option` +
      (suggestion === undefined ? '' : `; did you mean "${suggestion}"?`) +
      (options.length > 0 ? ` Options here: ${options.join(', ')}` : '')
    );
  }
  return `${path}: ${whatIsWrong(issue)}; ${whatIsAllowed(issue)}`;
}

function whatIsWrong(issue: v.BaseIssue<unknown>): string {
  // A cross-field check reports the whole object as its input; the value at the path is what is wrong.
  const last = issue.path?.[issue.path.length - 1];
  const value = last === undefined ? issue.input : last.value;
  if (value === undefined) return 'missing';
  return `got ${describeValue(value)}`;
}

const CUSTOM_MESSAGE = /^(must|list|only|use)\b/i;

function whatIsAllowed(issue: v.BaseIssue<unknown>): string {
  if (CUSTOM_MESSAGE.test(issue.message)) return issue.message;
  const requirement = issue.requirement;
  switch (issue.type) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'array':
      return `must be ${article(issue.type)} ${issue.type}`;
    case 'object':
    case 'strict_object':
      return 'must be an object';
    case 'integer':
      return 'must be a whole number';
    case 'min_value':
      return `must be at least ${String(requirement)}`;
    case 'max_value':
      return `must be at most ${String(requirement)}`;
    case 'min_length':
      return `must have at least ${String(requirement)} ${Number(requirement) === 1 ? 'entry' : 'entries'}`;
    case 'picklist':
      return Array.isArray(requirement)
        ? `must be one of ${requirement.map((option) => JSON.stringify(option)).join(', ')}`
        : `must be one of ${(issue.expected ?? 'the documented values').replace(/^\(|\)$/g, '').replaceAll(' | ', ', ')}`;
    case 'email':
      return 'must be an email address';
    case 'url':
      return 'must be a URL';
    case 'literal':
      return `must be ${issue.expected ?? 'the documented value'}`;
    case 'raw_check':
      return issue.message;
    default:
      return `must be ${issue.expected ?? 'as documented in README.md, "Configuration reference"'}`;
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The option names of the object schema at `keys` (through optional, pipe and array wrappers). */
function objectEntriesAt(root: AnySchema, keys: readonly string[]): Record<string, AnySchema> | undefined {
  let schema: AnySchema | undefined = root;
  for (const key of keys) {
    schema = unwrap(schema);
    schema = schema?.entries?.[key] ?? (/^\d+$/.test(key) ? schema?.item : undefined);
  }
  return unwrap(schema)?.entries;
}

function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let current = schema;
  while (current?.wrapped !== undefined) current = current.wrapped;
  return current;
}

/** The option name within edit distance 2 (or sharing a prefix of 4+) of `name`, if exactly one is closest. */
export function closestName(name: string, options: readonly string[]): string | undefined {
  const scored = options
    .map((option) => ({ option, distance: editDistance(name.toLowerCase(), option.toLowerCase()) }))
    .filter(({ option, distance }) => distance <= 2 || sharedPrefix(name, option) >= 4)
    .sort((a, b) => a.distance - b.distance);
  return scored[0]?.option;
}

function sharedPrefix(a: string, b: string): number {
  let length = 0;
  while (length < a.length && a[length]?.toLowerCase() === b[length]?.toLowerCase()) length++;
  return length;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

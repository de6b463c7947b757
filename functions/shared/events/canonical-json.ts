import { isRawJsonNumber } from './lossless-json.js';

/**
 * The canonical JSON text of a parsed JSON value: object keys sorted (by UTF-16 code units, the
 * default sort) at every level, no whitespace, strings and numbers written as `JSON.stringify` writes
 * them. Two texts that differ only in key order or whitespace have the same canonical form.
 *
 * Iterative (an explicit stack of pending text pieces), so any depth the parser accepts is fine; object
 * members are read as own properties, so `__proto__` and `constructor` are members like any other.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Each entry is either text to emit or a value to expand, pushed in reverse so they pop in order.
  const stack: Array<{ text: string } | { value: unknown }> = [{ value }];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    if ('text' in entry) {
      out.push(entry.text);
      continue;
    }
    const current = entry.value;
    if (current === null || typeof current !== 'object' || isRawJsonNumber(current)) {
      out.push(JSON.stringify(current) ?? 'null');
    } else if (Array.isArray(current)) {
      stack.push({ text: ']' });
      for (let index = current.length - 1; index >= 0; index--) {
        stack.push({ value: current[index] });
        if (index > 0) stack.push({ text: ',' });
      }
      out.push('[');
    } else {
      const record = current as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      stack.push({ text: '}' });
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index] as string;
        stack.push({ value: record[key] });
        stack.push({ text: `${index > 0 ? ',' : ''}${JSON.stringify(key)}:` });
      }
      out.push('{');
    }
  }
  return out.join('');
}

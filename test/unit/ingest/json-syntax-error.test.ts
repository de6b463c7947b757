import { describe, expect, it } from 'vitest';
import { locateJsonSyntaxError } from '../../../functions/ingest/json-syntax-error.js';

/** The position V8 reports, when its message has one. */
function v8Position(text: string): number | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const match = /at position (\d+)/.exec((error as Error).message);
    return match ? Number(match[1]) : undefined;
  }
}

describe('locateJsonSyntaxError', () => {
  it('finds nothing wrong in valid JSON', () => {
    for (const text of ['[]', ' {"a":[1,-2.5e3,true,false,null,"\\u00e9\\n"]} ', '"x"', '0']) {
      expect(locateJsonSyntaxError(text), text).toBeUndefined();
    }
  });

  it('agrees with V8 wherever V8 reports a position', () => {
    const invalid = [
      '{"a":1,}',
      '[1,2',
      '[1] x',
      '{"a" 1}',
      '["a\nb"]',
      '{"a":1 "b":2}',
      '[1,,2]',
      '{"a":01}',
      '["\\x"]',
      '{1:2}',
      '[1.]',
      '[-]',
    ];
    for (const text of invalid) {
      const located = locateJsonSyntaxError(text);
      expect(located, text).toBeDefined();
      const expected = v8Position(text);
      if (expected !== undefined) expect(located?.position, text).toBe(expected);
    }
  });

  it('locates errors V8 reports without a position', () => {
    expect(locateJsonSyntaxError('[tru]')).toEqual({
      position: 4,
      line: 1,
      column: 5,
      problem: "unexpected character ']'",
    });
    expect(locateJsonSyntaxError('')).toMatchObject({ position: 0, problem: 'unexpected end of input' });
    expect(locateJsonSyntaxError('[\u0001]')).toMatchObject({
      position: 1,
      problem: 'unexpected character U+0001',
    });
  });

  it('gives up without throwing on nesting too deep to scan', () => {
    const deep = `${'['.repeat(200_000)}x`;
    expect(() => locateJsonSyntaxError(deep)).not.toThrow();
  });
});

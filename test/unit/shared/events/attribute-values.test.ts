import { describe, expect, it } from 'vitest';
import {
  fromAttributeMap,
  fromAttributeValue,
  itemBytes,
  marshalJson,
  toAttributeMap,
  toAttributeValue,
} from '../../../../functions/shared/events/attribute-values.js';
import { parseJsonLosslessly } from '../../../../functions/shared/events/lossless-json.js';

describe('toAttributeValue / fromAttributeValue', () => {
  it('round-trips every kind of JSON value, lists never becoming sets', () => {
    const value = {
      s: 'text',
      e: '',
      n: 1.25,
      i: -7,
      t: true,
      f: false,
      z: null,
      l: ['a', 'a', 1],
      m: { nested: { deeper: [{}] } },
    };
    const attribute = toAttributeValue(value);
    expect(attribute).toEqual({
      M: {
        s: { S: 'text' },
        e: { S: '' },
        n: { N: '1.25' },
        i: { N: '-7' },
        t: { BOOL: true },
        f: { BOOL: false },
        z: { NULL: true },
        l: { L: [{ S: 'a' }, { S: 'a' }, { N: '1' }] },
        m: { M: { nested: { M: { deeper: { L: [{ M: {} }] } } } } },
      },
    });
    expect(fromAttributeValue(attribute)).toEqual(value);
  });

  it('stores and reads back numbers a double cannot hold with their exact digits', () => {
    const value = parseJsonLosslessly('{"id":123456789012345678901234567890}') as Record<string, unknown>;
    const map = toAttributeMap(value);
    expect(map).toEqual({ id: { N: '123456789012345678901234567890' } });
    expect(JSON.stringify(fromAttributeMap(map))).toBe('{"id":123456789012345678901234567890}');
  });

  it('leaves out undefined members', () => {
    expect(toAttributeMap({ a: 1, b: undefined })).toEqual({ a: { N: '1' } });
  });

  it('refuses attribute types that JSON does not have', () => {
    expect(() => fromAttributeValue({ SS: ['a'] })).toThrow(/not JSON/);
  });
});

describe('marshalJson', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 'leaf';
    for (let level = 0; level < depth; level++) value = { a: value };
    return value;
  };
  const problemOf = (value: unknown) => {
    const marshalled = marshalJson(value);
    return marshalled.ok ? undefined : marshalled.problem;
  };

  it('accepts ordinary events and measures them as itemBytes does', () => {
    const value = { type: 'open', list: [1, { x: '' }], n: 1e125 };
    const marshalled = marshalJson(value);
    expect(marshalled.ok).toBe(true);
    if (!marshalled.ok) return;
    expect(marshalled.value).toEqual(toAttributeValue(value));
    expect(marshalled.bytes).toBe(itemBytes({ e: marshalled.value }) - 1);
  });

  it('keeps members named __proto__ and constructor as members, both ways', () => {
    const value = JSON.parse('{"__proto__":{"x":[1]},"constructor":"c"}');
    const map = toAttributeMap(value);
    expect(Object.keys(map)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(fromAttributeMap(map))).toBe('{"__proto__":{"x":[1]},"constructor":"c"}');
  });

  it('names field names DynamoDB cannot store: empty, over 4 KB, not well-formed', () => {
    expect(problemOf({ a: { '': 1 } })).toBe('has an empty field name, which DynamoDB cannot store');
    expect(problemOf({ ['k'.repeat(4097)]: 1 })).toBe('has a field name over 4096 bytes');
    expect(problemOf({ ['k'.repeat(4096)]: 1 })).toBeUndefined();
    expect(problemOf({ '\ud800': 1 })).toMatch(/field name that is not well-formed/);
  });

  it('names strings that are not well-formed Unicode', () => {
    expect(problemOf({ s: 'a\udc00' })).toMatch(/lone surrogate/);
  });

  it('allows the nesting DynamoDB stores and names deeper nesting, at any depth without recursion', () => {
    expect(problemOf(nested(31))).toBeUndefined();
    expect(problemOf(nested(32))).toMatch(/nested deeper than the 31 levels DynamoDB stores/);
    expect(problemOf(nested(200_000))).toMatch(/nested deeper/);
  });

  it('names numbers outside DynamoDB range or precision', () => {
    expect(problemOf({ n: 1e300 })).toBe(
      'holds a number outside the range DynamoDB stores (1e-130 to 1e126)',
    );
    expect(problemOf({ n: 1e-200 })).toMatch(/outside the range/);
    expect(problemOf(parseJsonLosslessly('{"n":1e400}'))).toMatch(/outside the range/);
    expect(problemOf(parseJsonLosslessly('{"n":1e-400}'))).toMatch(/outside the range/);
    expect(problemOf(parseJsonLosslessly(`{"n":${'9'.repeat(39)}}`))).toMatch(/more than 38 significant/);
    expect(problemOf(parseJsonLosslessly(`{"n":${'9'.repeat(38)}}`))).toBeUndefined();
  });

  it('reads back values of any depth without recursion', () => {
    let attribute: { L: unknown[] } = { L: [] };
    for (let level = 0; level < 100_000; level++) attribute = { L: [attribute] };
    expect(() => fromAttributeValue(attribute as never)).not.toThrow();
  });
});

describe('itemBytes', () => {
  it('counts names and values as DynamoDB documents it', () => {
    expect(itemBytes({ k: { S: 'é' } })).toBe(1 + 2);
    expect(itemBytes({ n: { N: '12345' } })).toBe(1 + 3 + 1);
    expect(itemBytes({ b: { BOOL: true }, z: { NULL: true } })).toBe(2 + 2);
    expect(itemBytes({ l: { L: [] }, m: { M: {} } })).toBe(1 + 3 + 1 + 3);
    // A list: 3 bytes, plus 1 per element, plus the elements; a map counts its member names too.
    expect(itemBytes({ l: { L: [{ S: 'ab' }, { N: '7' }] } })).toBe(1 + 3 + (1 + 2) + (1 + 2));
    expect(itemBytes({ m: { M: { ab: { S: 'c' }, d: { M: { e: { NULL: true } } } } } })).toBe(
      1 + 3 + (1 + 2 + 1) + (1 + 1 + (3 + 1 + 1 + 1)),
    );
  });

  it('refuses attribute types that JSON does not have', () => {
    expect(() => itemBytes({ s: { SS: ['a'] } })).toThrow(/not JSON/);
  });
});

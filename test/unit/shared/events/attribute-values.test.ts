import { describe, expect, it } from 'vitest';
import {
  fromAttributeMap,
  fromAttributeValue,
  itemBytes,
  toAttributeMap,
  toAttributeValue,
  unstorableReason,
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

describe('unstorableReason', () => {
  const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nested(depth - 1) });

  it('accepts ordinary events', () => {
    expect(unstorableReason({ type: 'open', list: [1, { x: '' }], n: 1e125 })).toBeUndefined();
  });

  it('names an empty field name', () => {
    expect(unstorableReason({ a: { '': 1 } })).toBe(
      'event.a: has an empty field name, which DynamoDB cannot store',
    );
  });

  it('allows the nesting DynamoDB stores and names deeper nesting', () => {
    expect(unstorableReason(nested(31))).toBeUndefined();
    expect(unstorableReason(nested(32))).toMatch(/nested deeper than the 31 levels DynamoDB stores/);
    expect(unstorableReason([[[nested(29)]]])).toMatch(/nested deeper/);
  });

  it('names numbers outside DynamoDB range or precision', () => {
    expect(unstorableReason({ n: 1e300 })).toBe(
      'event.n: number outside the range DynamoDB stores (1e-130 to 1e126)',
    );
    expect(unstorableReason({ n: 1e-200 })).toMatch(/outside the range/);
    expect(unstorableReason(parseJsonLosslessly('{"n":1e400}'))).toMatch(/outside the range/);
    expect(unstorableReason(parseJsonLosslessly('{"n":1e-400}'))).toMatch(/outside the range/);
    expect(unstorableReason(parseJsonLosslessly(`{"n":${'9'.repeat(39)}}`))).toMatch(
      /more than 38 significant/,
    );
    expect(unstorableReason(parseJsonLosslessly(`{"n":${'9'.repeat(38)}}`))).toBeUndefined();
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

import { createHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  smallCanonicalJson,
  writeCanonicalJson,
} from '../../../functions/ingest/canonical-json.js';
import { eventKeyFor, quarantineKeyFor } from '../../../functions/ingest/event-key.js';
import { readJsonDocument } from '../../../functions/ingest/json-document.js';
import { parseJsonLosslessly } from '../../../functions/shared/events/lossless-json.js';

/** JSON texts with the member names that order differently or are special, duplicates, and big numbers. */
const jsonText = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'binary' }).map((text) => JSON.stringify(text)),
    fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.bigInt()).map(String),
    fc.constantFrom('true', 'false', 'null', '1e400', '-0'),
    fc.array(tie('value'), { maxLength: 5 }).map((values) => `[${values.join(',')}]`),
    fc
      .array(fc.tuple(memberName(), tie('value')), { maxLength: 6 })
      .map((members) => `{${members.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`),
  ),
})).value;

function memberName() {
  const special = [
    '__proto__',
    'constructor',
    'toJSON',
    '0',
    '1',
    '9',
    '10',
    '01',
    '-1',
    '4294967295',
    'a',
    'B',
    'é',
    '😀',
    '',
  ];
  return fc.oneof(fc.constantFrom(...special), fc.string({ unit: 'binary', maxLength: 4 }));
}

function walkedCanonicalJson(value: unknown): string {
  const pieces: string[] = [];
  writeCanonicalJson(value, (piece) => pieces.push(piece));
  return pieces.join('');
}

describe('canonicalJson', () => {
  it('sorts keys at every level and drops whitespace', () => {
    const value = JSON.parse('{ "b": [ { "z": 1, "a": 2 } ], "a": { "y": null, "x": "s" } }');
    expect(canonicalJson(value)).toBe('{"a":{"x":"s","y":null},"b":[{"a":2,"z":1}]}');
  });

  it('keeps array order and distinguishes types', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson('x')).toBe('"x"');
  });

  test.prop([jsonText], { numRuns: 500 })(
    'is the same written from a sorted copy (small values) as walked piece by piece',
    (text) => {
      const value = readJsonDocument(text).root;
      expect(canonicalJson(value)).toBe(walkedCanonicalJson(value));
    },
  );

  it('writes a typical event from a sorted copy, and one named like an array index by the walk', () => {
    const event = readJsonDocument('{"type":"open","clientId":1,"__proto__":{"z":[1,{"b":2,"a":1}]}}').root;
    expect(smallCanonicalJson(event)).toBe(
      '{"__proto__":{"z":[1,{"a":1,"b":2}]},"clientId":1,"type":"open"}',
    );
    expect(smallCanonicalJson({ 10: 'a', 9: 'b' })).toBeUndefined();
    expect(canonicalJson({ 10: 'a', 9: 'b' })).toBe('{"10":"a","9":"b"}');
  });

  it('writes numbers kept as raw JSON with their exact digits', () => {
    expect(canonicalJson(parseJsonLosslessly('{"id":123456789012345678901}'))).toBe(
      '{"id":123456789012345678901}',
    );
  });
});

describe('eventKeyFor', () => {
  const event = { type: 'open', clientId: 1, mailingId: 2, recipientId: 'r' };

  it('is the type and the SHA-256 of the canonical raw event', () => {
    const expected = createHash('sha256').update(
      '{"clientId":1,"mailingId":2,"recipientId":"r","type":"open"}',
    );
    expect(eventKeyFor('open', event)).toBe(`open#${expected.digest('hex')}`);
  });

  it('hashes a large event, read in pieces, as its whole canonical text', () => {
    const large = { type: 'open', clientId: 1, notes: Array.from({ length: 12_000 }, (_, i) => `é ${i} ✓`) };
    const expected = createHash('sha256').update(canonicalJson(large)).digest('hex');
    expect(canonicalJson(large).length).toBeGreaterThan(2 * 65_536);
    expect(eventKeyFor('open', large)).toBe(`open#${expected}`);
  });

  it('is the same for the same content in another key order or layout', () => {
    const reordered = JSON.parse('{ "recipientId": "r", "type": "open", "mailingId": 2, "clientId": 1 }');
    expect(eventKeyFor('open', reordered)).toBe(eventKeyFor('open', event));
  });

  it('differs when any field differs, including ones the product does not read', () => {
    const key = eventKeyFor('open', event);
    expect(eventKeyFor('open', { ...event, recipientId: 's' })).not.toBe(key);
    expect(eventKeyFor('open', { ...event, created: '2025-01-01T00:00:00Z' })).not.toBe(key);
  });

  it('uses the registration type as prefix, so the raw type name still counts in the hash', () => {
    const archived = { type: 'archived', clientId: 1, recipientId: 'r' };
    expect(eventKeyFor('archive', archived)).toMatch(/^archive#[0-9a-f]{64}$/);
  });
});

describe('quarantineKeyFor', () => {
  it('is deterministic for any JSON value and never a type prefix', () => {
    expect(quarantineKeyFor('just a string')).toBe(quarantineKeyFor('just a string'));
    expect(quarantineKeyFor({ a: 1, b: 2 })).toBe(quarantineKeyFor({ b: 2, a: 1 }));
    expect(quarantineKeyFor(null)).toMatch(/^quarantine#[0-9a-f]{64}$/);
  });
});

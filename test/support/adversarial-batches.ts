import { fc } from '@fast-check/vitest';

/**
 * Generated webhook batches as JSON text, written from the contract and from what a JSON parser
 * accepts, never with the product's helpers: valid Campaign events (the contract's type names, ids as
 * numbers, digit strings or int64 beyond 2^53, recipients as ids or media-type maps with nulls, optional
 * fields missing or null) mixed with adversarial elements (any JSON at any depth the parser allows, keys
 * `__proto__`/`constructor`/empty/very long/non-ASCII, huge strings and numbers, lone surrogates).
 *
 * Each element comes with its exact source text and what the invariant expects of it: `accepted` (a
 * routable event), `quarantined` (not an object, or no type), or `stored` (either, but stored once).
 */
export interface GeneratedElement {
  readonly text: string;
  readonly expected: 'accepted' | 'quarantined' | 'stored';
}

export interface GeneratedBatch {
  readonly body: string;
  readonly elements: readonly GeneratedElement[];
}

/** The contract's webhook type names, plus the name Campaign lists archive webhooks under. */
export const CONTRACT_TYPES = [
  'open',
  'click',
  'sent',
  'bounce',
  'unsubscribe',
  'spamcomplaint',
  'singleoptin',
  'confirmedoptin',
  'doubleoptin',
  'blocklist',
  'archive',
  'archived',
  'filteredbyblocklist',
] as const;

/** The mailing the generated verification events belong to (configure it as verifyMailingId). */
export const VERIFY_MAILING_ID = '900001';

const ROUTING_FIELDS = new Set([
  'type',
  'clientId',
  'mailingId',
  'recipientId',
  'mediaTypesToAddresses',
  'link',
]);

const whitespace = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');

/** Deeply nested JSON text, up to depths no recursive serializer survives. */
const deepText = fc
  .tuple(fc.integer({ min: 25, max: 12_000 }), fc.constantFrom('list', 'object', 'mixed'))
  .map(([depth, kind]) => {
    if (kind === 'list') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
    if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    return `${'{"__proto__":['.repeat(depth)}null${']}'.repeat(depth)}`;
  });

const hugeNumberText = fc.oneof(
  fc.bigInt({ min: 2n ** 53n, max: 10n ** 45n }).map(String),
  fc.bigInt({ min: -(10n ** 45n), max: -(2n ** 53n) }).map(String),
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1e-400',
    '1E+126',
    '1e-131',
    '12345678901234567890123456789012345678901.5',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
);

const loneSurrogateText = fc
  .tuple(fc.string({ maxLength: 5 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 5 }))
  .map(([before, code, after]) => JSON.stringify(`${before}${String.fromCharCode(code)}${after}`));

const hugeStringText = fc
  .tuple(fc.integer({ min: 40_000, max: 220_000 }), fc.constantFrom('x', 'é', '😀', '"'))
  .map(([length, unit]) => JSON.stringify(unit.repeat(Math.ceil(length / unit.length))));

export const awkwardKey = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      ' ',
      'a.b',
    ),
  },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.integer({ min: 4_000, max: 70_000 }).map((length) => 'k'.repeat(length)) },
);

/** Any JSON value as text, with the awkward parts over-represented. */
export const anyJsonText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: deepText },
  { weight: 2, arbitrary: hugeNumberText },
  { weight: 2, arbitrary: loneSurrogateText },
  { weight: 1, arbitrary: hugeStringText },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(awkwardKey, fc.jsonValue({ maxDepth: 2 })), { maxLength: 4 })
      .map((members) => objectText(members.map(([key, value]) => [key, JSON.stringify(value)]))),
  },
);

function objectText(members: ReadonlyArray<readonly [string, string]>, gap = ''): string {
  return `{${gap}${members.map(([key, value]) => `${JSON.stringify(key)}${gap}:${gap}${value}`).join(`,${gap}`)}${gap}}`;
}

const positiveIdText = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 2 ** 31 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 31 }).map((id) => JSON.stringify(String(id))) },
  { weight: 1, arbitrary: fc.bigInt({ min: 2n ** 53n, max: 2n ** 63n - 1n }).map(String) },
);

const address = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,15}$/), fc.constantFrom('example.com', 'example.org'))
  .map(([local, domain]) => `${local}@${domain}`);

const recipientMembers: fc.Arbitrary<Array<[string, string]>> = fc.oneof(
  fc
    .oneof(
      fc.stringMatching(/^[A-Za-z0-9-]{1,24}$/).map((id) => JSON.stringify(id)),
      fc.nat().map(String),
    )
    .map((id): Array<[string, string]> => [['recipientId', id]]),
  fc
    .tuple(address, fc.boolean())
    .map(
      ([email, withNullSms]): Array<[string, string]> => [
        [
          'mediaTypesToAddresses',
          JSON.stringify(withNullSms ? { EMAIL: email, SMS: null } : { EMAIL: email }),
        ],
      ],
    ),
);

const typeName = fc
  .tuple(fc.constantFrom(...CONTRACT_TYPES), fc.constantFrom('lower', 'upper', 'title'))
  .map(([name, casing]) =>
    casing === 'lower'
      ? name
      : casing === 'upper'
        ? name.toUpperCase()
        : name[0]?.toUpperCase() + name.slice(1),
  );

/** A routable Campaign event as the contract allows it, with optional and extra fields of every kind. */
export const validEventText: fc.Arbitrary<string> = fc
  .record({
    type: typeName,
    clientId: positiveIdText,
    mailingId: fc.option(
      fc.oneof(
        { weight: 6, arbitrary: positiveIdText },
        { weight: 1, arbitrary: fc.constant('null') },
        { weight: 1, arbitrary: fc.constant(VERIFY_MAILING_ID) },
        { weight: 1, arbitrary: fc.constantFrom('"abc"', '-5', '1.5', '0', '[]', '{"id":1}') },
      ),
      { nil: undefined },
    ),
    recipient: recipientMembers,
    link: fc.option(fc.constantFrom('"https://example.com/a"', 'null'), { nil: undefined }),
    extras: fc.uniqueArray(
      fc.tuple(
        awkwardKey.filter((key) => !ROUTING_FIELDS.has(key)),
        fc.oneof(
          { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
          anyJsonText,
        ),
      ),
      { maxLength: 4, selector: ([key]) => key },
    ),
    gap: whitespace,
    order: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ type, clientId, mailingId, recipient, link, extras, gap, order }) => {
    const members: Array<[string, string]> = [
      ['type', JSON.stringify(type)],
      ['clientId', clientId],
      ...(mailingId === undefined ? [] : ([['mailingId', mailingId]] as Array<[string, string]>)),
      ...recipient,
      ...(link === undefined ? [] : ([['link', link]] as Array<[string, string]>)),
      ...extras,
    ];
    const rotated = [...members.slice(order % members.length), ...members.slice(0, order % members.length)];
    return objectText(rotated, gap);
  });

export const element: fc.Arbitrary<GeneratedElement> = fc.oneof(
  { weight: 5, arbitrary: validEventText.map((text) => ({ text, expected: 'accepted' as const })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(deepText, hugeNumberText, loneSurrogateText, fc.constantFrom('null', 'true', '0', '""', '[]'))
      .map((text) => ({ text, expected: 'quarantined' as const })),
  },
  { weight: 2, arbitrary: anyJsonText.map((text) => ({ text, expected: 'stored' as const })) },
);

/** A batch body: a JSON array of elements with arbitrary whitespace, or (sometimes) one event object. */
export function batchArbitrary(options: {
  maxElements: number;
  maxBodyBytes: number;
}): fc.Arbitrary<GeneratedBatch> {
  const asArray = fc
    .tuple(fc.array(element, { maxLength: options.maxElements, size: 'medium' }), whitespace, whitespace)
    .map(([elements, outer, inner]) => ({
      body: `${outer}[${inner}${elements.map((e) => e.text).join(`${inner},${outer}`)}${inner}]${outer}`,
      elements,
    }));
  const single = validEventText.map((text) => ({
    body: ` ${text}\n`,
    elements: [{ text, expected: 'accepted' as const }],
  }));
  return fc
    .oneof({ weight: 9, arbitrary: asArray }, { weight: 1, arbitrary: single })
    .filter((batch) => Buffer.byteLength(batch.body) <= options.maxBodyBytes);
}

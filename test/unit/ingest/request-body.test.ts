import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { contentTypeLabel, parseBatch, readBody } from '../../../functions/ingest/request-body.js';
import { isRawJsonNumber } from '../../../functions/shared/events/lossless-json.js';

describe('contentTypeLabel', () => {
  it('names the usual content types and bounds the rest (a metric dimension)', () => {
    expect(contentTypeLabel('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(contentTypeLabel('text/plain')).toBe('text/plain');
    expect(contentTypeLabel('application/vnd.optivo.broadmail.v1+json')).toBe('application/*+json');
    expect(contentTypeLabel(undefined)).toBe('none');
    expect(contentTypeLabel('  ')).toBe('none');
    expect(contentTypeLabel('image/a@example.com')).toBe('other');
  });
});

describe('readBody', () => {
  it('returns the text of a plain or base64 body', () => {
    expect(readBody({ body: '[1]', isBase64Encoded: false }, 100)).toEqual({ ok: true, value: '[1]' });
    const base64 = Buffer.from('[{"a":"é"}]').toString('base64');
    expect(readBody({ body: base64, isBase64Encoded: true }, 100)).toEqual({
      ok: true,
      value: '[{"a":"é"}]',
    });
  });

  it('drops a UTF-8 byte order mark', () => {
    expect(readBody({ body: '\uFEFF[]', isBase64Encoded: false }, 100)).toEqual({ ok: true, value: '[]' });
  });

  it('refuses a body over the limit in bytes (not characters), base64 measured decoded', () => {
    expect(readBody({ body: 'é'.repeat(3), isBase64Encoded: false }, 6)).toMatchObject({ ok: true });
    expect(readBody({ body: 'é'.repeat(4), isBase64Encoded: false }, 6)).toEqual({
      ok: false,
      rejection: {
        statusCode: 413,
        reason: 'too-large',
        message: 'Request body is 8 bytes; at most 6 are accepted',
      },
    });
    const sevenBytes = Buffer.from('1234567').toString('base64');
    expect(readBody({ body: sevenBytes, isBase64Encoded: true }, 7)).toMatchObject({ ok: true });
    expect(readBody({ body: sevenBytes, isBase64Encoded: true }, 6)).toMatchObject({
      ok: false,
      rejection: { statusCode: 413, message: 'Request body is 7 bytes; at most 6 are accepted' },
    });
  });

  it('decodes gzip, deflate and br bodies, and refuses another encoding with 415 naming it', () => {
    const text = '[{"a":"é"}]';
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(text)],
      ['deflate', deflateSync(text)],
      ['br', brotliCompressSync(text)],
      ['gzip, br', brotliCompressSync(gzipSync(text))],
    ] as const) {
      const body = { body: bytes.toString('base64'), isBase64Encoded: true, contentEncoding: encoding };
      expect(readBody(body, 100), encoding).toEqual({ ok: true, value: text });
    }
    expect(readBody({ body: 'e30=', isBase64Encoded: true, contentEncoding: 'compress' }, 100)).toEqual({
      ok: false,
      rejection: {
        statusCode: 415,
        reason: 'unsupported-media-type',
        message: 'Content-Encoding "compress" is not supported; send the body as is, or gzip, deflate or br',
      },
    });
    expect(readBody({ body: 'e30=', isBase64Encoded: true, contentEncoding: 'identity' }, 100)).toEqual({
      ok: true,
      value: '{}',
    });
  });

  it('refuses a compressed body that decodes past the limit (413) or is not what it says (400)', () => {
    const bomb = gzipSync(Buffer.alloc(1_000_000, 0x20)).toString('base64');
    expect(readBody({ body: bomb, isBase64Encoded: true, contentEncoding: 'gzip' }, 10_000)).toMatchObject({
      ok: false,
      rejection: {
        statusCode: 413,
        message: 'Request body decodes (gzip) to more than 10000 bytes; at most 10000 are accepted',
      },
    });
    expect(readBody({ body: 'e30=', isBase64Encoded: true, contentEncoding: 'gzip' }, 100)).toMatchObject({
      ok: false,
      rejection: { statusCode: 400, message: 'Request body is not valid gzip data' },
    });
  });

  it('refuses bytes that are not UTF-8 instead of replacing them', () => {
    const bytes = Buffer.concat([Buffer.from('[{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]')]);
    expect(readBody({ body: bytes.toString('base64'), isBase64Encoded: true }, 100)).toEqual({
      ok: false,
      rejection: {
        statusCode: 400,
        reason: 'malformed',
        message: 'Request body is not valid UTF-8 (at byte 7)',
      },
    });
    // An escaped lone surrogate is valid JSON text: kept, escape and all.
    expect(readBody({ body: String.raw`["\ud800"]`, isBase64Encoded: false }, 100)).toMatchObject({
      ok: true,
    });
    expect(
      readBody({ body: `["${String.fromCharCode(0xd800)}"]`, isBase64Encoded: false }, 100),
    ).toMatchObject({
      ok: false,
      rejection: { statusCode: 400, message: 'Request body is not well-formed Unicode (a lone surrogate)' },
    });
  });

  it('refuses an empty body with 400', () => {
    for (const body of [null, '']) {
      expect(readBody({ body, isBase64Encoded: false }, 10)).toEqual({
        ok: false,
        rejection: { statusCode: 400, reason: 'malformed', message: 'Request body is empty' },
      });
    }
  });
});

describe('parseBatch', () => {
  it('takes an array as the batch and a single object as a batch of one', () => {
    expect(parseBatch('[{"a":1}, "x" ]', 10)).toEqual({
      ok: true,
      value: [
        { value: { a: 1 }, text: '{"a":1}' },
        { value: 'x', text: '"x"' },
      ],
    });
    expect(parseBatch(' {"a" : 1}\n', 10)).toEqual({
      ok: true,
      value: [{ value: { a: 1 }, text: '{"a" : 1}' }],
    });
    expect(parseBatch('[]', 10)).toEqual({ ok: true, value: [] });
  });

  it('keeps numbers a double cannot hold', () => {
    const parsed = parseBatch('[{"id":12345678901234567890}]', 10);
    const event = parsed.ok ? (parsed.value[0]?.value as { id: unknown } | undefined) : undefined;
    expect(isRawJsonNumber(event?.id)).toBe(true);
  });

  it('reads any nesting depth the JSON parser accepts', () => {
    const deep = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
    const parsed = parseBatch(`[${deep},{"a":1}]`, 10);
    expect(parsed.ok && parsed.value.map((event) => event.text.length)).toEqual([1_000_000, 7]);
  });

  it('refuses any other JSON value with 400', () => {
    for (const text of ['"text"', '42', 'null', 'true']) {
      expect(parseBatch(text, 10), text).toEqual({
        ok: false,
        rejection: {
          statusCode: 400,
          reason: 'malformed',
          message: 'Body must be a JSON array of events or a single event object',
        },
      });
    }
  });

  it('refuses a batch over the event limit with 413', () => {
    expect(parseBatch('[1,2,3]', 2)).toEqual({
      ok: false,
      rejection: {
        statusCode: 413,
        reason: 'too-large',
        message: 'Batch has 3 events; at most 2 are accepted',
      },
    });
  });

  it('refuses invalid JSON with 400, naming the position but never quoting the body', () => {
    const cases: Array<[string, string]> = [
      ['[{"email":"a@example.com" x}]', "unexpected character 'x' at position 26 (line 1 column 27)"],
      ['[{"a":1},]', "unexpected character ']' at position 9 (line 1 column 10)"],
      ['[\n  {"a": tru}\n]', "unexpected character '}' at position 13 (line 2 column 12)"],
      ['[1,2', 'unexpected end of input at position 4 (line 1 column 5)'],
      ['hello@example.com', "unexpected character 'h' at position 0 (line 1 column 1)"],
      ['[1] [2]', "unexpected character '[' at position 4 (line 1 column 5)"],
    ];
    for (const [text, problem] of cases) {
      const parsed = parseBatch(text, 10);
      expect(parsed, text).toEqual({
        ok: false,
        rejection: { statusCode: 400, reason: 'malformed', message: `Body is not valid JSON: ${problem}` },
      });
    }
  });
});

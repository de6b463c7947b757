import { describe, expect, it } from 'vitest';
import { checkContentType, parseBatch, readBody } from '../../../functions/ingest/request-body.js';
import { isRawJsonNumber } from '../../../functions/shared/events/lossless-json.js';

describe('checkContentType', () => {
  it('accepts application/json with or without a UTF-8 charset, in any case', () => {
    for (const value of [
      'application/json',
      'Application/JSON',
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
      'application/json; charset=utf8',
    ]) {
      expect(checkContentType(value), value).toBeUndefined();
    }
  });

  it('refuses anything else with 415', () => {
    for (const value of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      'application/jsonx',
    ]) {
      expect(checkContentType(value), value).toEqual({
        statusCode: 415,
        reason: 'unsupported-media-type',
        message: 'Content-Type must be application/json (UTF-8)',
      });
    }
    expect(checkContentType(undefined)?.message).toBe(
      'Content-Type must be application/json (UTF-8); none was sent',
    );
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
    expect(parseBatch('[{"a":1},"x"]', 10)).toEqual({ ok: true, value: [{ a: 1 }, 'x'] });
    expect(parseBatch('{"a":1}', 10)).toEqual({ ok: true, value: [{ a: 1 }] });
    expect(parseBatch('[]', 10)).toEqual({ ok: true, value: [] });
  });

  it('keeps numbers a double cannot hold', () => {
    const parsed = parseBatch('[{"id":12345678901234567890}]', 10);
    expect(parsed.ok && isRawJsonNumber((parsed.value[0] as { id: unknown }).id)).toBe(true);
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

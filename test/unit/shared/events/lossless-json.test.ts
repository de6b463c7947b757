import { describe, expect, it } from 'vitest';
import {
  isRawJsonNumber,
  parseJsonLosslessly,
  rawJsonText,
} from '../../../../functions/shared/events/lossless-json.js';

describe('parseJsonLosslessly', () => {
  it('returns what JSON.parse returns for ordinary JSON', () => {
    const text = '[{"a":1,"b":1.5,"c":"x","d":[true,null],"e":1700000000000,"phone":"12345678901234567890"}]';
    expect(parseJsonLosslessly(text)).toEqual(JSON.parse(text));
  });

  it('keeps integers beyond 2^53 with their exact digits', () => {
    const parsed = parseJsonLosslessly('{"id":12345678901234567890,"small":9007199254740991}') as Record<
      string,
      unknown
    >;
    expect(isRawJsonNumber(parsed.id)).toBe(true);
    expect(rawJsonText(parsed.id as never)).toBe('12345678901234567890');
    expect(parsed.small).toBe(9007199254740991);
    expect(JSON.stringify(parsed)).toBe('{"id":12345678901234567890,"small":9007199254740991}');
  });

  it('keeps numbers that overflow or underflow a double', () => {
    const parsed = parseJsonLosslessly('[1e400,-1e-400,1e300,0e500]') as unknown[];
    expect(JSON.stringify(parsed)).toBe('[1e400,-1e-400,1e+300,0]');
  });

  it('throws the same SyntaxError as JSON.parse on invalid text', () => {
    expect(() => parseJsonLosslessly('[1,')).toThrow(SyntaxError);
    expect(() => parseJsonLosslessly('[12345678901234567890,')).toThrow(SyntaxError);
  });
});

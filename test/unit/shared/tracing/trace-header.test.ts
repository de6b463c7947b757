import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatTraceHeader, parseTraceHeader } from '../../../../functions/shared/tracing/trace-header.js';

describe('the X-Amzn-Trace-Id header', () => {
  it('reads the header Lambda gives a sampled invocation (AWS documentation example)', () => {
    expect(
      parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'),
    ).toEqual({
      root: '1-5759e988-bd862e3fe1be46a994272793',
      parent: '53995c3f42cd8ad8',
      sampled: true,
      extra: [],
    });
  });

  it('is not sampled unless it says Sampled=1, and keeps fields it does not know', () => {
    const header = parseTraceHeader(
      'Root=1-67891233-abcdef012345678912345678;Parent=463ac35c9f6413ad;Sampled=0;Lineage=a87bd80c:1|68fd508a:5',
    );
    expect(header?.sampled).toBe(false);
    expect(header?.extra).toEqual([['Lineage', 'a87bd80c:1|68fd508a:5']]);
    expect(parseTraceHeader('Root=1-67891233-abcdef012345678912345678;Sampled=?')?.sampled).toBe(false);
  });

  it('is no trace without a root', () => {
    expect(parseTraceHeader(undefined)).toBeUndefined();
    expect(parseTraceHeader('')).toBeUndefined();
    expect(parseTraceHeader('Parent=53995c3f42cd8ad8;Sampled=1')).toBeUndefined();
    expect(parseTraceHeader('Root=;Sampled=1')).toBeUndefined();
  });

  test.prop([
    fc.stringMatching(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    fc.stringMatching(/^[0-9a-f]{16}$/),
    fc.boolean(),
    fc.array(fc.tuple(fc.stringMatching(/^[A-Z][a-z]{2,8}$/), fc.stringMatching(/^[\w:|]{1,12}$/)), {
      maxLength: 3,
    }),
    fc.stringMatching(/^[0-9a-f]{16}$/),
  ])(
    'passes the trace on downstream with the new parent, keeping the rest',
    (root, parent, sampled, extra, child) => {
      const fields = extra.filter(([key]) => !['Root', 'Parent', 'Sampled'].includes(key));
      const header = [
        `Root=${root}`,
        `Parent=${parent}`,
        `Sampled=${sampled ? 1 : 0}`,
        ...fields.map((f) => f.join('=')),
      ];
      const trace = parseTraceHeader(header.join(';'));
      if (trace === undefined) throw new Error('not parsed');
      expect(parseTraceHeader(formatTraceHeader(trace, child))).toEqual({
        root,
        parent: child,
        sampled,
        extra: fields,
      });
    },
  );
});

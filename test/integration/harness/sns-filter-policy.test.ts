import { describe, expect, it } from 'vitest';
import { compileFilterPolicy, type FilterableAttribute } from '../../../local/sns-filter-policy.js';

const str = (stringValue: string): FilterableAttribute => ({ dataType: 'String', stringValue });
const num = (stringValue: string): FilterableAttribute => ({ dataType: 'Number', stringValue });
const arr = (values: unknown[]): FilterableAttribute => ({
  dataType: 'String.Array',
  stringValue: JSON.stringify(values),
});

function matches(policy: object, attributes: Record<string, FilterableAttribute>): boolean {
  return compileFilterPolicy(policy)(attributes);
}

describe('compileFilterPolicy', () => {
  it('matches exact strings (OR within a key, AND across keys)', () => {
    const policy = { eventType: ['open', 'click'], severity: ['critical'] };
    expect(matches(policy, { eventType: str('click'), severity: str('critical') })).toBe(true);
    expect(matches(policy, { eventType: str('bounce'), severity: str('critical') })).toBe(false);
    expect(matches(policy, { eventType: str('open') })).toBe(false);
  });

  it('matches exact numbers only against Number attributes', () => {
    expect(matches({ clientId: [100001] }, { clientId: num('100001') })).toBe(true);
    expect(matches({ clientId: [100001] }, { clientId: num('1.00001e5') })).toBe(true);
    expect(matches({ clientId: [100001] }, { clientId: str('100001') })).toBe(false);
    expect(matches({ clientId: ['100001'] }, { clientId: num('100001') })).toBe(false);
  });

  it('matches numeric ranges', () => {
    const policy = { size: [{ numeric: ['>', 0, '<=', 10] }] };
    expect(matches(policy, { size: num('10') })).toBe(true);
    expect(matches(policy, { size: num('0') })).toBe(false);
    expect(matches(policy, { size: num('10.5') })).toBe(false);
    expect(matches({ size: [{ numeric: ['=', 3] }] }, { size: num('3') })).toBe(true);
  });

  it('matches prefix, suffix and equals-ignore-case', () => {
    expect(matches({ link: [{ prefix: 'https://' }] }, { link: str('https://x') })).toBe(true);
    expect(matches({ link: [{ prefix: 'https://' }] }, { link: str('http://x') })).toBe(false);
    expect(matches({ file: [{ suffix: '.png' }] }, { file: str('a.png') })).toBe(true);
    expect(matches({ type: [{ 'equals-ignore-case': 'OPEN' }] }, { type: str('open') })).toBe(true);
  });

  it('matches anything-but (values, numbers, prefix), requiring the attribute to exist', () => {
    expect(matches({ severity: [{ 'anything-but': ['info', 'debug'] }] }, { severity: str('warning') })).toBe(
      true,
    );
    expect(matches({ severity: [{ 'anything-but': ['info', 'debug'] }] }, { severity: str('info') })).toBe(
      false,
    );
    expect(matches({ severity: [{ 'anything-but': 'info' }] }, {})).toBe(false);
    expect(matches({ code: [{ 'anything-but': 5 }] }, { code: num('6') })).toBe(true);
    expect(matches({ code: [{ 'anything-but': 5 }] }, { code: num('5') })).toBe(false);
    expect(matches({ id: [{ 'anything-but': { prefix: 'test-' } }] }, { id: str('prod-1') })).toBe(true);
    expect(matches({ id: [{ 'anything-but': { prefix: 'test-' } }] }, { id: str('test-1') })).toBe(false);
  });

  it('matches exists true and false', () => {
    expect(matches({ link: [{ exists: true }] }, { link: str('x') })).toBe(true);
    expect(matches({ link: [{ exists: true }] }, {})).toBe(false);
    expect(matches({ link: [{ exists: false }] }, {})).toBe(true);
    expect(matches({ link: [{ exists: false }] }, { link: str('x') })).toBe(false);
  });

  it('matches String.Array attributes when any element matches', () => {
    expect(matches({ tags: ['vip'] }, { tags: arr(['new', 'vip']) })).toBe(true);
    expect(matches({ tags: ['vip'] }, { tags: arr(['new']) })).toBe(false);
    expect(matches({ tags: [7] }, { tags: arr([7, 'x']) })).toBe(true);
  });

  it('ignores Binary attributes, as SNS does', () => {
    expect(matches({ raw: [{ exists: true }] }, { raw: { dataType: 'Binary' } })).toBe(false);
  });

  it('supports a top-level $or', () => {
    const policy = { source: ['campaign'], $or: [{ eventType: ['bounce'] }, { severity: ['critical'] }] };
    expect(matches(policy, { source: str('campaign'), eventType: str('bounce') })).toBe(true);
    expect(matches(policy, { source: str('campaign'), severity: str('critical') })).toBe(true);
    expect(matches(policy, { source: str('campaign'), eventType: str('open') })).toBe(false);
  });

  it('refuses what it does not support instead of silently matching', () => {
    expect(() => compileFilterPolicy({ detail: { type: ['x'] } })).toThrow('MessageBody scope');
    expect(() => compileFilterPolicy({ ip: [{ cidr: '10.0.0.0/24' }] })).toThrow('"cidr" is not supported');
    expect(() => compileFilterPolicy({ n: [{ numeric: ['!=', 1] }] })).toThrow('numeric takes');
    expect(() => compileFilterPolicy({ k: [] })).toThrow('has no rules');
    expect(() => compileFilterPolicy({ k: [true] })).toThrow('unsupported rule');
    expect(() => compileFilterPolicy({ $or: [{ a: ['x'] }] })).toThrow('at least two');
  });
});

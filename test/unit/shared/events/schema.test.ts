import { describe, expect, it } from 'vitest';
import { bounceCategoryOf, eventTimeOf, mediaTypeOf } from '../../../../functions/shared/events/schema.js';

describe('eventTimeOf', () => {
  it('reads the first present candidate field', () => {
    expect(eventTimeOf({ created: '2025-03-01T10:00:00Z', timestamp: 0 })?.toISOString()).toBe(
      '2025-03-01T10:00:00.000Z',
    );
    expect(eventTimeOf({ timestamp: 1_740_823_200 })?.toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(eventTimeOf({ eventTime: 1_740_823_200_000 })?.toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(eventTimeOf({ date: '1740823200' })?.toISOString()).toBe('2025-03-01T10:00:00.000Z');
  });

  it('is undefined when absent or unparseable', () => {
    expect(eventTimeOf({})).toBeUndefined();
    expect(eventTimeOf({ created: 'yesterday' })).toBeUndefined();
    expect(eventTimeOf({ created: { at: 1 } })).toBeUndefined();
  });
});

describe('bounceCategoryOf', () => {
  it('normalizes the category from the first present candidate field', () => {
    expect(bounceCategoryOf({ bounceCategory: 'hardbounce' })).toBe('hard');
    expect(bounceCategoryOf({ bounceCategory: 'HARD' })).toBe('hard');
    expect(bounceCategoryOf({ bounceType: 'soft_bounce' })).toBe('soft');
    expect(bounceCategoryOf({ category: 'softbounce' })).toBe('soft');
    expect(bounceCategoryOf({ bounceCategory: 'autoresponder', category: 'hard' })).toBe('unknown');
    expect(bounceCategoryOf({})).toBe('unknown');
  });
});

describe('mediaTypeOf', () => {
  it('reads mediaType, else the only key of mediaTypesToAddresses', () => {
    expect(mediaTypeOf({ mediaType: 'EMAIL' })).toBe('EMAIL');
    expect(mediaTypeOf({ mediaTypesToAddresses: { SMS: '+491' } })).toBe('SMS');
    expect(mediaTypeOf({ mediaTypesToAddresses: { SMS: '+491', EMAIL: 'a@b' } })).toBeUndefined();
    expect(mediaTypeOf({ mediaTypesToAddresses: { SMS: null, EMAIL: 'a@b' } })).toBe('EMAIL');
    expect(mediaTypeOf({ mediaType: 'a@example.com' })).toBeUndefined();
    expect(mediaTypeOf({})).toBeUndefined();
  });
});

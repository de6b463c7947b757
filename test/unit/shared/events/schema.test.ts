import { describe, expect, it } from 'vitest';
import { CAMPAIGN_EVENT_TYPES } from '../../../../functions/shared/campaign-event-types.js';
import { parseJsonLosslessly } from '../../../../functions/shared/events/lossless-json.js';
import {
  bounceCategoryOf,
  createEventValidator,
  eventTimeOf,
  MAILING_EVENT_TYPES,
  mediaTypeOf,
  readableFields,
} from '../../../../functions/shared/events/schema.js';
import { CampaignEventFactory } from '../../../../local/campaign-simulator/event-factory.js';

const validate = createEventValidator({ eventTypes: CAMPAIGN_EVENT_TYPES });
const open = { type: 'open', clientId: 100001, mailingId: 900001, recipientId: 'r-1' };

function issuesOf(raw: unknown, validator = validate): readonly string[] {
  const result = validator(raw);
  return result.valid ? [] : result.issues;
}

describe('createEventValidator', () => {
  it('accepts a realistic event of every Campaign type', () => {
    const factory = new CampaignEventFactory({ seed: 7 });
    for (const type of CAMPAIGN_EVENT_TYPES) {
      const result = validate(factory.event(type));
      expect(result, type).toMatchObject({ valid: true, event: { type } });
    }
  });

  it('keeps every field it does not validate exactly as received', () => {
    const raw = {
      ...open,
      userListId: 2001,
      nested: { list: [1, 'two', null, { deep: true }], empty: {} },
      created: '2025-01-01T00:00:00Z',
      flag: false,
      nothing: null,
    };
    const result = validate(raw);
    expect(result.valid).toBe(true);
    if (!result.valid) return;
    const { type, clientId, mailingId, recipientId, ...rest } = result.event;
    expect(rest).toEqual({
      userListId: 2001,
      nested: { list: [1, 'two', null, { deep: true }], empty: {} },
      created: '2025-01-01T00:00:00Z',
      flag: false,
      nothing: null,
    });
    expect({ type, clientId, mailingId, recipientId }).toEqual(open);
  });

  it('maps reported type names and any case to the registration name', () => {
    const archived = { type: 'archived', clientId: 1, recipientId: 'r' };
    expect(validate(archived)).toMatchObject({ valid: true, event: { type: 'archive' } });
    expect(validate({ ...open, type: 'OPEN' })).toMatchObject({ valid: true, event: { type: 'open' } });
  });

  it('normalizes numeric strings and numeric recipient ids', () => {
    const result = validate({ ...open, clientId: '100001', mailingId: ' 900001 ', recipientId: 42 });
    expect(result).toMatchObject({
      valid: true,
      event: { clientId: 100001, mailingId: 900001, recipientId: '42' },
    });
  });

  it('keeps a recipient id too large for a double with its exact digits', () => {
    const [raw] = parseJsonLosslessly(
      '[{"type":"open","clientId":1,"mailingId":2,"recipientId":123456789012345678901}]',
    ) as unknown[];
    expect(validate(raw)).toMatchObject({ valid: true, event: { recipientId: '123456789012345678901' } });
  });

  it('requires a type that Campaign knows and the deployment configured', () => {
    expect(issuesOf({ ...open, type: 'teleport' })).toEqual([
      'type: "teleport" is not a Campaign event type',
    ]);
    expect(issuesOf({ ...open, type: 3 })).toEqual(['type: must be a string naming a Campaign event type']);
    const { type: _type, ...withoutType } = open;
    expect(issuesOf(withoutType)).toEqual(['type: is required']);
    const opensOnly = createEventValidator({ eventTypes: ['open'] });
    expect(issuesOf({ ...open, type: 'click' }, opensOnly)).toEqual([
      'type: event type "click" is not configured for this deployment (EVENT_TYPES)',
    ]);
  });

  it('never quotes a type that could be personal data', () => {
    expect(issuesOf({ ...open, type: 'someone@example.com' })).toEqual([
      'type: the value is not a Campaign event type',
    ]);
  });

  it('requires a positive integer client id', () => {
    for (const clientId of [0, -3, 1.5, 'abc', '', true, null, 2 ** 53]) {
      expect(issuesOf({ ...open, clientId }), String(clientId)).toHaveLength(1);
      expect(issuesOf({ ...open, clientId })[0], String(clientId)).toMatch(
        /^clientId: must be a positive integer/,
      );
    }
    const { clientId: _clientId, ...withoutClient } = open;
    expect(issuesOf(withoutClient)).toEqual(['clientId: is required']);
  });

  it('requires a mailing id for mailing events only', () => {
    for (const type of MAILING_EVENT_TYPES) {
      expect(issuesOf({ ...open, type, mailingId: undefined }), type).toEqual([
        `mailingId: is required for ${type} events`,
      ]);
      expect(issuesOf({ ...open, type, mailingId: null }), type).toEqual([
        `mailingId: is required for ${type} events`,
      ]);
    }
    const optin = { type: 'doubleoptin', clientId: 1, recipientId: 'r' };
    expect(validate(optin).valid).toBe(true);
    expect(validate({ ...optin, mailingId: null }).valid).toBe(true);
    expect(issuesOf({ ...optin, mailingId: 'x' })).toEqual([
      'mailingId: must be a positive integer (a JSON number or a string of digits)',
    ]);
  });

  it('requires a recipient id or an address', () => {
    const noRecipient = { type: 'open', clientId: 1, mailingId: 2 };
    const missing = 'event: needs a recipientId or an address in mediaTypesToAddresses';
    expect(issuesOf(noRecipient)).toEqual([missing]);
    expect(issuesOf({ ...noRecipient, recipientId: '  ' })).toEqual(['recipientId: must not be empty']);
    expect(issuesOf({ ...noRecipient, mediaTypesToAddresses: { EMAIL: '' } })).toEqual([missing]);
    expect(issuesOf({ ...noRecipient, mediaTypesToAddresses: { EMAIL: 5 } })).toEqual([
      'mediaTypesToAddresses.EMAIL: must map each media type to an address string',
    ]);
    expect(validate({ ...noRecipient, mediaTypesToAddresses: { EMAIL: 'a@example.com' } }).valid).toBe(true);
  });

  it('accepts a click without a link but not with an empty one', () => {
    const click = { ...open, type: 'click' };
    expect(validate(click).valid).toBe(true);
    expect(validate({ ...click, link: 'https://example.com' }).valid).toBe(true);
    expect(issuesOf({ ...click, link: '' })).toEqual(['link: must not be empty']);
  });

  it('reports every problem of an event at once, none quoting a value', () => {
    const issues = issuesOf({ type: 'teleport', clientId: 'a@example.com', recipientId: '' });
    expect(issues).toEqual([
      'type: "teleport" is not a Campaign event type',
      'clientId: must be a positive integer (a JSON number or a string of digits)',
      'recipientId: must not be empty',
    ]);
    expect(issues.join(' ')).not.toContain('example.com');
  });

  it('rejects anything that is not an object', () => {
    for (const raw of ['just a string', 42, null, true]) {
      expect(issuesOf(raw), String(raw)).toEqual(['event: must be a JSON object']);
    }
    expect(issuesOf([open])).toEqual(['event: must be a JSON object, not an array']);
  });

  it('flags each of the factory invalid events', () => {
    for (const raw of new CampaignEventFactory().invalidEvents()) {
      expect(validate(raw).valid, JSON.stringify(raw)).toBe(false);
    }
  });
});

describe('readableFields', () => {
  it('reads the type and client id of an invalid event when they are valid on their own', () => {
    expect(readableFields({ type: 'archived', clientId: '7', mailingId: 'x' })).toEqual({
      eventType: 'archive',
      clientId: 7,
    });
    expect(readableFields({ type: 'teleport', clientId: -1 })).toEqual({});
    expect(readableFields('text')).toEqual({});
  });
});

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
    expect(mediaTypeOf({ mediaType: 'a@example.com' })).toBeUndefined();
    expect(mediaTypeOf({})).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { createEventReader, type EventReading } from '../../../functions/ingest/event-reader.js';
import { readJsonDocument } from '../../../functions/ingest/json-document.js';
import { CAMPAIGN_EVENT_TYPES } from '../../../functions/shared/campaign-event-types.js';
import { CampaignEventFactory } from '../../../local/campaign-simulator/event-factory.js';

const read = createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES, verifyMailingId: 900001 });
const open = { type: 'open', clientId: 100001, mailingId: 5, recipientId: 'r-1' };

function issuesOf(raw: unknown, reader = read): readonly string[] {
  const reading = reader(raw);
  return reading.routable ? [] : reading.issues;
}
function routable(reading: EventReading) {
  if (!reading.routable) throw new Error(`not routable: ${reading.issues.join('; ')}`);
  return reading.event;
}
const parsed = (text: string) => readJsonDocument(text).root;

describe('the tolerant event reader', () => {
  it('accepts a realistic event of every Campaign type, with nothing missing', () => {
    const factory = new CampaignEventFactory({ seed: 7 });
    for (const type of CAMPAIGN_EVENT_TYPES) {
      const event = routable(read(factory.event(type)));
      expect(event.type, type).toBe(type);
      expect(event.missingFields, type).toEqual([]);
    }
  });

  it('keeps every field exactly as received, __proto__ and constructor included', () => {
    const raw = parsed(
      '{"type":"open","clientId":1,"recipientId":"r","__proto__":{"x":1},"constructor":"c","nested":{"__proto__":[null]}}',
    );
    const { event } = routable(read(raw));
    expect(Object.keys(event)).toEqual([
      'type',
      'clientId',
      'recipientId',
      '__proto__',
      'constructor',
      'nested',
    ]);
    expect(JSON.stringify(event)).toBe(
      '{"type":"open","clientId":1,"recipientId":"r","__proto__":{"x":1},"constructor":"c","nested":{"__proto__":[null]}}',
    );
  });

  it('maps reported type names and any case to the registration name', () => {
    expect(routable(read({ type: 'archived', clientId: 1, recipientId: 'r' })).type).toBe('archive');
    expect(routable(read({ ...open, type: 'OPEN' })).event.type).toBe('open');
  });

  it('normalizes numeric strings and numeric recipient ids', () => {
    const event = routable(read({ ...open, clientId: '100001', mailingId: ' 900002 ', recipientId: 42 }));
    expect(event).toMatchObject({ clientId: 100001, mailingId: 900002, recipientId: '42' });
    expect(event.event).toMatchObject({ clientId: 100001, mailingId: 900002, recipientId: '42' });
  });

  it('keeps ids beyond 2^53 with their exact digits', () => {
    const raw = parsed(
      '{"type":"open","clientId":9223372036854775807,"mailingId":"9007199254740993","recipientId":123456789012345678901}',
    );
    const event = routable(read(raw));
    expect(JSON.stringify(event.event)).toBe(
      '{"type":"open","clientId":9223372036854775807,"mailingId":9007199254740993,"recipientId":"123456789012345678901"}',
    );
  });

  it('annotates a missing mailing id instead of quarantining (list-level unsubscribes have none)', () => {
    for (const mailingId of [undefined, null]) {
      const event = routable(read({ type: 'unsubscribe', clientId: 1, recipientId: 'r', mailingId }));
      expect(event.missingFields).toEqual(['mailingId']);
      expect(event.mailingId).toBeUndefined();
    }
    expect(routable(read({ type: 'doubleoptin', clientId: 1, recipientId: 'r' })).missingFields).toEqual([]);
  });

  it('annotates known fields it cannot read, keeping them as sent', () => {
    const event = routable(read({ ...open, type: 'click', mailingId: 'x', link: '' }));
    expect(event.invalidFields).toEqual(['mailingId', 'link']);
    expect(event.event).toMatchObject({ mailingId: 'x', link: '' });
  });

  it('accepts nulls in optional places, the media-type map included', () => {
    const event = routable(
      read({
        type: 'open',
        clientId: 1,
        mailingId: 2,
        recipientId: null,
        link: null,
        mediaTypesToAddresses: { EMAIL: 'a@example.com', SMS: null },
      }),
    );
    expect(event.recipientId).toBeUndefined();
    expect(event.invalidFields).toEqual([]);
  });

  it('requires a type that Campaign knows and the deployment configured', () => {
    expect(issuesOf({ ...open, type: 'teleport' })).toEqual([
      'type: "teleport" is not a Campaign event type',
    ]);
    expect(issuesOf({ ...open, type: 3 })).toEqual(['type: the value is not a Campaign event type']);
    const { type: _type, ...withoutType } = open;
    expect(issuesOf(withoutType)).toEqual(['type: is required']);
    const opensOnly = createEventReader({ eventTypes: ['open'] });
    expect(issuesOf({ ...open, type: 'click' }, opensOnly)).toEqual([
      'type: event type "click" is not configured for this deployment (EVENT_TYPES)',
    ]);
    expect(issuesOf({ ...open, type: 'someone@example.com' })).toEqual([
      'type: the value is not a Campaign event type',
    ]);
  });

  it('requires a positive integer client id of at most 38 digits', () => {
    for (const clientId of [0, -3, 1.5, 'abc', '', true, '1'.repeat(39)]) {
      expect(issuesOf({ ...open, clientId }), String(clientId)).toEqual([
        'clientId: must be a positive integer (a JSON number or a string of digits)',
      ]);
    }
    expect(issuesOf({ ...open, clientId: null })).toEqual(['clientId: is required']);
  });

  it('requires a recipient id or an address', () => {
    const noRecipient = { type: 'open', clientId: 1, mailingId: 2 };
    const missing = 'event: needs a recipientId or an address in mediaTypesToAddresses';
    expect(issuesOf(noRecipient)).toEqual([missing]);
    expect(issuesOf({ ...noRecipient, recipientId: '  ' })).toEqual([missing]);
    expect(issuesOf({ ...noRecipient, mediaTypesToAddresses: { EMAIL: '' } })).toEqual([missing]);
    expect(issuesOf({ ...noRecipient, mediaTypesToAddresses: { EMAIL: 5 } })).toEqual([missing]);
    expect(issuesOf({ ...noRecipient, recipientId: 'r'.repeat(3000) })).toEqual([missing]);
    expect(
      routable(read({ ...noRecipient, mediaTypesToAddresses: { EMAIL: 'a@example.com' } })).invalidFields,
    ).toEqual([]);
    const special = parsed('{"__proto__":"a@example.com","constructor":"b@example.com","SMS":null}');
    expect(issuesOf({ ...noRecipient, mediaTypesToAddresses: special })).toEqual([missing]);
    expect(routable(read({ ...open, mediaTypesToAddresses: ['a@example.com', 5] })).invalidFields).toEqual([
      'mediaTypesToAddresses',
    ]);
    expect(routable(read({ ...open, recipientId: parsed('123456789012345678901') })).recipientId).toBe(
      '123456789012345678901',
    );
  });

  it('quarantines a field the deployer requires for the type, and only for that type', () => {
    const strict = createEventReader({
      eventTypes: CAMPAIGN_EVENT_TYPES,
      requiredFields: { sent: ['mailingId', 'userListId'] },
    });
    expect(issuesOf({ ...open, type: 'sent', userListId: null }, strict)).toEqual([
      'userListId: is required for sent events (requiredFields)',
    ]);
    expect(issuesOf({ ...open, type: 'open' }, strict)).toEqual([]);
  });

  it('reports every problem at once, none quoting a value', () => {
    const issues = issuesOf({ type: 'teleport', clientId: 'a@example.com', recipientId: '' });
    expect(issues).toEqual([
      'type: "teleport" is not a Campaign event type',
      'clientId: must be a positive integer (a JSON number or a string of digits)',
      'event: needs a recipientId or an address in mediaTypesToAddresses',
    ]);
    expect(issues.join(' ')).not.toContain('example.com');
  });

  it('quarantines anything that is not an object, reading what it can of the rest', () => {
    expect(issuesOf('text')).toEqual(['event: must be a JSON object, not a string']);
    expect(issuesOf(null)).toEqual(['event: must be a JSON object, not null']);
    expect(issuesOf([open])).toEqual(['event: must be a JSON object, not an array']);
    expect(read({ type: 'archived', clientId: '7' })).toMatchObject({
      routable: false,
      readable: { eventType: 'archive', clientId: 7 },
    });
  });

  it('recognises verification events by the configured verify mailing id', () => {
    expect(routable(read({ ...open, mailingId: 900001 })).verification).toBe(true);
    expect(routable(read({ ...open, mailingId: '900001' })).verification).toBe(true);
    expect(routable(read(open)).verification).toBe(false);
    const noVerify = createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES });
    expect(routable(noVerify({ ...open, mailingId: 900001 })).verification).toBe(false);
  });
});

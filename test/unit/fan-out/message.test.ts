import { describe, expect, it } from 'vitest';
import { toMessage } from '../../../functions/fan-out/message.js';
import type { PublishedEvent } from '../../../functions/shared/events/stored-event.js';

const bounce: PublishedEvent = {
  eventKey: 'bounce#abc',
  eventType: 'bounce',
  clientId: 100001,
  mailingId: 900001,
  recipientId: 'someone@example.com',
  receivedAt: '2025-03-01T10:00:00.000Z',
  event: {
    type: 'bounce',
    clientId: 100001,
    mailingId: 900001,
    recipientId: 'someone@example.com',
    mediaTypesToAddresses: { EMAIL: 'someone@example.com' },
    bounceCategory: 'hardbounce',
  },
};

describe('toMessage', () => {
  it('publishes the stored event as the body', () => {
    expect(JSON.parse(toMessage(bounce).body)).toEqual(bounce);
  });

  it('carries the filterable attributes, and never an address', () => {
    const { attributes } = toMessage(bounce);
    expect(attributes).toEqual({
      eventType: { DataType: 'String', StringValue: 'bounce' },
      clientId: { DataType: 'Number', StringValue: '100001' },
      mailingId: { DataType: 'Number', StringValue: '900001' },
      bounceCategory: { DataType: 'String', StringValue: 'hard' },
      mediaType: { DataType: 'String', StringValue: 'EMAIL' },
    });
    expect(JSON.stringify(attributes)).not.toContain('example.com');
  });

  it('leaves out what the event does not have', () => {
    const optin: PublishedEvent = {
      eventKey: 'doubleoptin#abc',
      eventType: 'doubleoptin',
      clientId: 1,
      receivedAt: '2025-03-01T10:00:00.000Z',
      event: { type: 'doubleoptin', clientId: 1, recipientId: 'r' },
    };
    expect(Object.keys(toMessage(optin).attributes)).toEqual(['eventType', 'clientId']);
    const unknownBounce = { ...bounce, event: { ...bounce.event, bounceCategory: undefined } };
    expect(toMessage(unknownBounce).attributes.bounceCategory).toEqual({
      DataType: 'String',
      StringValue: 'unknown',
    });
  });
});

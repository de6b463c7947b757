import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { idText } from '../shared/events/event-id.js';
import { bounceCategoryOf, mediaTypeOf } from '../shared/events/schema.js';
import type { PublishedEvent } from '../shared/events/stored-event.js';

/**
 * The SNS message of an accepted event. The body is the stored event as JSON (eventKey, eventType,
 * clientId, mailingId, recipientId, receivedAt, event). The attributes are for subscription filter
 * policies: `eventType`, `clientId` (Number), `mailingId` (Number, when present), `bounceCategory`
 * (bounces: hard | soft | unknown) and `mediaType` (when known). No attribute ever carries an address
 * or a recipient id.
 */
export function toMessage(event: PublishedEvent): {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
} {
  const attributes: Record<string, MessageAttributeValue> = {
    eventType: { DataType: 'String', StringValue: event.eventType },
    clientId: { DataType: 'Number', StringValue: idText(event.clientId) },
  };
  if (event.mailingId !== undefined) {
    attributes.mailingId = { DataType: 'Number', StringValue: idText(event.mailingId) };
  }
  // An event kept in S3 (`rawObject`) has no fields here: its message carries the pointer.
  const fields = event.event ?? {};
  if (event.eventType === 'bounce') {
    attributes.bounceCategory = { DataType: 'String', StringValue: bounceCategoryOf(fields) };
  }
  const mediaType = mediaTypeOf(fields);
  if (mediaType !== undefined) attributes.mediaType = { DataType: 'String', StringValue: mediaType };
  return { body: JSON.stringify(event), attributes };
}

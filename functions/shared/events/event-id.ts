import { isRawJsonNumber, type RawJsonNumber, rawJsonText } from './lossless-json.js';

/**
 * A Campaign id (`clientId`, `mailingId`; int64 in the contract). Up to 2^53 - 1 it is a plain number;
 * beyond, it is raw JSON that keeps its exact digits: `JSON.stringify` writes those digits as a JSON
 * number, DynamoDB stores them as an exact `N`, and {@link idText} gives them as text (e.g. for a
 * message attribute of type Number).
 */
export type EventId = number | RawJsonNumber;

/** The id's decimal digits, exactly as received. */
export function idText(id: EventId): string {
  return isRawJsonNumber(id) ? rawJsonText(id) : String(id);
}

export function isEventId(value: unknown): value is EventId {
  return typeof value === 'number' || isRawJsonNumber(value);
}

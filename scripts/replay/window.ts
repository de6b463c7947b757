import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { EVENT_STATUS, EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';

/** Which stored events a replay republishes: accepted ones received in [from, to), of some types and clients. */
export interface ReplayWindow {
  /** ISO-8601, included. */
  readonly from: string;
  /** ISO-8601, excluded. */
  readonly to: string;
  readonly types?: readonly CampaignEventType[];
  readonly clientIds?: readonly string[];
}

/** The scan filter of a window (applied after reading: a Scan is billed for the whole table). */
export function windowFilter(window: ReplayWindow) {
  const names: Record<string, string> = {
    '#status': EVENT_TABLE_ATTRIBUTES.status,
    '#receivedAt': 'receivedAt',
  };
  const values: Record<string, AttributeValue> = {
    ':accepted': { S: EVENT_STATUS.accepted },
    ':from': { S: window.from },
    ':to': { S: window.to },
  };
  const conditions = ['#status = :accepted', '#receivedAt >= :from', '#receivedAt < :to'];
  if (window.types !== undefined) {
    names['#eventType'] = 'eventType';
    const placeholders = window.types.map((type, index) => {
      values[`:type${index}`] = { S: type };
      return `:type${index}`;
    });
    conditions.push(`#eventType IN (${placeholders.join(', ')})`);
  }
  if (window.clientIds !== undefined) {
    names['#clientId'] = 'clientId';
    const placeholders = window.clientIds.map((id, index) => {
      values[`:client${index}`] = { N: id };
      return `:client${index}`;
    });
    conditions.push(`#clientId IN (${placeholders.join(', ')})`);
  }
  return { expression: conditions.join(' AND '), names, values };
}

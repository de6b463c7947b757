/**
 * The Campaign event types, named as the webhook API names them when a webhook is registered
 * (`WebhookRequestData.type` in the contract). One webhook carries one type, and this project creates
 * one SNS topic per type.
 *
 * Campaign reports two types under a different name than the one used to register them: a webhook
 * registered as `archive` is listed (and, we assume, delivers events) as `archived`. Every name that can
 * arrive is mapped to its registration name by {@link toEventType}.
 */
export const CAMPAIGN_EVENT_TYPES = [
  'sent',
  'bounce',
  'open',
  'click',
  'unsubscribe',
  'spamcomplaint',
  'singleoptin',
  'confirmedoptin',
  'doubleoptin',
  'blocklist',
  'archive',
  'filteredbyblocklist',
] as const;

export type CampaignEventType = (typeof CAMPAIGN_EVENT_TYPES)[number];

const REPORTED_NAME_ALIASES: Readonly<Record<string, CampaignEventType>> = {
  archived: 'archive',
};

export function isCampaignEventType(value: unknown): value is CampaignEventType {
  return typeof value === 'string' && (CAMPAIGN_EVENT_TYPES as readonly string[]).includes(value);
}

/** Maps a type name as Campaign reports it (case-insensitive) to its registration name, or undefined. */
export function toEventType(reported: unknown): CampaignEventType | undefined {
  if (typeof reported !== 'string') return undefined;
  const name = reported.trim().toLowerCase();
  if (isCampaignEventType(name)) return name;
  return REPORTED_NAME_ALIASES[name];
}

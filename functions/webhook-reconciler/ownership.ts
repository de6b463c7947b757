import type { RestWebhook } from '../shared/campaign-api/types.js';
import { type CampaignEventType, toEventType } from '../shared/campaign-event-types.js';

/**
 * Which Campaign webhooks belong to this deployment. Campaign webhooks have no name or tag, so ownership
 * rests on the target URL (the deployed endpoint is unique to the stack) and the event type.
 */

/** A URL in comparable form: scheme and host lower-cased, default port dropped, trailing slashes removed. */
export function normalizeTargetUrl(url: string): string {
  const trimmed = url.trim();
  try {
    const parsed = new URL(trimmed);
    const path = parsed.pathname.replace(/\/+$/, '');
    return `${parsed.protocol}//${parsed.host}${path}${parsed.search}`;
  } catch {
    return trimmed.replace(/\/+$/, '');
  }
}

export function sameTargetUrl(a: string, b: string): boolean {
  return normalizeTargetUrl(a) === normalizeTargetUrl(b);
}

/** The registration type of a listed webhook (`archived` -> `archive`), or undefined for others (`webhooknode`). */
export function eventTypeOf(webhook: RestWebhook): CampaignEventType | undefined {
  return toEventType(webhook.type);
}

export function isLive(webhook: RestWebhook): boolean {
  return webhook.status !== 'deleted';
}

/** Live webhooks pointing at one of `targetUrls` whose type is one of `types` (any known type when omitted). */
export function ownedWebhooks(
  current: readonly RestWebhook[],
  targetUrls: readonly string[],
  types?: readonly CampaignEventType[],
): RestWebhook[] {
  const urls = new Set(targetUrls.map(normalizeTargetUrl));
  const typeSet = types ? new Set(types) : undefined;
  return current.filter((webhook) => {
    if (!isLive(webhook) || !urls.has(normalizeTargetUrl(webhook.targetUrl))) return false;
    const type = eventTypeOf(webhook);
    return type !== undefined && (typeSet === undefined || typeSet.has(type));
  });
}

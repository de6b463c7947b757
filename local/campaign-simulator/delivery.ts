import type { WebhookAuthentication } from '../../functions/shared/campaign-api/types.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import type { CampaignEvent } from './event-factory.js';
import type { StoredWebhook } from './webhook-store.js';

/**
 * Posting events to a webhook target, as Campaign does: a JSON array in one POST, with the registered
 * authentication (keyAuth header, Basic, or nothing).
 */

export interface TargetResponse {
  /** The target's HTTP status; 0 when no response came (connection failed, timeout). */
  readonly status: number;
  readonly body: string;
}

const MAX_RECORDED_BODY = 2000;

export async function postToTarget(
  targetUrl: string,
  authentication: WebhookAuthentication,
  events: readonly unknown[],
  timeoutMs: number,
): Promise<TargetResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'campaign-simulator',
  };
  if (authentication.type === 'keyAuth') headers[authentication.key] = authentication.passphrase;
  if (authentication.type === 'basicAuth') {
    const token = Buffer.from(`${authentication.userName}:${authentication.password}`).toString('base64');
    headers.authorization = `Basic ${token}`;
  }
  try {
    const response = await fetch(targetUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify(events),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    const body = await response.text();
    return { status: response.status, body: body.slice(0, MAX_RECORDED_BODY) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, body: `no response: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}

export interface DeliveryOptions {
  /** Attempts per batch and webhook; a non-2xx answer or no answer is retried. @default 3 */
  readonly maxAttempts?: number;
  /** Wait between attempts (Campaign's real policy is undocumented). @default 0 */
  readonly retryDelayMs?: number;
  /** Per POST. @default 10000 */
  readonly timeoutMs?: number;
}

/** One batch sent to one webhook, with every attempt's answer. */
export interface DeliveryReport {
  readonly clientId: number;
  readonly webhookId: number;
  readonly type: CampaignEventType;
  readonly targetUrl: string;
  readonly eventCount: number;
  readonly attempts: readonly TargetResponse[];
  readonly delivered: boolean;
}

/** Posts one batch to one webhook, retrying a non-2xx answer up to `delivery.maxAttempts`. */
export async function deliverTo(
  webhook: StoredWebhook,
  events: readonly CampaignEvent[],
  delivery: DeliveryOptions = {},
): Promise<DeliveryReport> {
  const maxAttempts = Math.max(1, delivery.maxAttempts ?? 3);
  const attempts: TargetResponse[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const response = await postToTarget(
      webhook.targetUrl,
      webhook.authentication,
      events,
      delivery.timeoutMs ?? 10_000,
    );
    attempts.push(response);
    if (response.status >= 200 && response.status < 300) break;
    const delay = delivery.retryDelayMs ?? 0;
    if (attempt < maxAttempts && delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }
  const last = attempts[attempts.length - 1];
  return {
    clientId: webhook.clientId,
    webhookId: webhook.id,
    type: webhook.type,
    targetUrl: webhook.targetUrl,
    eventCount: events.length,
    attempts,
    delivered: last !== undefined && last.status >= 200 && last.status < 300,
  };
}

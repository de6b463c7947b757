import type { WebhookAuthentication } from '../../functions/shared/campaign-api/types.js';

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

/**
 * The Slack incoming-webhook secret (config `alerts.slackWebhookSecretName`) may hold either the URL itself
 * or JSON `{"url": "https://hooks.slack.com/services/..."}`. The URL is a credential: error messages here
 * describe what is wrong without ever repeating the value.
 */
export class WebhookSecretError extends Error {
  override readonly name = 'WebhookSecretError';
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function parseWebhookSecret(value: string | Uint8Array | undefined): URL {
  if (value === undefined) throw new WebhookSecretError('Slack webhook secret has no value');
  const text = (typeof value === 'string' ? value : new TextDecoder().decode(value)).trim();
  if (text === '') throw new WebhookSecretError('Slack webhook secret is empty');
  const candidate = text.startsWith('{') ? urlFromJson(text) : text;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw new WebhookSecretError(
      'Slack webhook secret is not a URL: store the webhook URL, or JSON {"url": "https://hooks.slack.com/..."}',
    );
  }
  const plainHttpAllowed = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !plainHttpAllowed) {
    throw new WebhookSecretError(`Slack webhook URL must use https (got ${url.protocol.replace(':', '')})`);
  }
  return url;
}

function urlFromJson(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WebhookSecretError('Slack webhook secret starts with "{" but is not valid JSON');
  }
  const url = (parsed as { url?: unknown } | null)?.url;
  if (typeof url !== 'string' || url.trim() === '') {
    throw new WebhookSecretError('Slack webhook secret JSON must have a string "url" field');
  }
  return url.trim();
}

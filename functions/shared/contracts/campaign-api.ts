/** Campaign's production REST API (the contract's `servers[0]`): config `campaign.apiBaseUrl`'s default. */
export const CAMPAIGN_PRODUCTION_API_URL = 'https://api.campaign.episerver.net/rest';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why `value` cannot be the Campaign API base URL, or undefined when it can. The API takes Basic
 * credentials on every request, so it must be https; plain http is allowed only to a loopback address
 * (the local run's Campaign simulator). Used by infra/config.ts (refused at synth) and by the client.
 */
export function campaignBaseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (
    url.protocol === 'http:' &&
    (LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname))
  ) {
    return undefined;
  }
  return (
    'must be an https URL: the Campaign API credentials travel with every request ' +
    '(plain http is allowed only to a loopback address, for local runs)'
  );
}

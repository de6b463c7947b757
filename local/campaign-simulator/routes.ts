import type { CampaignOperation } from '../../functions/shared/campaign-api/types.js';

/** The management API's path prefix, as in https://api.campaign.episerver.net/rest. */
export const API_PREFIX = '/rest';

export const WRITE_OPERATIONS: ReadonlySet<string> = new Set<CampaignOperation>([
  'createWebhook',
  'updateWebhook',
  'deleteWebhook',
  'activateWebhook',
  'deactivateWebhook',
]);

export interface MatchedRoute {
  readonly operation: CampaignOperation;
  readonly clientId: number;
  readonly webhookId?: number;
}

/** The webhook operation a request names, an error for malformed ids, or undefined for no such route. */
export function matchRoute(method: string, pathname: string): MatchedRoute | { error: string } | undefined {
  if (!pathname.startsWith(`${API_PREFIX}/`)) return undefined;
  const parts = pathname
    .slice(API_PREFIX.length + 1)
    .replace(/\/+$/, '')
    .split('/');
  const [client, collection, id, action] = parts;
  if (collection !== 'webhooks' || parts.length > 4) return undefined;
  const operation = operationFor(method, id !== undefined, action);
  if (operation === undefined) return undefined;
  if (!client || !/^\d+$/.test(client)) return { error: 'clientId must be an integer' };
  if (id !== undefined && !/^\d+$/.test(id)) return { error: 'webhookId must be an integer' };
  return { operation, clientId: Number(client), ...(id === undefined ? {} : { webhookId: Number(id) }) };
}

function operationFor(
  method: string,
  hasId: boolean,
  action: string | undefined,
): CampaignOperation | undefined {
  if (!hasId) return method === 'GET' ? 'selectWebhooks' : method === 'POST' ? 'createWebhook' : undefined;
  if (action === undefined)
    return method === 'PUT' ? 'updateWebhook' : method === 'DELETE' ? 'deleteWebhook' : undefined;
  if (action === 'activate' && method === 'POST') return 'activateWebhook';
  if (action === 'deactivate' && method === 'POST') return 'deactivateWebhook';
  if (action === 'verify' && method === 'GET') return 'verifyWebhook';
  return undefined;
}

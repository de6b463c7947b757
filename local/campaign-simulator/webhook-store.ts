import type { WebhookAuthentication, WebhookStatus } from '../../functions/shared/campaign-api/types.js';
import {
  CAMPAIGN_EVENT_TYPES,
  type CampaignEventType,
  isCampaignEventType,
} from '../../functions/shared/campaign-event-types.js';

/**
 * The simulator's in-memory webhooks and the contract's rules for them:
 * form fields validated as `WebhookRequestData`, 404 for an unknown webhook, 409 for another client's,
 * activate twice = 400, deactivate when not activated = 400, delete while activated = 400,
 * list with sort/direction/offset/limit (limit >= 10000 = 400), passphrases never listed.
 */

export interface StoredWebhook {
  readonly id: number;
  readonly clientId: number;
  /** Registration name (`archive`); listed as Campaign reports it (`archived`). */
  type: CampaignEventType;
  status: WebhookStatus;
  format: 'json';
  targetUrl: string;
  authentication: WebhookAuthentication;
  readonly created: string;
  modified: string;
}

/** A rule violation, answered with `status` and `{"message": ...}`. */
export class SimulatorHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface WebhookStoreOptions {
  /** @default 1000 */
  readonly firstWebhookId?: number;
  /** Reject non-HTTPS targets and ports other than 443, as production does. @default false */
  readonly requireHttpsTargets?: boolean;
  /** Keep deleted webhooks in the list with status `deleted` instead of dropping them. @default false */
  readonly keepDeletedWebhooks?: boolean;
  readonly now?: () => Date;
}

const SORT_KEYS = [
  'ID',
  'MAILING_GROUP',
  'TYPE',
  'NAME',
  'TEMPLATE',
  'STATUS',
  'PAYLOAD_FORMAT',
  'TARGET_URL',
  'INTEGRATION_ID',
  'AUTHENTICATION',
  'DATA',
  'CREATED',
  'MODIFIED',
] as const;
type SortKey = (typeof SORT_KEYS)[number];

const MASK = '********';

export class WebhookStore {
  private readonly webhooks = new Map<number, StoredWebhook>();
  private nextId: number;
  private readonly requireHttps: boolean;
  private readonly keepDeleted: boolean;
  private readonly now: () => Date;

  constructor(options: WebhookStoreOptions = {}) {
    this.nextId = options.firstWebhookId ?? 1000;
    this.requireHttps = options.requireHttpsTargets ?? false;
    this.keepDeleted = options.keepDeletedWebhooks ?? false;
    this.now = options.now ?? (() => new Date());
  }

  list(clientId: number, query: URLSearchParams): StoredWebhook[] {
    const sort = (query.get('sort') ?? 'CREATED').toUpperCase();
    if (!(SORT_KEYS as readonly string[]).includes(sort)) {
      throw new SimulatorHttpError(400, `sort must be one of ${SORT_KEYS.join(', ')}`);
    }
    const direction = (query.get('direction') ?? 'DESC').toUpperCase();
    if (direction !== 'ASC' && direction !== 'DESC')
      throw new SimulatorHttpError(400, 'direction must be ASC or DESC');
    const offset = integerParam(query, 'offset', 0);
    const limit = integerParam(query, 'limit', 100);
    if (limit >= 10_000) throw new SimulatorHttpError(400, 'limit must be less than 10000');
    if (limit < 1) throw new SimulatorHttpError(400, 'limit must be at least 1');
    const compare = comparator(sort as SortKey);
    const sign = direction === 'ASC' ? 1 : -1;
    return [...this.webhooks.values()]
      .filter((webhook) => webhook.clientId === clientId)
      .sort((a, b) => sign * (compare(a, b) || a.id - b.id))
      .slice(offset, offset + limit);
  }

  create(clientId: number, form: URLSearchParams): StoredWebhook {
    const settings = this.readSettings(form);
    const timestamp = this.now().toISOString();
    const webhook: StoredWebhook = {
      id: this.nextId++,
      clientId,
      ...settings,
      status: 'created',
      created: timestamp,
      modified: timestamp,
    };
    this.webhooks.set(webhook.id, webhook);
    return webhook;
  }

  /** PUT replaces the settings; the status is kept (an activated webhook stays activated). */
  update(clientId: number, webhookId: number, form: URLSearchParams): StoredWebhook {
    const webhook = this.find(clientId, webhookId);
    Object.assign(webhook, this.readSettings(form), { modified: this.now().toISOString() });
    return webhook;
  }

  activate(clientId: number, webhookId: number): StoredWebhook {
    const webhook = this.find(clientId, webhookId);
    if (webhook.status === 'activated')
      throw new SimulatorHttpError(400, 'The webhook is already in status "activated".');
    return this.setStatus(webhook, 'activated');
  }

  deactivate(clientId: number, webhookId: number): StoredWebhook {
    const webhook = this.find(clientId, webhookId);
    if (webhook.status !== 'activated')
      throw new SimulatorHttpError(400, 'The webhook is not in status "activated".');
    return this.setStatus(webhook, 'deactivated');
  }

  delete(clientId: number, webhookId: number): void {
    const webhook = this.find(clientId, webhookId);
    if (webhook.status === 'activated') {
      throw new SimulatorHttpError(
        400,
        'The webhook could not be deleted as it is in status "activated". The webhook must be in status "deactivated".',
      );
    }
    if (this.keepDeleted) this.setStatus(webhook, 'deleted');
    else this.webhooks.delete(webhookId);
  }

  /** The webhook, or 404 (unknown or deleted) / 409 (another client's). */
  find(clientId: number, webhookId: number): StoredWebhook {
    const webhook = this.webhooks.get(webhookId);
    if (webhook === undefined || webhook.status === 'deleted') {
      throw new SimulatorHttpError(404, `The webhook ${webhookId} could not be found.`);
    }
    if (webhook.clientId !== clientId) {
      throw new SimulatorHttpError(409, `The webhook ID ${webhookId} is not assigned to the current client.`);
    }
    return webhook;
  }

  /** Test/admin access: insert a webhook in any state, e.g. what a half-finished deploy left. */
  seed(
    clientId: number,
    webhook: Pick<StoredWebhook, 'type' | 'targetUrl'> &
      Partial<Pick<StoredWebhook, 'status' | 'authentication'>>,
  ): StoredWebhook {
    const timestamp = this.now().toISOString();
    const stored: StoredWebhook = {
      id: this.nextId++,
      clientId,
      type: webhook.type,
      targetUrl: webhook.targetUrl,
      status: webhook.status ?? 'created',
      format: 'json',
      authentication: webhook.authentication ?? { type: 'none' },
      created: timestamp,
      modified: timestamp,
    };
    this.webhooks.set(stored.id, stored);
    return stored;
  }

  /** Test/admin access: force a status (e.g. `suspended`, whose cause Campaign does not document). */
  forceStatus(webhookId: number, status: WebhookStatus): StoredWebhook {
    const webhook = this.webhooks.get(webhookId);
    if (webhook === undefined) throw new Error(`No webhook ${webhookId}`);
    return this.setStatus(webhook, status);
  }

  /** Every stored webhook (of one client), unmasked: for tests and the sender. */
  all(clientId?: number): StoredWebhook[] {
    return [...this.webhooks.values()]
      .filter((webhook) => clientId === undefined || webhook.clientId === clientId)
      .sort((a, b) => a.id - b.id);
  }

  private setStatus(webhook: StoredWebhook, status: WebhookStatus): StoredWebhook {
    webhook.status = status;
    webhook.modified = this.now().toISOString();
    return webhook;
  }

  private readSettings(
    form: URLSearchParams,
  ): Pick<StoredWebhook, 'type' | 'format' | 'targetUrl' | 'authentication'> {
    const type = form.get('type');
    if (!isCampaignEventType(type)) {
      throw new SimulatorHttpError(
        400,
        `type is required and must be one of ${CAMPAIGN_EVENT_TYPES.join(', ')}`,
      );
    }
    if (form.get('format') !== 'json')
      throw new SimulatorHttpError(400, 'format is required and must be "json"');
    return {
      type,
      format: 'json',
      targetUrl: this.readTargetUrl(form.get('targetUrl')),
      authentication: readAuthentication(form),
    };
  }

  private readTargetUrl(value: string | null): string {
    if (!value) throw new SimulatorHttpError(400, 'targetUrl is required');
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new SimulatorHttpError(400, 'targetUrl is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new SimulatorHttpError(400, 'targetUrl must be an HTTP(S) URL');
    }
    if (this.requireHttps && (url.protocol !== 'https:' || (url.port !== '' && url.port !== '443'))) {
      throw new SimulatorHttpError(400, 'targetUrl must use HTTPS on port 443');
    }
    return value;
  }
}

/** The webhook as the API returns it: `archive` reported as `archived`, secrets masked. */
export function toRestWebhook(webhook: StoredWebhook): Record<string, unknown> {
  return {
    id: webhook.id,
    type: webhook.type === 'archive' ? 'archived' : webhook.type,
    status: webhook.status,
    format: webhook.format,
    targetUrl: webhook.targetUrl,
    authentication: maskAuthentication(webhook.authentication),
    created: webhook.created,
    modified: webhook.modified,
  };
}

function maskAuthentication(auth: WebhookAuthentication): Record<string, unknown> {
  switch (auth.type) {
    case 'keyAuth':
      return { type: 'keyAuth', key: auth.key, passphrase: MASK };
    case 'basicAuth':
      return { type: 'basicAuth', userName: auth.userName, password: MASK };
    case 'none':
      return { type: 'none' };
  }
}

function readAuthentication(form: URLSearchParams): WebhookAuthentication {
  const raw = form.get('authentication');
  if (raw === null || raw === '') {
    // The deprecated fields still work when `authentication` is absent.
    const userName = form.get('basicAuthUsername');
    const password = form.get('basicAuthPassword');
    if (userName && password) return { type: 'basicAuth', userName, password };
    return { type: 'none' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SimulatorHttpError(400, 'authentication must be a JSON string');
  }
  const auth = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const text = (field: string): string => {
    const value = auth[field];
    if (typeof value !== 'string' || value === '') {
      throw new SimulatorHttpError(
        400,
        `authentication of type ${String(auth.type)} needs a non-empty "${field}"`,
      );
    }
    return value;
  };
  switch (auth.type) {
    case 'none':
      return { type: 'none' };
    case 'basicAuth':
      return { type: 'basicAuth', userName: text('userName'), password: text('password') };
    case 'keyAuth': {
      const key = text('key');
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) {
        throw new SimulatorHttpError(400, 'authentication key must be an HTTP header name');
      }
      return { type: 'keyAuth', key, passphrase: text('passphrase') };
    }
    default:
      throw new SimulatorHttpError(400, 'authentication type must be none, basicAuth or keyAuth');
  }
}

function integerParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new SimulatorHttpError(400, `${name} must be a non-negative integer`);
  return Number(raw);
}

function comparator(sort: SortKey): (a: StoredWebhook, b: StoredWebhook) => number {
  const byText = (pick: (webhook: StoredWebhook) => string) => (a: StoredWebhook, b: StoredWebhook) =>
    pick(a).localeCompare(pick(b));
  switch (sort) {
    case 'TYPE':
      return byText((webhook) => webhook.type);
    case 'STATUS':
      return byText((webhook) => webhook.status);
    case 'PAYLOAD_FORMAT':
      return byText((webhook) => webhook.format);
    case 'TARGET_URL':
      return byText((webhook) => webhook.targetUrl);
    case 'AUTHENTICATION':
      return byText((webhook) => webhook.authentication.type);
    case 'CREATED':
      return byText((webhook) => webhook.created);
    case 'MODIFIED':
      return byText((webhook) => webhook.modified);
    default:
      // ID, and the keys without a counterpart in this simulator (MAILING_GROUP, NAME, ...): by id.
      return (a, b) => a.id - b.id;
  }
}

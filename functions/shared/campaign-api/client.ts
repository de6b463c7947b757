import { CAMPAIGN_PRODUCTION_API_URL, campaignBaseUrlProblem } from '../contracts/campaign-api.js';
import { ConcurrencyLimiter } from './concurrency.js';
import { DEFAULT_MAX_CONCURRENCY } from './constants.js';
import { CampaignApiError, type CampaignFailureKind, campaignMessageFrom, redact } from './errors.js';
import { readVerifyResults, readWebhook, readWebhookList } from './response-schemas.js';
import {
  type AttemptOutcome,
  type Clock,
  parseRetryAfterMs,
  type RetryPolicy,
  resolveRetryPolicy,
  retryLoop,
  systemClock,
} from './retry.js';
import type {
  CampaignCredentials,
  CampaignOperation,
  RestWebhook,
  WebhookSettings,
  WebhookVerifyResult,
} from './types.js';

export interface CampaignApiClientOptions {
  readonly credentials: CampaignCredentials;
  /** @default CAMPAIGN_PRODUCTION_API_URL (https://api.campaign.episerver.net/rest) */
  readonly baseUrl?: string;
  /** Requests in flight at once, across all calls of this client (Campaign allows 25 per client). @default 5 */
  readonly maxConcurrency?: number;
  /** Per-request timeout. @default 20000 */
  readonly requestTimeoutMs?: number;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: Partial<RetryPolicy>;
  /** Webhooks per list page (the contract requires limit < 10000). @default 100 */
  readonly pageSize?: number;
  /** Cancels every call, retries included (e.g. the Lambda's deadline). */
  readonly signal?: AbortSignal;
  /** Called before each retry wait, e.g. to log it. */
  readonly onRetry?: (event: CampaignRetryEvent) => void;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
}

export interface CampaignRetryEvent {
  readonly operation: CampaignOperation;
  readonly clientId: number;
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

export interface VerifyOptions {
  readonly mailingId: number;
  /** 1 to 100. @default 1 */
  readonly numberOfEvents?: number;
}

interface RequestSpec {
  readonly operation: CampaignOperation;
  readonly clientId: number;
  readonly webhookId?: number;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly form?: URLSearchParams;
  readonly expectedStatus: number;
  /**
   * False for create: a retry after an ambiguous failure (a 500 or a timeout, which Campaign may have
   * acted on) could create a duplicate, so only failures that prove the request was not processed
   * (429, 503, connection refused) are retried; others fail with `outcomeUnknown`.
   */
  readonly idempotent: boolean;
  /** Values that must never appear in an error (a webhook passphrase being sent). */
  readonly secrets?: readonly string[];
}

/** Network errors that prove the request never reached Campaign. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
const JSON_CONTENT_TYPE = /^application\/(?:json|[\w.+-]+\+json)\b/i;
const MAX_PAGES = 1000;

/**
 * The webhook operations of the Campaign REST API, over native fetch: Basic auth, form-encoded bodies,
 * JSON responses (`application/json` or `application/vnd.optivo.broadmail.v1+json`), a concurrency cap,
 * and bounded retries with backoff and jitter on 429, 5xx and network errors.
 */
export class CampaignApiClient {
  readonly baseUrl: string;
  private readonly authorization: string;
  private readonly password: string;
  private readonly limiter: ConcurrencyLimiter;
  private readonly requestTimeoutMs: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly pageSize: number;
  private readonly clock: Clock;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly signal: AbortSignal | undefined;
  private readonly onRetry: ((event: CampaignRetryEvent) => void) | undefined;

  constructor(options: CampaignApiClientOptions) {
    const { username, password } = options.credentials;
    if (!username || !password) throw new Error('Campaign API credentials need a username and a password');
    if (username.includes(':')) throw new Error('A Campaign API username cannot contain ":" (HTTP Basic)');
    this.baseUrl = normalizeBaseUrl(options.baseUrl ?? CAMPAIGN_PRODUCTION_API_URL);
    this.authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
    this.password = password;
    this.limiter = new ConcurrencyLimiter(options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
    this.retryPolicy = resolveRetryPolicy(options.retry);
    this.pageSize = options.pageSize ?? 100;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1 || this.pageSize >= 10_000) {
      throw new Error(`pageSize must be an integer from 1 to 9999, got ${this.pageSize}`);
    }
    this.clock = options.clock ?? systemClock;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.signal = options.signal;
    this.onRetry = options.onRetry;
  }

  /** Every webhook of the client, all pages (sorted by id, so paging is stable while webhooks are added). */
  async listWebhooks(clientId: number): Promise<RestWebhook[]> {
    const all: RestWebhook[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.request({
        operation: 'selectWebhooks',
        clientId,
        method: 'GET',
        path: `/${clientId}/webhooks`,
        query: {
          sort: 'ID',
          direction: 'ASC',
          offset: String(page * this.pageSize),
          limit: String(this.pageSize),
        },
        expectedStatus: 200,
        idempotent: true,
      });
      const items = this.readBody('selectWebhooks', clientId, undefined, () => readWebhookList(body));
      all.push(...items);
      if (items.length < this.pageSize) return all;
    }
    throw new CampaignApiError({
      operation: 'selectWebhooks',
      clientId,
      kind: 'invalid-response',
      campaignMessage: `more than ${MAX_PAGES} pages of webhooks; is the limit parameter ignored?`,
      attempts: 1,
    });
  }

  async createWebhook(clientId: number, settings: WebhookSettings): Promise<RestWebhook> {
    const body = await this.request({
      operation: 'createWebhook',
      clientId,
      method: 'POST',
      path: `/${clientId}/webhooks`,
      form: webhookForm(settings),
      expectedStatus: 201,
      idempotent: false,
      secrets: secretsOf(settings),
    });
    return this.readBody('createWebhook', clientId, undefined, () => readWebhook(body));
  }

  async updateWebhook(clientId: number, webhookId: number, settings: WebhookSettings): Promise<RestWebhook> {
    const body = await this.request({
      operation: 'updateWebhook',
      clientId,
      webhookId,
      method: 'PUT',
      path: `/${clientId}/webhooks/${webhookId}`,
      form: webhookForm(settings),
      expectedStatus: 200,
      idempotent: true,
      secrets: secretsOf(settings),
    });
    return this.readBody('updateWebhook', clientId, webhookId, () => readWebhook(body));
  }

  async deleteWebhook(clientId: number, webhookId: number): Promise<void> {
    await this.request({
      operation: 'deleteWebhook',
      clientId,
      webhookId,
      method: 'DELETE',
      path: `/${clientId}/webhooks/${webhookId}`,
      expectedStatus: 204,
      idempotent: true,
    });
  }

  /** Campaign answers 400 when the webhook is already activated. */
  async activateWebhook(clientId: number, webhookId: number): Promise<RestWebhook> {
    return this.transition('activateWebhook', 'activate', clientId, webhookId);
  }

  /** Campaign answers 400 when the webhook is not activated. */
  async deactivateWebhook(clientId: number, webhookId: number): Promise<RestWebhook> {
    return this.transition('deactivateWebhook', 'deactivate', clientId, webhookId);
  }

  /**
   * Has Campaign send test events to the webhook's target. The call succeeding only means the test ran:
   * each result's `httpStatusCode` is what the target answered (200 = success).
   */
  async verifyWebhook(
    clientId: number,
    webhookId: number,
    options: VerifyOptions,
  ): Promise<WebhookVerifyResult[]> {
    const numberOfEvents = options.numberOfEvents ?? 1;
    if (!Number.isInteger(numberOfEvents) || numberOfEvents < 1 || numberOfEvents > 100) {
      throw new Error(`numberOfEvents must be an integer from 1 to 100, got ${numberOfEvents}`);
    }
    if (!Number.isInteger(options.mailingId) || options.mailingId < 1) {
      throw new Error(`mailingId must be a positive integer, got ${options.mailingId}`);
    }
    const body = await this.request({
      operation: 'verifyWebhook',
      clientId,
      webhookId,
      method: 'GET',
      path: `/${clientId}/webhooks/${webhookId}/verify`,
      query: { mailingId: String(options.mailingId), numberOfEvents: String(numberOfEvents) },
      expectedStatus: 200,
      idempotent: true,
    });
    return this.readBody('verifyWebhook', clientId, webhookId, () => readVerifyResults(body));
  }

  private async transition(
    operation: 'activateWebhook' | 'deactivateWebhook',
    action: 'activate' | 'deactivate',
    clientId: number,
    webhookId: number,
  ): Promise<RestWebhook> {
    const body = await this.request({
      operation,
      clientId,
      webhookId,
      method: 'POST',
      path: `/${clientId}/webhooks/${webhookId}/${action}`,
      expectedStatus: 200,
      idempotent: true,
    });
    return this.readBody(operation, clientId, webhookId, () => readWebhook(body));
  }

  private readBody<T>(
    operation: CampaignOperation,
    clientId: number,
    webhookId: number | undefined,
    read: () => T,
  ): T {
    try {
      return read();
    } catch (error) {
      throw new CampaignApiError({
        operation,
        clientId,
        ...(webhookId === undefined ? {} : { webhookId }),
        kind: 'invalid-response',
        campaignMessage: redact((error as Error).message, [this.password]),
        attempts: 1,
      });
    }
  }

  private async request(spec: RequestSpec): Promise<unknown> {
    return retryLoop<unknown, CampaignApiError>((attempt) => this.attempt(spec, attempt), {
      policy: this.retryPolicy,
      clock: this.clock,
      ...(this.signal ? { signal: this.signal } : {}),
      onRetry: (event) =>
        this.onRetry?.({
          operation: spec.operation,
          clientId: spec.clientId,
          attempt: event.attempt,
          delayMs: event.delayMs,
          reason: event.error.status ? `HTTP ${event.error.status}` : event.error.kind,
        }),
      giveUp: (error, attempts, reason) => error.withAttempts(attempts, reason),
    }).catch((error: unknown) => {
      // A deadline that fires while waiting between retries surfaces as the abort reason.
      if (error instanceof CampaignApiError) throw error;
      throw this.failure(spec, 'aborted', { message: 'the call was cancelled by its deadline' });
    });
  }

  private async attempt(
    spec: RequestSpec,
    attempt: number,
  ): Promise<AttemptOutcome<unknown, CampaignApiError>> {
    if (this.signal?.aborted) {
      return { ok: false, retryable: false, error: this.failure(spec, 'aborted', { attempts: attempt }) };
    }
    const url = new URL(`${this.baseUrl}${spec.path}`);
    for (const [name, value] of Object.entries(spec.query ?? {})) url.searchParams.set(name, value);
    const headers: Record<string, string> = {
      authorization: this.authorization,
      accept: 'application/json, application/vnd.optivo.broadmail.v1+json;q=0.9',
    };
    if (spec.form) headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const signal = this.signal ? AbortSignal.any([timeout, this.signal]) : timeout;

    let status: number;
    let retryAfter: string | null;
    let contentType: string;
    let text: string;
    try {
      ({ status, retryAfter, contentType, text } = await this.limiter.run(async () => {
        const response = await this.fetchImpl(url, {
          method: spec.method,
          headers,
          ...(spec.form ? { body: spec.form.toString() } : {}),
          signal,
          redirect: 'error',
        });
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          contentType: response.headers.get('content-type') ?? '',
          text: await response.text(),
        };
      }));
    } catch (error) {
      return this.networkFailure(spec, attempt, error, timeout);
    }

    if (status === spec.expectedStatus) {
      if (text.trim() === '') return { ok: true, value: undefined };
      if (!JSON_CONTENT_TYPE.test(contentType)) {
        return {
          ok: false,
          retryable: false,
          error: this.failure(spec, 'invalid-response', {
            attempts: attempt,
            message: `expected a JSON response, got content type "${contentType || 'none'}"`,
          }),
        };
      }
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch {
        return {
          ok: false,
          retryable: false,
          error: this.failure(spec, 'invalid-response', {
            attempts: attempt,
            message: 'the JSON body does not parse',
          }),
        };
      }
    }

    const retryAfterMs = parseRetryAfterMs(retryAfter, this.clock.now());
    const error = this.failure(spec, 'http', {
      status,
      attempts: attempt,
      message: campaignMessageFrom(text, this.secrets(spec)),
      outcomeUnknown: !spec.idempotent && status >= 500 && status !== 503,
    });
    const throttledOrUnavailable = status === 429 || status === 503;
    const retryable = throttledOrUnavailable || (status >= 500 && spec.idempotent);
    return {
      ok: false,
      error,
      retryable,
      ...(retryable && retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }

  private networkFailure(
    spec: RequestSpec,
    attempt: number,
    error: unknown,
    timeout: AbortSignal,
  ): AttemptOutcome<unknown, CampaignApiError> {
    if (this.signal?.aborted) {
      return { ok: false, retryable: false, error: this.failure(spec, 'aborted', { attempts: attempt }) };
    }
    if (timeout.aborted) {
      return {
        ok: false,
        retryable: spec.idempotent,
        error: this.failure(spec, 'timeout', {
          attempts: attempt,
          message: `no response within ${this.requestTimeoutMs} ms`,
          outcomeUnknown: !spec.idempotent,
        }),
      };
    }
    const code = networkErrorCode(error);
    const notSent = code !== undefined && NOT_SENT_CODES.has(code);
    const message = redact(
      `${code ?? ''} ${(error as Error)?.message ?? String(error)}`.trim(),
      this.secrets(spec),
    );
    return {
      ok: false,
      retryable: spec.idempotent || notSent,
      error: this.failure(spec, 'network', {
        attempts: attempt,
        message,
        outcomeUnknown: !spec.idempotent && !notSent,
      }),
    };
  }

  private failure(
    spec: RequestSpec,
    kind: CampaignFailureKind,
    details: { status?: number; attempts?: number; message?: string | undefined; outcomeUnknown?: boolean },
  ): CampaignApiError {
    return new CampaignApiError({
      operation: spec.operation,
      clientId: spec.clientId,
      ...(spec.webhookId === undefined ? {} : { webhookId: spec.webhookId }),
      kind,
      ...(details.status === undefined ? {} : { status: details.status }),
      ...(details.message === undefined ? {} : { campaignMessage: details.message }),
      attempts: details.attempts ?? 1,
      outcomeUnknown: details.outcomeUnknown ?? false,
    });
  }

  private secrets(spec: RequestSpec): string[] {
    return [this.password, ...(spec.secrets ?? [])];
  }
}

/** `WebhookRequestData` as a form body, exactly the contract's fields. */
export function webhookForm(settings: WebhookSettings): URLSearchParams {
  return new URLSearchParams({
    type: settings.type,
    format: 'json',
    targetUrl: settings.targetUrl,
    authentication: JSON.stringify(settings.authentication),
  });
}

function secretsOf(settings: WebhookSettings): string[] {
  const auth = settings.authentication;
  if (auth.type === 'keyAuth') return [auth.passphrase];
  if (auth.type === 'basicAuth') return [auth.password];
  return [];
}

function normalizeBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Campaign API base URL is not a URL: "${value}"`);
  }
  const problem = campaignBaseUrlProblem(value);
  if (problem !== undefined) throw new Error(`Campaign API base URL "${value}" ${problem}`);
  return url.toString().replace(/\/+$/, '');
}

/** The errno-style code of a fetch failure (undici wraps it in `cause`). */
function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

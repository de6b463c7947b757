import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CampaignOperation } from '../../functions/shared/campaign-api/types.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { type DeliveryOptions, type DeliveryReport, deliverTo } from './delivery.js';
import { type CampaignEvent, CampaignEventFactory } from './event-factory.js';
import { FaultInjector, type OutageMode } from './faults.js';
import { basicAuthUser, drain, readBody, readForm } from './request-io.js';
import { API_PREFIX, type MatchedRoute, matchRoute, WRITE_OPERATIONS } from './routes.js';
import { type VerificationReport, verifyWebhook } from './verify.js';
import { SimulatorHttpError, toRestWebhook, WebhookStore } from './webhook-store.js';

export type { DeliveryOptions, DeliveryReport } from './delivery.js';
export type { VerificationReport } from './verify.js';

/**
 * A Campaign REST API simulator for the webhook part of the contract
 * (Campaign's webhooks OpenAPI contract), and a stand-in for Campaign as the SENDER of
 * event batches. Used by the tests and the local run. Differences from production, on purpose:
 * plain http and any port are accepted as target URLs (production requires HTTPS on 443; see
 * `requireHttpsTargets`), and a few `/_simulator/*` admin routes exist (no auth, loopback only).
 */

export interface SimulatorUser {
  readonly username: string;
  readonly password: string;
  /** Clients this API user may manage. @default every client */
  readonly clientIds?: readonly number[];
}

export interface CampaignSimulatorOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
  readonly users: readonly SimulatorUser[];
  /** When given for a client, verify accepts only these mailing ids (400 otherwise). */
  readonly mailingIds?: Readonly<Record<number, readonly number[]>>;
  /** Types whose verify answers 400 "not supported" (the contract documents that answer, not which types). */
  readonly verifyUnsupportedTypes?: readonly CampaignEventType[];
  /** @default false */
  readonly requireHttpsTargets?: boolean;
  /** @default false */
  readonly keepDeletedWebhooks?: boolean;
  /** Content type of JSON answers. @default application/json */
  readonly responseContentType?: 'application/json' | 'application/vnd.optivo.broadmail.v1+json';
  readonly delivery?: DeliveryOptions;
  /** @default 1000 */
  readonly firstWebhookId?: number;
  /** Seed of the generated events. @default 1 */
  readonly eventSeed?: number;
}

/** One request to the management API, as the simulator saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly operation: CampaignOperation | 'unknown';
  readonly clientId?: number;
  readonly webhookId?: number;
  readonly status: number;
}

const REBIND_BUDGET_MS = 10_000;

type Reply = (status: number, body?: unknown, headers?: Record<string, string>) => void;

export class CampaignSimulator {
  readonly store: WebhookStore;
  readonly faults = new FaultInjector();
  readonly requests: RecordedRequest[] = [];
  readonly deliveries: DeliveryReport[] = [];
  readonly verifications: VerificationReport[] = [];
  private outage: OutageMode | undefined;
  private eventSeed: number;
  private port = 0;

  constructor(
    private readonly server: Server,
    private readonly options: CampaignSimulatorOptions,
  ) {
    this.store = new WebhookStore({
      ...(options.firstWebhookId === undefined ? {} : { firstWebhookId: options.firstWebhookId }),
      ...(options.requireHttpsTargets === undefined
        ? {}
        : { requireHttpsTargets: options.requireHttpsTargets }),
      ...(options.keepDeletedWebhooks === undefined
        ? {}
        : { keepDeletedWebhooks: options.keepDeletedWebhooks }),
    });
    this.eventSeed = options.eventSeed ?? 1;
    server.on('request', (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.send(response, 500, { message: (error as Error).message });
        else response.destroy();
      });
    });
  }

  /** The API base URL, like https://api.campaign.episerver.net/rest (use it as `apiBaseUrl`). */
  get baseUrl(): string {
    return `http://${this.host}:${this.port}${API_PREFIX}`;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** Requests that change webhooks (create, update, delete, activate, deactivate), answered or not. */
  writeRequests(): RecordedRequest[] {
    return this.requests.filter((request) => WRITE_OPERATIONS.has(request.operation));
  }

  clearRecords(): void {
    this.requests.length = 0;
    this.deliveries.length = 0;
    this.verifications.length = 0;
  }

  /** Takes the whole API down: connections refused, dropped, or every request answered 503. */
  async goDown(mode: OutageMode): Promise<void> {
    this.outage = mode;
    if (mode === 'refuse') {
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
    }
  }

  /**
   * Ends an outage; after `refuse`, listens on the same port again. The port was free meanwhile: if
   * another process holds it for a moment, binding is retried for up to 10 s.
   */
  async comeBack(): Promise<void> {
    const mode = this.outage;
    this.outage = undefined;
    if (mode !== 'refuse') return;
    const deadline = Date.now() + REBIND_BUDGET_MS;
    for (;;) {
      try {
        return await this.listen(this.port);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** @internal used by startCampaignSimulator */
  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Sends `events` as one batch to every ACTIVATED webhook of `type` of the client, with the registered
   * authentication; a non-2xx answer is retried up to `delivery.maxAttempts`.
   */
  async deliver(
    clientId: number,
    type: CampaignEventType,
    events: readonly CampaignEvent[],
  ): Promise<DeliveryReport[]> {
    const targets = this.store
      .all(clientId)
      .filter((webhook) => webhook.type === type && webhook.status === 'activated');
    const reports = await Promise.all(
      targets.map((webhook) => deliverTo(webhook, events, this.options.delivery)),
    );
    this.deliveries.push(...reports);
    return reports;
  }

  /** Generates `size` realistic events over `types` (default: every type with an active webhook) and delivers them per type. */
  async deliverBatch(
    clientId: number,
    size: number,
    types?: readonly CampaignEventType[],
  ): Promise<DeliveryReport[]> {
    const activeTypes = [
      ...new Set(
        this.store
          .all(clientId)
          .filter((webhook) => webhook.status === 'activated')
          .map((webhook) => webhook.type),
      ),
    ];
    const chosen = types ?? activeTypes;
    if (chosen.length === 0) return [];
    // Round-robin over the types, so every type gets events whatever the batch size.
    const factory = this.eventFactory(clientId);
    const byType = new Map<CampaignEventType, CampaignEvent[]>();
    for (let i = 0; i < size; i++) {
      const type = chosen[i % chosen.length] as CampaignEventType;
      byType.set(type, [...(byType.get(type) ?? []), factory.event(type)]);
    }
    const reports: DeliveryReport[] = [];
    for (const [type, events] of byType) reports.push(...(await this.deliver(clientId, type, events)));
    return reports;
  }

  private eventFactory(clientId: number): CampaignEventFactory {
    return new CampaignEventFactory({ clientId, seed: this.eventSeed++ });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.outage === 'reset' || this.outage === 'refuse') {
      request.socket.destroy();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://simulator');
    if (url.pathname.startsWith('/_simulator/')) {
      await this.handleAdmin(request, response, url);
      return;
    }
    const route = matchRoute(request.method ?? 'GET', url.pathname);
    const matched = route !== undefined && !('error' in route) ? route : undefined;
    const reply: Reply = (status, body, headers = {}) => {
      this.requests.push({
        method: request.method ?? 'GET',
        path: url.pathname,
        operation: matched?.operation ?? 'unknown',
        ...(matched === undefined ? {} : { clientId: matched.clientId }),
        ...(matched?.webhookId === undefined ? {} : { webhookId: matched.webhookId }),
        status,
      });
      this.send(response, status, body, headers);
    };
    if (this.outage === '503') return reply(503, { message: 'Service Unavailable' });
    if (route === undefined)
      return reply(404, { message: `No such resource: ${request.method} ${url.pathname}` });
    if ('error' in route) return reply(400, { message: route.error });
    const user = basicAuthUser(request, this.options.users);
    if (user === undefined) {
      return reply(
        401,
        { message: 'Authentication required' },
        { 'www-authenticate': 'Basic realm="Campaign"' },
      );
    }
    if (user.clientIds !== undefined && !user.clientIds.includes(route.clientId)) {
      return reply(403, { message: `The API user may not access client ${route.clientId}` });
    }
    await this.serve(route, request, url, reply);
  }

  /** Runs an authorized operation, with the latency and failure injected for it. */
  private async serve(route: MatchedRoute, request: IncomingMessage, url: URL, reply: Reply): Promise<void> {
    const latency = this.faults.latencyFor(route.operation);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const fault = this.faults.take(route.operation);
    const faultReply = () => {
      const headers: Record<string, string> =
        fault?.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      reply(fault?.status ?? 500, { message: `Injected failure (HTTP ${fault?.status})` }, headers);
    };
    if (fault && !fault.afterProcessing) {
      await drain(request);
      return faultReply();
    }
    try {
      const result = await this.execute(route, request, url);
      if (fault) return faultReply();
      reply(result.status, result.body);
    } catch (error) {
      if (error instanceof SimulatorHttpError) return reply(error.status, { message: error.message });
      throw error;
    }
  }

  private async execute(
    route: MatchedRoute,
    request: IncomingMessage,
    url: URL,
  ): Promise<{ status: number; body?: unknown }> {
    const { clientId } = route;
    const webhookId = route.webhookId ?? 0;
    switch (route.operation) {
      case 'selectWebhooks':
        return { status: 200, body: this.store.list(clientId, url.searchParams).map(toRestWebhook) };
      case 'createWebhook':
        return { status: 201, body: toRestWebhook(this.store.create(clientId, await readForm(request))) };
      case 'updateWebhook':
        return {
          status: 200,
          body: toRestWebhook(this.store.update(clientId, webhookId, await readForm(request))),
        };
      case 'deleteWebhook':
        this.store.delete(clientId, webhookId);
        return { status: 204 };
      case 'activateWebhook':
        return { status: 200, body: toRestWebhook(this.store.activate(clientId, webhookId)) };
      case 'deactivateWebhook':
        return { status: 200, body: toRestWebhook(this.store.deactivate(clientId, webhookId)) };
      case 'verifyWebhook':
        return { status: 200, body: await this.verify(clientId, webhookId, url.searchParams) };
    }
  }

  /** Sends test events to the target with the registered authentication; reports the target's answer. */
  private async verify(clientId: number, webhookId: number, query: URLSearchParams): Promise<unknown[]> {
    const webhook = this.store.find(clientId, webhookId);
    const settings = {
      ...(this.options.verifyUnsupportedTypes && { unsupportedTypes: this.options.verifyUnsupportedTypes }),
      ...(this.options.mailingIds?.[clientId] && { knownMailings: this.options.mailingIds[clientId] }),
    };
    const { report, body } = await verifyWebhook(webhook, query, settings, () => this.eventFactory(clientId));
    this.verifications.push(report);
    return body;
  }

  private async handleAdmin(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (request.method === 'GET' && url.pathname === '/_simulator/state') {
      const webhooks = this.store
        .all()
        .map((webhook) => ({ clientId: webhook.clientId, ...toRestWebhook(webhook) }));
      return this.send(response, 200, {
        webhooks,
        requests: this.requests.length,
        deliveries: this.deliveries,
      });
    }
    if (request.method === 'POST' && url.pathname === '/_simulator/deliver') {
      const body = JSON.parse((await readBody(request)) || '{}') as {
        clientId?: number;
        size?: number;
        types?: CampaignEventType[];
      };
      if (!Number.isInteger(body.clientId))
        return this.send(response, 400, { message: 'clientId is required' });
      const reports = await this.deliverBatch(body.clientId as number, body.size ?? 10, body.types);
      return this.send(response, 200, reports);
    }
    this.send(response, 404, { message: 'Admin routes: GET /_simulator/state, POST /_simulator/deliver' });
  }

  private send(
    response: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (status === 204 || body === undefined) {
      response.writeHead(status, headers).end();
      return;
    }
    const contentType = this.options.responseContentType ?? 'application/json';
    response
      .writeHead(status, { 'content-type': `${contentType};charset=UTF-8`, ...headers })
      .end(JSON.stringify(body));
  }
}

/** Starts a simulator on 127.0.0.1 (port 0 = a free one). Stop it with `close()`. */
export async function startCampaignSimulator(options: CampaignSimulatorOptions): Promise<CampaignSimulator> {
  if (options.users.length === 0) throw new Error('The simulator needs at least one API user');
  const simulator = new CampaignSimulator(createServer({ keepAliveTimeout: 1000 }), options);
  await simulator.listen(options.port ?? 0);
  return simulator;
}

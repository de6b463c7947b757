import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CampaignApiClient,
  type CampaignApiClientOptions,
} from '../../../functions/shared/campaign-api/client.js';
import type { Clock } from '../../../functions/shared/campaign-api/retry.js';
import type { LogLines } from '../../../functions/webhook-reconciler/execute.js';
import {
  type CampaignSimulator,
  type CampaignSimulatorOptions,
  startCampaignSimulator,
} from '../../../local/campaign-simulator/server.js';

export const API_USER = { username: 'deploy-bot', password: 'Campaign-Api-Pa55' };
export const HEADER = 'X-Campaign-Webhook-Key';
export const CLIENT_ID = 100001;

export function startSimulator(options: Partial<CampaignSimulatorOptions> = {}): Promise<CampaignSimulator> {
  return startCampaignSimulator({ users: [API_USER], delivery: { maxAttempts: 1 }, ...options });
}

/** Real time, but retry waits only yield a tick: retries run without slowing the suite. */
export const instantClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: () => new Promise((resolve) => setImmediate(resolve)),
};

export function clientFor(
  simulator: CampaignSimulator,
  overrides: Partial<CampaignApiClientOptions> = {},
): CampaignApiClient {
  return new CampaignApiClient({
    credentials: API_USER,
    baseUrl: simulator.baseUrl,
    clock: instantClock,
    retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 50, maxElapsedMs: 30_000, maxRetryAfterMs: 5_000 },
    requestTimeoutMs: 10_000,
    ...overrides,
  });
}

export interface ReceivedBatch {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly events: unknown[];
}

export interface EventTarget {
  /** The events POST URL (what the stack registers). */
  readonly url: string;
  readonly received: ReceivedBatch[];
  /** Keys the target accepts in the keyAuth header; others get 401. */
  acceptedKeys: string[];
  /** When set, every request is answered with this status whatever the key. */
  forcedStatus: number | undefined;
  close(): Promise<void>;
}

/**
 * A stand-in for the deployed endpoint: checks the keyAuth header like the ingest does (current and
 * previous key accepted) and records every batch.
 */
export async function startTarget(acceptedKeys: string[], path = '/prod/events'): Promise<EventTarget> {
  const received: ReceivedBatch[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let events: unknown[] = [];
      try {
        events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[];
      } catch {
        // recorded as empty
      }
      received.push({ path: request.url ?? '', headers: request.headers, events });
      const key = request.headers[HEADER.toLowerCase()];
      const status =
        target.forcedStatus ?? (typeof key === 'string' && target.acceptedKeys.includes(key) ? 200 : 401);
      const body =
        status === 200
          ? { accepted: events.length }
          : { message: status === 401 ? 'Unauthorized' : 'Internal error' };
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const target: EventTarget = {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    acceptedKeys,
    forcedStatus: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return target;
}

/** A logger that keeps what it was told, for assertions on what an operator would read. */
export function recordingLogger(): LogLines & {
  readonly lines: Array<{ level: string; message: string; details?: Record<string, unknown> }>;
} {
  const lines: Array<{ level: string; message: string; details?: Record<string, unknown> }> = [];
  const log =
    (level: string) =>
    (message: unknown, ...extra: unknown[]) => {
      const details = extra[0] as Record<string, unknown> | undefined;
      lines.push({ level, message: String(message), ...(details ? { details } : {}) });
    };
  return { lines, info: log('info'), warn: log('warn'), error: log('error') };
}

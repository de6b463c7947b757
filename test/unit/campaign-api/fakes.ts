import type { Clock } from '../../../functions/shared/campaign-api/retry.js';

/** A clock whose sleeps return at once and advance its time: retries run without waiting. */
export function fakeClock(random = 0.5): Clock & { readonly sleeps: number[]; time: number } {
  const state = {
    time: 1_000_000,
    sleeps: [] as number[],
    now: () => state.time,
    random: () => random,
    sleep: async (ms: number) => {
      state.sleeps.push(ms);
      state.time += ms;
    },
  };
  return state;
}

export interface RecordedCall {
  readonly url: URL;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

type Reply =
  | Response
  | Error
  | ((call: RecordedCall, signal: AbortSignal | undefined) => Promise<Response> | Response);

/** A fetch that answers from a script, one reply per call, and records the calls. */
export function scriptedFetch(replies: Reply[]): typeof globalThis.fetch & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const call: RecordedCall = {
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    calls.push(call);
    const reply = replies.shift();
    if (reply === undefined) throw new Error(`unexpected call ${call.method} ${call.url}`);
    if (reply instanceof Error) throw reply;
    if (typeof reply === 'function') return reply(call, init?.signal ?? undefined);
    return reply;
  }) as typeof globalThis.fetch & { calls: RecordedCall[] };
  fetchImpl.calls = calls;
  return fetchImpl;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain', ...headers } });
}

/** A fetch failure the way undici reports one: TypeError('fetch failed') with a coded cause. */
export function networkError(code: string): Error {
  const cause = Object.assign(new Error(`connect ${code} 127.0.0.1:443`), { code });
  return new TypeError('fetch failed', { cause });
}

export function webhook(
  id: number | string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    type: 'sent',
    status: 'activated',
    format: 'json',
    targetUrl: 'https://abc.execute-api.eu-central-1.amazonaws.com/prod/events',
    authentication: { type: 'keyAuth', key: 'X-Campaign-Webhook-Key' },
    ...overrides,
  };
}

import { describe, expect, it } from 'vitest';
import {
  CampaignApiClient,
  type CampaignApiClientOptions,
} from '../../../functions/shared/campaign-api/client.js';
import { CampaignApiError } from '../../../functions/shared/campaign-api/errors.js';
import type { WebhookSettings } from '../../../functions/shared/campaign-api/types.js';
import { fakeClock, json, networkError, scriptedFetch, text, webhook } from './fakes.js';

const credentials = { username: 'api-user', password: 'S3cret-Pa55word' };
const settings: WebhookSettings = {
  type: 'bounce',
  targetUrl: 'https://abc.execute-api.eu-central-1.amazonaws.com/prod/events',
  authentication: { type: 'keyAuth', key: 'X-Campaign-Webhook-Key', passphrase: 'endpoint-key-value-123' },
};

function client(fetchImpl: typeof globalThis.fetch, options: Partial<CampaignApiClientOptions> = {}) {
  const clock = fakeClock(0.5);
  const instance = new CampaignApiClient({
    credentials,
    baseUrl: 'https://campaign.test/rest/',
    fetch: fetchImpl,
    clock,
    retry: {
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      maxElapsedMs: 60_000,
      maxRetryAfterMs: 10_000,
    },
    ...options,
  });
  return { instance, clock };
}

async function failure(promise: Promise<unknown>): Promise<CampaignApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CampaignApiError) return error;
    throw error;
  }
  throw new Error('expected a CampaignApiError');
}

describe('CampaignApiClient requests', () => {
  it('creates with Basic auth and exactly the contract form fields', async () => {
    const fetchImpl = scriptedFetch([json(201, webhook(42, { type: 'bounce', status: 'created' }))]);
    const created = await client(fetchImpl).instance.createWebhook(100001, settings);

    expect(created).toMatchObject({ id: 42, type: 'bounce', status: 'created' });
    const [call] = fetchImpl.calls;
    expect(call?.method).toBe('POST');
    expect(call?.url.toString()).toBe('https://campaign.test/rest/100001/webhooks');
    expect(call?.headers.authorization).toBe(
      `Basic ${Buffer.from('api-user:S3cret-Pa55word').toString('base64')}`,
    );
    expect(call?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(call?.body);
    expect([...form.keys()].sort()).toEqual(['authentication', 'format', 'targetUrl', 'type']);
    expect(form.get('type')).toBe('bounce');
    expect(form.get('format')).toBe('json');
    expect(form.get('targetUrl')).toBe(settings.targetUrl);
    expect(JSON.parse(form.get('authentication') ?? '')).toEqual({
      type: 'keyAuth',
      key: 'X-Campaign-Webhook-Key',
      passphrase: 'endpoint-key-value-123',
    });
  });

  it('uses the contract paths and methods for every operation', async () => {
    const fetchImpl = scriptedFetch([
      json(200, webhook(7)),
      json(200, webhook(7, { status: 'activated' })),
      json(200, webhook(7, { status: 'deactivated' })),
      new Response(null, { status: 204 }),
      json(200, [
        { id: 7, httpStatusCode: 200, responseBody: 'ok', numberOfEvents: 3, targetUrl: 'https://t' },
      ]),
    ]);
    const { instance } = client(fetchImpl);
    await instance.updateWebhook(5, 7, settings);
    await instance.activateWebhook(5, 7);
    await instance.deactivateWebhook(5, 7);
    await instance.deleteWebhook(5, 7);
    const results = await instance.verifyWebhook(5, 7, { mailingId: 900001, numberOfEvents: 3 });

    expect(fetchImpl.calls.map((call) => `${call.method} ${call.url.pathname}${call.url.search}`)).toEqual([
      'PUT /rest/5/webhooks/7',
      'POST /rest/5/webhooks/7/activate',
      'POST /rest/5/webhooks/7/deactivate',
      'DELETE /rest/5/webhooks/7',
      'GET /rest/5/webhooks/7/verify?mailingId=900001&numberOfEvents=3',
    ]);
    expect(results).toEqual([
      { id: 7, httpStatusCode: 200, responseBody: 'ok', numberOfEvents: 3, targetUrl: 'https://t' },
    ]);
  });

  it('pages through the list with offset and limit until a short page', async () => {
    const fetchImpl = scriptedFetch([
      json(200, [webhook(1), webhook(2)]),
      json(200, [webhook(3), webhook(4)]),
      json(200, [webhook(5)]),
    ]);
    const all = await client(fetchImpl, { pageSize: 2 }).instance.listWebhooks(9);

    expect(all.map((item) => item.id)).toEqual([1, 2, 3, 4, 5]);
    expect(fetchImpl.calls.map((call) => call.url.search)).toEqual([
      '?sort=ID&direction=ASC&offset=0&limit=2',
      '?sort=ID&direction=ASC&offset=2&limit=2',
      '?sort=ID&direction=ASC&offset=4&limit=2',
    ]);
  });

  it('accepts the vnd.optivo JSON media type and numeric-string ids, and drops echoed secrets', async () => {
    const fetchImpl = scriptedFetch([
      new Response(
        JSON.stringify([
          webhook('17', { authentication: { type: 'keyAuth', key: 'X-Key', passphrase: 'leaked-value' } }),
        ]),
        {
          status: 200,
          headers: { 'content-type': 'application/vnd.optivo.broadmail.v1+json;charset=UTF-8' },
        },
      ),
    ]);
    const [listed] = await client(fetchImpl).instance.listWebhooks(1);
    expect(listed?.id).toBe(17);
    expect(listed?.authentication).toEqual({ type: 'keyAuth', key: 'X-Key' });
    expect(JSON.stringify(listed)).not.toContain('leaked-value');
  });

  it('rejects a success answer that is not JSON, naming the operation', async () => {
    const error = await failure(
      client(scriptedFetch([text(200, '<html>login</html>')])).instance.listWebhooks(3),
    );
    expect(error.kind).toBe('invalid-response');
    expect(error.message).toMatch(/selectWebhooks \(client 3\).*content type "text\/plain"/);
  });

  it('rejects a webhook without the fields reconcile relies on', async () => {
    const error = await failure(
      client(scriptedFetch([json(200, [{ id: 1, type: 'sent' }])])).instance.listWebhooks(3),
    );
    expect(error.kind).toBe('invalid-response');
    expect(error.message).toMatch(/status/);
  });

  it('validates its own inputs before calling Campaign', async () => {
    const fetchImpl = scriptedFetch([]);
    const { instance } = client(fetchImpl);
    await expect(instance.verifyWebhook(1, 2, { mailingId: 3, numberOfEvents: 101 })).rejects.toThrow(
      /1 to 100/,
    );
    await expect(instance.verifyWebhook(1, 2, { mailingId: 0 })).rejects.toThrow(/mailingId/);
    expect(() => new CampaignApiClient({ credentials: { username: 'a:b', password: 'x' } })).toThrow(/":"/);
    expect(() => new CampaignApiClient({ credentials, pageSize: 10_000 })).toThrow(/pageSize/);
    expect(fetchImpl.calls).toHaveLength(0);
  });
});

describe('CampaignApiClient errors', () => {
  it("names the operation, the webhook, the status and Campaign's message", async () => {
    const fetchImpl = scriptedFetch([
      json(400, { message: 'The webhook is already in status "activated".' }),
    ]);
    const error = await failure(client(fetchImpl).instance.activateWebhook(100001, 55));

    expect(error.status).toBe(400);
    expect(error.operation).toBe('activateWebhook');
    expect(error.message).toBe(
      'Campaign API activateWebhook (client 100001, webhook 55) failed with HTTP 400: The webhook is already in status "activated".',
    );
    expect(fetchImpl.calls).toHaveLength(1);
  });

  it('never carries the API password or the webhook passphrase, even when Campaign echoes them', async () => {
    const echo = `invalid request: type=bounce&authentication={"type":"keyAuth","passphrase":"${settings.authentication.type === 'keyAuth' ? settings.authentication.passphrase : ''}"} user api-user:S3cret-Pa55word`;
    const error = await failure(client(scriptedFetch([text(400, echo)])).instance.createWebhook(1, settings));

    expect(error.message).not.toContain('endpoint-key-value-123');
    expect(error.message).not.toContain('S3cret-Pa55word');
    expect(error.message).toContain('***');
    expect(JSON.stringify(error)).not.toContain('S3cret-Pa55word');
  });
});

describe('CampaignApiClient retries', () => {
  it('retries a 429 after the Retry-After it was given', async () => {
    const fetchImpl = scriptedFetch([
      json(429, { message: 'slow down' }, { 'retry-after': '3' }),
      json(200, []),
    ]);
    const { instance, clock } = client(fetchImpl);
    await expect(instance.listWebhooks(1)).resolves.toEqual([]);
    expect(clock.sleeps).toEqual([3000]);
  });

  it('retries 5xx and network errors with exponential backoff and jitter', async () => {
    const fetchImpl = scriptedFetch([
      json(502, {}),
      networkError('ECONNRESET'),
      json(500, {}),
      json(200, webhook(3)),
    ]);
    const { instance, clock } = client(fetchImpl);
    await expect(instance.updateWebhook(1, 3, settings)).resolves.toMatchObject({ id: 3 });
    // random() = 0.5: half of the 100, 200, 400 ms windows.
    expect(clock.sleeps).toEqual([50, 100, 200]);
  });

  it('gives up after the attempt bound with a clear error', async () => {
    const fetchImpl = scriptedFetch([
      json(503, {}),
      json(503, {}),
      json(503, {}),
      json(503, { message: 'maintenance' }),
    ]);
    const error = await failure(client(fetchImpl).instance.createWebhook(100001, settings));

    expect(fetchImpl.calls).toHaveLength(4);
    expect(error.message).toBe(
      'Campaign API createWebhook (client 100001) failed with HTTP 503: maintenance after 4 attempts (gave up after 4 attempts)',
    );
  });

  it('gives up when the time budget is spent, however many attempts are left', async () => {
    const replies = Array.from({ length: 50 }, () => json(503, {}));
    const fetchImpl = scriptedFetch(replies);
    const clock = fakeClock(0.999);
    const { instance } = client(fetchImpl, {
      clock,
      retry: { maxAttempts: 50, baseDelayMs: 1000, maxDelayMs: 1000, maxElapsedMs: 3000 },
    });
    const error = await failure(instance.listWebhooks(1));
    expect(error.message).toMatch(/retry budget of 3s exhausted/);
    expect(fetchImpl.calls.length).toBe(4);
    expect(clock.sleeps).toEqual([999, 999, 999]);
  });

  it('does not retry other 4xx answers', async () => {
    const fetchImpl = scriptedFetch([json(404, { message: 'not found' })]);
    const error = await failure(client(fetchImpl).instance.deleteWebhook(1, 2));
    expect(error.status).toBe(404);
    expect(fetchImpl.calls).toHaveLength(1);
  });

  it('does not repeat a create after a failure Campaign may have acted on, and says so', async () => {
    const fetchImpl = scriptedFetch([json(500, { message: 'internal' })]);
    const error = await failure(client(fetchImpl).instance.createWebhook(1, settings));
    expect(fetchImpl.calls).toHaveLength(1);
    expect(error.outcomeUnknown).toBe(true);
    expect(error.message).toMatch(/may have been carried out/);
  });

  it('repeats a create after failures that prove it was not processed (429, 503, connection refused)', async () => {
    const fetchImpl = scriptedFetch([
      json(429, {}),
      json(503, {}),
      networkError('ECONNREFUSED'),
      json(201, webhook(9, { status: 'created' })),
    ]);
    await expect(client(fetchImpl).instance.createWebhook(1, settings)).resolves.toMatchObject({ id: 9 });
    expect(fetchImpl.calls).toHaveLength(4);
  });

  it('times out a request that does not answer, and retries it when idempotent', async () => {
    const hang = (_call: unknown, signal: AbortSignal | undefined) =>
      new Promise<Response>((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    const fetchImpl = scriptedFetch([hang, json(200, [])]);
    const { instance } = client(fetchImpl, { requestTimeoutMs: 20 });
    await expect(instance.listWebhooks(1)).resolves.toEqual([]);
    expect(fetchImpl.calls).toHaveLength(2);

    const createFetch = scriptedFetch([hang]);
    const error = await failure(
      client(createFetch, { requestTimeoutMs: 20 }).instance.createWebhook(1, settings),
    );
    expect(error.kind).toBe('timeout');
    expect(error.outcomeUnknown).toBe(true);
  });

  it("stops at once when the caller's deadline signal fires", async () => {
    const controller = new AbortController();
    controller.abort();
    const fetchImpl = scriptedFetch([]);
    const error = await failure(client(fetchImpl, { signal: controller.signal }).instance.listWebhooks(1));
    expect(error.kind).toBe('aborted');
    expect(fetchImpl.calls).toHaveLength(0);
  });

  it('keeps at most maxConcurrency requests in flight across calls', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return new Response(null, { status: 204 });
    };
    const fetchImpl = scriptedFetch(Array.from({ length: 20 }, () => slow));
    const { instance } = client(fetchImpl, { maxConcurrency: 3 });
    await Promise.all(Array.from({ length: 20 }, (_, index) => instance.deleteWebhook(1, index + 1)));
    expect(fetchImpl.calls).toHaveLength(20);
    expect(peak).toBe(3);
  });
});

import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignSimulator } from '../../../local/campaign-simulator/server.js';
import { closeServer, LOOPBACK_HOST, listen } from '../../../local/free-port.js';
import { API_USER, CLIENT_ID, type EventTarget, HEADER, startSimulator, startTarget } from './support.js';

/** The simulator against the contract's rules, over plain HTTP (no project client in between). */

const auth = `Basic ${Buffer.from(`${API_USER.username}:${API_USER.password}`).toString('base64')}`;
const KEY = 'endpoint-key-1';

let simulator: CampaignSimulator;
let target: EventTarget;

beforeAll(async () => {
  target = await startTarget([KEY]);
});
afterAll(async () => {
  await target.close();
});
afterEach(async () => {
  await simulator?.close();
});

async function api(
  method: string,
  path: string,
  form?: Record<string, string>,
  headers: Record<string, string> = { authorization: auth },
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${simulator.baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

function webhookForm(type = 'sent', targetUrl = target.url): Record<string, string> {
  return {
    type,
    format: 'json',
    targetUrl,
    authentication: JSON.stringify({ type: 'keyAuth', key: HEADER, passphrase: KEY }),
  };
}

async function createActive(type = 'sent'): Promise<number> {
  const created = await api('POST', `/${CLIENT_ID}/webhooks`, webhookForm(type));
  const id = (created.body as { id: number }).id;
  await api('POST', `/${CLIENT_ID}/webhooks/${id}/activate`);
  return id;
}

describe('Campaign simulator: management API rules', () => {
  it('requires Basic auth, and a user may be limited to clients', async () => {
    simulator = await startSimulator({
      users: [API_USER, { username: 'other', password: 'other-pass', clientIds: [5] }],
    });
    expect((await api('GET', `/${CLIENT_ID}/webhooks`, undefined, {})).status).toBe(401);
    const wrong = `Basic ${Buffer.from(`${API_USER.username}:nope`).toString('base64')}`;
    expect((await api('GET', `/${CLIENT_ID}/webhooks`, undefined, { authorization: wrong })).status).toBe(
      401,
    );
    const other = `Basic ${Buffer.from('other:other-pass').toString('base64')}`;
    expect((await api('GET', `/${CLIENT_ID}/webhooks`, undefined, { authorization: other })).status).toBe(
      403,
    );
    expect((await api('GET', '/5/webhooks', undefined, { authorization: other })).status).toBe(200);
  });

  it('creates from a form body (201, status created) and refuses JSON bodies and bad fields', async () => {
    simulator = await startSimulator();
    const created = await api('POST', `/${CLIENT_ID}/webhooks`, webhookForm('archive'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: 'archived',
      status: 'created',
      format: 'json',
      targetUrl: target.url,
    });

    const asJson = await fetch(`${simulator.baseUrl}/${CLIENT_ID}/webhooks`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(webhookForm()),
    });
    expect(asJson.status).toBe(415);
    expect((await api('POST', `/${CLIENT_ID}/webhooks`, { ...webhookForm(), type: 'teleport' })).status).toBe(
      400,
    );
    expect((await api('POST', `/${CLIENT_ID}/webhooks`, { ...webhookForm(), format: 'xml' })).status).toBe(
      400,
    );
    expect(
      (await api('POST', `/${CLIENT_ID}/webhooks`, { ...webhookForm(), targetUrl: 'not a url' })).status,
    ).toBe(400);
    expect(
      (
        await api('POST', `/${CLIENT_ID}/webhooks`, {
          ...webhookForm(),
          authentication: '{"type":"keyAuth"}',
        })
      ).status,
    ).toBe(400);
  });

  it('enforces HTTPS on 443 for targets when asked to, like production', async () => {
    simulator = await startSimulator({ requireHttpsTargets: true });
    expect((await api('POST', `/${CLIENT_ID}/webhooks`, webhookForm())).status).toBe(400);
    expect(
      (await api('POST', `/${CLIENT_ID}/webhooks`, webhookForm('sent', 'https://example.com/events'))).status,
    ).toBe(201);
  });

  it('never lists a passphrase', async () => {
    simulator = await startSimulator();
    await createActive();
    const listed = await api('GET', `/${CLIENT_ID}/webhooks`);
    expect(JSON.stringify(listed.body)).not.toContain(KEY);
    expect((listed.body as Array<{ authentication: unknown }>)[0]?.authentication).toEqual({
      type: 'keyAuth',
      key: HEADER,
      passphrase: '********',
    });
  });

  it('applies the status rules: activate twice, deactivate inactive, delete while activated are 400', async () => {
    simulator = await startSimulator();
    const id = await createActive();
    expect((await api('POST', `/${CLIENT_ID}/webhooks/${id}/activate`)).status).toBe(400);
    expect((await api('DELETE', `/${CLIENT_ID}/webhooks/${id}`)).status).toBe(400);
    expect((await api('POST', `/${CLIENT_ID}/webhooks/${id}/deactivate`)).status).toBe(200);
    expect((await api('POST', `/${CLIENT_ID}/webhooks/${id}/deactivate`)).status).toBe(400);
    expect((await api('DELETE', `/${CLIENT_ID}/webhooks/${id}`)).status).toBe(204);
    expect((await api('DELETE', `/${CLIENT_ID}/webhooks/${id}`)).status).toBe(404);
  });

  it("answers 404 for an unknown webhook and 409 for another client's", async () => {
    simulator = await startSimulator();
    const id = await createActive();
    expect((await api('PUT', `/${CLIENT_ID}/webhooks/999999`, webhookForm())).status).toBe(404);
    expect((await api('POST', `/777/webhooks/${id}/deactivate`)).status).toBe(409);
    expect((await api('PUT', `/777/webhooks/${id}`, webhookForm())).status).toBe(409);
  });

  it('keeps the status on PUT and replaces the settings', async () => {
    simulator = await startSimulator();
    const id = await createActive();
    const updated = await api(
      'PUT',
      `/${CLIENT_ID}/webhooks/${id}`,
      webhookForm('sent', `${target.url}?v=2`),
    );
    expect(updated.body).toMatchObject({ status: 'activated', targetUrl: `${target.url}?v=2` });
  });

  it('lists with sort, direction, offset and limit, and refuses limit >= 10000', async () => {
    simulator = await startSimulator();
    const ids = [await createActive('sent'), await createActive('bounce'), await createActive('click')];
    const page = await api('GET', `/${CLIENT_ID}/webhooks?sort=ID&direction=ASC&offset=1&limit=1`);
    expect((page.body as Array<{ id: number }>).map((w) => w.id)).toEqual([ids[1]]);
    const byType = await api('GET', `/${CLIENT_ID}/webhooks?sort=TYPE&direction=ASC`);
    expect((byType.body as Array<{ type: string }>).map((w) => w.type)).toEqual(['bounce', 'click', 'sent']);
    const newestFirst = await api('GET', `/${CLIENT_ID}/webhooks`);
    expect((newestFirst.body as Array<{ id: number }>).map((w) => w.id)).toEqual([...ids].reverse());
    expect((await api('GET', `/${CLIENT_ID}/webhooks?limit=10000`)).status).toBe(400);
    expect((await api('GET', `/${CLIENT_ID}/webhooks?sort=COLOUR`)).status).toBe(400);
    expect((await api('GET', '/55/webhooks')).body).toEqual([]);
  });

  it('answers in the vendor media type when configured', async () => {
    simulator = await startSimulator({ responseContentType: 'application/vnd.optivo.broadmail.v1+json' });
    const listed = await api('GET', `/${CLIENT_ID}/webhooks`);
    expect(listed.headers.get('content-type')).toMatch(/^application\/vnd\.optivo\.broadmail\.v1\+json/);
  });
});

describe('Campaign simulator: verify and delivery', () => {
  it('verify needs a mailing id, posts test events with the registered header and reports the target status', async () => {
    simulator = await startSimulator({ mailingIds: { [CLIENT_ID]: [900001] } });
    const id = await createActive('click');
    expect((await api('GET', `/${CLIENT_ID}/webhooks/${id}/verify`)).status).toBe(400);
    expect((await api('GET', `/${CLIENT_ID}/webhooks/${id}/verify?mailingId=123`)).status).toBe(400);
    expect(
      (await api('GET', `/${CLIENT_ID}/webhooks/${id}/verify?mailingId=900001&numberOfEvents=101`)).status,
    ).toBe(400);

    const before = target.received.length;
    const verified = await api(
      'GET',
      `/${CLIENT_ID}/webhooks/${id}/verify?mailingId=900001&numberOfEvents=3`,
    );
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual([
      { id, httpStatusCode: 200, responseBody: '{"accepted":3}', numberOfEvents: 3, targetUrl: target.url },
    ]);
    const batch = target.received[before];
    expect(batch?.headers[HEADER.toLowerCase()]).toBe(KEY);
    expect(batch?.events).toHaveLength(3);
    expect(batch?.events[0]).toMatchObject({ type: 'click', clientId: CLIENT_ID, mailingId: 900001 });
  });

  it('verify reports a target that refuses the key', async () => {
    simulator = await startSimulator();
    const created = await api('POST', `/${CLIENT_ID}/webhooks`, {
      ...webhookForm(),
      authentication: JSON.stringify({ type: 'keyAuth', key: HEADER, passphrase: 'wrong-key' }),
    });
    const id = (created.body as { id: number }).id;
    const verified = await api('GET', `/${CLIENT_ID}/webhooks/${id}/verify?mailingId=1`);
    expect(verified.body).toMatchObject([
      { httpStatusCode: 401, responseBody: '{"message":"Unauthorized"}' },
    ]);
  });

  it('delivers batches only to activated webhooks of the type, with the registered header', async () => {
    simulator = await startSimulator();
    const active = await createActive('bounce');
    await api('POST', `/${CLIENT_ID}/webhooks`, webhookForm('bounce'));
    const reports = await simulator.deliverBatch(CLIENT_ID, 6, ['bounce']);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ webhookId: active, eventCount: 6, delivered: true });
    expect(target.received.at(-1)?.headers[HEADER.toLowerCase()]).toBe(KEY);
    expect(target.received.at(-1)?.events).toHaveLength(6);
  });

  it('retries a refused batch up to its configured attempts', async () => {
    simulator = await startSimulator({ delivery: { maxAttempts: 3 } });
    await createActive('open');
    target.forcedStatus = 500;
    try {
      const [report] = await simulator.deliverBatch(CLIENT_ID, 2, ['open']);
      expect(report?.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 500]);
      expect(report?.delivered).toBe(false);
    } finally {
      target.forcedStatus = undefined;
    }
  });
});

describe('Campaign simulator: faults', () => {
  it('fails the next requests with 429 and Retry-After, for the chosen operations only', async () => {
    simulator = await startSimulator();
    simulator.faults.failNext(2, { status: 429, retryAfterSeconds: 7, operations: ['createWebhook'] });
    expect((await api('GET', `/${CLIENT_ID}/webhooks`)).status).toBe(200);
    const throttled = await api('POST', `/${CLIENT_ID}/webhooks`, webhookForm());
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect((await api('POST', `/${CLIENT_ID}/webhooks`, webhookForm())).status).toBe(429);
    expect((await api('POST', `/${CLIENT_ID}/webhooks`, webhookForm())).status).toBe(201);
    expect(simulator.store.all(CLIENT_ID)).toHaveLength(1);
  });

  it('can fail after carrying the request out (a lost response)', async () => {
    simulator = await startSimulator();
    simulator.faults.failNext(1, { status: 500, afterProcessing: true });
    expect((await api('POST', `/${CLIENT_ID}/webhooks`, webhookForm())).status).toBe(500);
    expect(simulator.store.all(CLIENT_ID)).toHaveLength(1);
  });

  it('goes down (refused, reset, 503) and comes back on the same URL', async () => {
    simulator = await startSimulator();
    await simulator.goDown('refuse');
    await expect(api('GET', `/${CLIENT_ID}/webhooks`)).rejects.toThrow(/fetch failed/);
    await simulator.comeBack();
    expect((await api('GET', `/${CLIENT_ID}/webhooks`)).status).toBe(200);
    await simulator.goDown('reset');
    await expect(api('GET', `/${CLIENT_ID}/webhooks`)).rejects.toThrow(/fetch failed/);
    await simulator.goDown('503');
    expect((await api('GET', `/${CLIENT_ID}/webhooks`)).status).toBe(503);
    await simulator.comeBack();
    expect((await api('GET', `/${CLIENT_ID}/webhooks`)).status).toBe(200);
  });

  it('comes back after a refusal outage even when another process held its port for a moment', async () => {
    simulator = await startSimulator();
    const port = Number(new URL(simulator.baseUrl).port);
    await simulator.goDown('refuse');
    const squatter = createServer();
    await listen(squatter, port, LOOPBACK_HOST);
    const back = simulator.comeBack();
    // comeBack keeps trying while the port is held; once it is released the simulator takes it again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await closeServer(squatter);
    await back;
    expect((await api('GET', `/${CLIENT_ID}/webhooks`)).status).toBe(200);
  });

  it('records every management request and which ones were writes', async () => {
    simulator = await startSimulator();
    await createActive();
    await api('GET', `/${CLIENT_ID}/webhooks`);
    expect(simulator.requests.map((request) => `${request.operation} ${request.status}`)).toEqual([
      'createWebhook 201',
      'activateWebhook 200',
      'selectWebhooks 200',
    ]);
    expect(simulator.writeRequests()).toHaveLength(2);
  });
});

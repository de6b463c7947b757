import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CampaignApiError } from '../../../functions/shared/campaign-api/errors.js';
import {
  CAMPAIGN_EVENT_TYPES,
  type CampaignEventType,
} from '../../../functions/shared/campaign-event-types.js';
import { executePlan, ReconcileError } from '../../../functions/webhook-reconciler/execute.js';
import { planRemoval } from '../../../functions/webhook-reconciler/plan.js';
import {
  pushEndpointKey,
  type ReconcileRequest,
  reconcileWebhooks,
  removeWebhooks,
  settingsFactory,
} from '../../../functions/webhook-reconciler/reconcile.js';
import { VerificationError } from '../../../functions/webhook-reconciler/verify.js';
import type { CampaignSimulator } from '../../../local/campaign-simulator/server.js';
import { CLIENT_ID, clientFor, type EventTarget, HEADER, startSimulator, startTarget } from './support.js';

/** The reconcile use cases against the simulator over real HTTP, with a target that checks the key. */

const KEY_1 = 'endpoint-key-one-1111';
const KEY_2 = 'endpoint-key-two-2222';

let simulator: CampaignSimulator;
let target: EventTarget;
let otherTarget: EventTarget;

beforeAll(async () => {
  target = await startTarget([KEY_1]);
  otherTarget = await startTarget([KEY_1], '/v2/events');
});
afterAll(async () => {
  await Promise.all([target.close(), otherTarget.close()]);
});
afterEach(async () => {
  target.acceptedKeys = [KEY_1];
  target.forcedStatus = undefined;
  await simulator?.close();
});

function request(overrides: Partial<ReconcileRequest> = {}): ReconcileRequest {
  return {
    clientId: CLIENT_ID,
    eventTypes: [...CAMPAIGN_EVENT_TYPES],
    targetUrl: target.url,
    authHeaderName: HEADER,
    endpointKey: KEY_1,
    ...overrides,
  };
}

/** Live webhooks of the client per type, straight from the simulator's state. */
function liveByType(): Map<string, Array<{ id: number; status: string; targetUrl: string }>> {
  const result = new Map<string, Array<{ id: number; status: string; targetUrl: string }>>();
  for (const webhook of simulator.store.all(CLIENT_ID)) {
    if (webhook.status === 'deleted') continue;
    result.set(webhook.type, [...(result.get(webhook.type) ?? []), webhook]);
  }
  return result;
}

function operations(): string[] {
  return simulator.writeRequests().map((r) => `${r.operation}${r.webhookId ? ` ${r.webhookId}` : ''}`);
}

describe('reconcile: create and re-deploy', () => {
  it('creates and activates one webhook per configured type, and Campaign can deliver to each', async () => {
    simulator = await startSimulator();
    const result = await reconcileWebhooks(clientFor(simulator), request());

    const live = liveByType();
    expect([...live.keys()].sort()).toEqual([...CAMPAIGN_EVENT_TYPES].sort());
    for (const type of CAMPAIGN_EVENT_TYPES) {
      expect(live.get(type)).toHaveLength(1);
      expect(live.get(type)?.[0]?.status).toBe('activated');
      expect(result.webhookIds.get(type)).toBe(live.get(type)?.[0]?.id);
    }
    expect([...result.webhookIds.keys()]).toEqual([...CAMPAIGN_EVENT_TYPES]);
    expect(result.verification.summary).toBe('skipped: no verifyMailingId configured');

    const reports = await simulator.deliverBatch(CLIENT_ID, 24);
    expect(reports).toHaveLength(CAMPAIGN_EVENT_TYPES.length);
    expect(reports.every((report) => report.delivered)).toBe(true);
  });

  it('makes no Campaign write at all when run again with nothing changed', async () => {
    simulator = await startSimulator();
    const client = clientFor(simulator);
    const first = await reconcileWebhooks(client, request());
    simulator.clearRecords();

    const second = await reconcileWebhooks(client, request({ verifyMailingId: 900001 }));
    expect(simulator.writeRequests()).toEqual([]);
    expect(simulator.requests.map((r) => r.operation)).toEqual([
      'selectWebhooks',
      ...CAMPAIGN_EVENT_TYPES.map(() => 'verifyWebhook'),
    ]);
    expect(second.webhookIds).toEqual(first.webhookIds);
    expect(second.done).toEqual([]);
  });

  it('pages through a long list without missing our webhooks', async () => {
    simulator = await startSimulator();
    for (let i = 0; i < 25; i++)
      simulator.store.seed(CLIENT_ID, { type: 'sent', targetUrl: `https://crm.example.com/${i}` });
    const client = clientFor(simulator, { pageSize: 10 });
    await reconcileWebhooks(client, request({ eventTypes: ['open'] }));
    simulator.clearRecords();
    await reconcileWebhooks(client, request({ eventTypes: ['open'] }));
    expect(simulator.writeRequests()).toEqual([]);
    expect(simulator.requests.filter((r) => r.operation === 'selectWebhooks')).toHaveLength(3);
  });

  it('adopts what a half-finished deploy left: no duplicates, nothing created twice', async () => {
    simulator = await startSimulator();
    const auth = { type: 'keyAuth' as const, key: HEADER, passphrase: KEY_1 };
    const sentActive = simulator.store.seed(CLIENT_ID, {
      type: 'sent',
      targetUrl: target.url,
      status: 'activated',
      authentication: auth,
    });
    const bounceCreated = simulator.store.seed(CLIENT_ID, {
      type: 'bounce',
      targetUrl: `${target.url}/`,
      authentication: auth,
    });
    const openDuplicateA = simulator.store.seed(CLIENT_ID, {
      type: 'open',
      targetUrl: target.url,
      status: 'activated',
      authentication: auth,
    });
    const openDuplicateB = simulator.store.seed(CLIENT_ID, {
      type: 'open',
      targetUrl: target.url,
      authentication: auth,
    });
    const foreign = simulator.store.seed(CLIENT_ID, {
      type: 'click',
      targetUrl: 'https://crm.example.com/hook',
      status: 'activated',
    });

    const types: CampaignEventType[] = ['sent', 'bounce', 'open', 'click'];
    const result = await reconcileWebhooks(clientFor(simulator), request({ eventTypes: types }));

    expect(result.webhookIds.get('sent')).toBe(sentActive.id);
    expect(result.webhookIds.get('bounce')).toBe(bounceCreated.id);
    expect(result.webhookIds.get('open')).toBe(openDuplicateA.id);
    const ours = simulator.store.all(CLIENT_ID).filter((webhook) => webhook.id !== foreign.id);
    expect(ours.map((webhook) => [webhook.type, webhook.status]).sort()).toEqual(
      [
        ['bounce', 'activated'],
        ['click', 'activated'],
        ['open', 'activated'],
        ['sent', 'activated'],
      ].sort(),
    );
    expect(simulator.store.all(CLIENT_ID).some((webhook) => webhook.id === openDuplicateB.id)).toBe(false);
    expect(simulator.store.all(CLIENT_ID).find((webhook) => webhook.id === foreign.id)?.status).toBe(
      'activated',
    );
    expect(simulator.writeRequests().filter((r) => r.operation === 'createWebhook')).toHaveLength(1);
  });
});

describe('reconcile: updates', () => {
  it('moves the webhooks to a new URL in place: same ids, deliveries reach the new endpoint', async () => {
    simulator = await startSimulator();
    const client = clientFor(simulator);
    const before = await reconcileWebhooks(client, request({ eventTypes: ['sent', 'click'] }));
    simulator.clearRecords();

    const after = await reconcileWebhooks(
      client,
      request({
        eventTypes: ['sent', 'click'],
        targetUrl: otherTarget.url,
        previousTargetUrls: [target.url],
      }),
    );
    expect(after.webhookIds).toEqual(before.webhookIds);
    expect(simulator.writeRequests().map((r) => r.operation)).toEqual(['updateWebhook', 'updateWebhook']);

    const receivedBefore = otherTarget.received.length;
    const reports = await simulator.deliverBatch(CLIENT_ID, 4);
    expect(reports.every((report) => report.targetUrl === otherTarget.url && report.delivered)).toBe(true);
    expect(otherTarget.received.length).toBe(receivedBefore + 2);
  });

  it('creates added types and deactivates then deletes removed ones, keeping the rest', async () => {
    simulator = await startSimulator();
    const client = clientFor(simulator);
    const before = await reconcileWebhooks(client, request({ eventTypes: ['sent', 'bounce', 'open'] }));
    simulator.clearRecords();

    const after = await reconcileWebhooks(
      client,
      request({
        eventTypes: ['sent', 'open', 'unsubscribe'],
        previousEventTypes: ['sent', 'bounce', 'open'],
      }),
    );
    const bounceId = before.webhookIds.get('bounce');
    const unsubscribeId = after.webhookIds.get('unsubscribe');
    expect(operations().sort()).toEqual(
      [
        'createWebhook',
        `activateWebhook ${unsubscribeId}`,
        `deactivateWebhook ${bounceId}`,
        `deleteWebhook ${bounceId}`,
      ].sort(),
    );
    expect(operations().indexOf(`deactivateWebhook ${bounceId}`)).toBeLessThan(
      operations().indexOf(`deleteWebhook ${bounceId}`),
    );
    expect(after.webhookIds.get('sent')).toBe(before.webhookIds.get('sent'));
    expect(after.webhookIds.get('open')).toBe(before.webhookIds.get('open'));
    expect([...liveByType().keys()].sort()).toEqual(['open', 'sent', 'unsubscribe']);
  });

  it('rotates the key: PUT in place, and the next delivery carries the new key', async () => {
    simulator = await startSimulator();
    const client = clientFor(simulator);
    const types: CampaignEventType[] = ['sent', 'bounce'];
    const before = await reconcileWebhooks(client, request({ eventTypes: types }));

    // The target now accepts only the new key: without a push, Campaign still sends the old one.
    target.acceptedKeys = [KEY_2];
    simulator.clearRecords();
    await reconcileWebhooks(client, request({ eventTypes: types, endpointKey: KEY_2 }));
    expect(simulator.writeRequests()).toEqual([]);
    expect((await simulator.deliverBatch(CLIENT_ID, 2)).every((report) => report.delivered)).toBe(false);

    const rotated = await reconcileWebhooks(
      client,
      request({
        eventTypes: types,
        endpointKey: KEY_2,
        pushAuthenticationReason: 'endpoint key rotation 0 -> 1',
      }),
    );
    expect(rotated.webhookIds).toEqual(before.webhookIds);
    expect(simulator.writeRequests().map((r) => r.operation)).toEqual(['updateWebhook', 'updateWebhook']);
    const reports = await simulator.deliverBatch(CLIENT_ID, 4);
    expect(reports).toHaveLength(2);
    expect(reports.every((report) => report.delivered)).toBe(true);
    expect(target.received.at(-1)?.headers[HEADER.toLowerCase()]).toBe(KEY_2);
  });

  it('pushes a rotated key to every webhook at the URL (the rotate-key step)', async () => {
    simulator = await startSimulator();
    const client = clientFor(simulator);
    await reconcileWebhooks(client, request({ eventTypes: ['sent', 'click', 'open'] }));
    const result = await pushEndpointKey(
      client,
      {
        clientId: CLIENT_ID,
        eventTypes: [],
        targetUrl: target.url,
        authHeaderName: HEADER,
        endpointKey: KEY_2,
      },
      'key rotation',
    );
    expect(result.plan.actions).toHaveLength(3);
    for (const webhook of simulator.store.all(CLIENT_ID)) {
      expect(webhook.authentication).toEqual({ type: 'keyAuth', key: HEADER, passphrase: KEY_2 });
      expect(webhook.status).toBe('activated');
    }
  });
});

describe('reconcile: verification', () => {
  it('passes when every target answers 200', async () => {
    simulator = await startSimulator();
    const result = await reconcileWebhooks(
      clientFor(simulator),
      request({ eventTypes: ['sent', 'open'], verifyMailingId: 900001 }),
    );
    expect(result.verification).toMatchObject({
      status: 'verified',
      summary: 'verified 2 webhooks with mailing 900001',
    });
  });

  it.each([
    [401, /HTTP 401: \{"message":"Unauthorized"\}/],
    [500, /HTTP 500: \{"message":"Internal error"\}/],
  ])('fails the deploy with a clear message when the target answers %i', async (status, detail) => {
    simulator = await startSimulator();
    target.forcedStatus = status;
    const error = await reconcileWebhooks(
      clientFor(simulator),
      request({ eventTypes: ['sent', 'bounce'], verifyMailingId: 900001 }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VerificationError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^Webhook verification for Campaign client 100001 with mailing 900001 failed for 2 of 2 webhooks/,
    );
    expect(message).toMatch(
      /- sent \(webhook \d+\): the target http:\/\/127\.0\.0\.1:\d+\/prod\/events answered/,
    );
    expect(message).toMatch(detail);
    expect(message).toMatch(/check the endpoint key/);
  });

  it('reports types Campaign cannot verify, and fails when it can verify none (wrong mailing id)', async () => {
    simulator = await startSimulator({ verifyUnsupportedTypes: ['blocklist'] });
    const result = await reconcileWebhooks(
      clientFor(simulator),
      request({ eventTypes: ['sent', 'blocklist'], verifyMailingId: 900001 }),
    );
    expect(result.verification.summary).toBe(
      'verified 1 webhooks with mailing 900001 (not supported for: blocklist)',
    );

    await simulator.close();
    simulator = await startSimulator({ mailingIds: { [CLIENT_ID]: [1] } });
    await expect(
      reconcileWebhooks(clientFor(simulator), request({ eventTypes: ['sent'], verifyMailingId: 900001 })),
    ).rejects.toThrow(/could not verify any webhook.*Check that mailing 900001 exists in client 100001/);
  });
});

describe('reconcile: removal', () => {
  it('deactivates then deletes every webhook it owns, leaving others alone', async () => {
    simulator = await startSimulator();
    const client = clientFor(simulator);
    const created = await reconcileWebhooks(client, request({ eventTypes: ['sent', 'open'] }));
    const foreign = simulator.store.seed(CLIENT_ID, {
      type: 'sent',
      targetUrl: 'https://crm.example.com/hook',
      status: 'activated',
    });
    simulator.clearRecords();

    await removeWebhooks(client, {
      clientId: CLIENT_ID,
      targetUrls: [target.url],
      eventTypes: ['sent', 'open'],
    });
    const sentId = created.webhookIds.get('sent');
    expect(operations().filter((op) => op.endsWith(` ${sentId}`))).toEqual([
      `deactivateWebhook ${sentId}`,
      `deleteWebhook ${sentId}`,
    ]);
    expect(simulator.store.all(CLIENT_ID).map((webhook) => webhook.id)).toEqual([foreign.id]);
  });

  it('counts a webhook already gone (404) as removed', async () => {
    simulator = await startSimulator();
    const client = clientFor(simulator);
    await reconcileWebhooks(client, request({ eventTypes: ['sent', 'open'] }));
    const stalePlan = planRemoval(
      { clientId: CLIENT_ID, targetUrls: [target.url] },
      await client.listWebhooks(CLIENT_ID),
    );
    const [first] = simulator.store.all(CLIENT_ID);
    simulator.store.deactivate(CLIENT_ID, first?.id ?? 0);
    simulator.store.delete(CLIENT_ID, first?.id ?? 0);

    const result = await executePlan(client, stalePlan, settingsFactory(request()));
    expect(result.failures).toEqual([]);
    expect(simulator.store.all(CLIENT_ID)).toEqual([]);
  });

  it('ignores webhooks Campaign lists as deleted', async () => {
    simulator = await startSimulator({ keepDeletedWebhooks: true });
    const client = clientFor(simulator);
    await reconcileWebhooks(client, request({ eventTypes: ['sent'] }));
    await removeWebhooks(client, { clientId: CLIENT_ID, targetUrls: [target.url] });
    expect(simulator.store.all(CLIENT_ID).map((webhook) => webhook.status)).toEqual(['deleted']);

    await reconcileWebhooks(client, request({ eventTypes: ['sent'] }));
    expect(simulator.store.all(CLIENT_ID).map((webhook) => webhook.status)).toEqual(['deleted', 'activated']);
  });
});

describe('reconcile: throttling and outages', () => {
  it('gets through injected 429s (Retry-After) and 503s', async () => {
    simulator = await startSimulator();
    simulator.faults.failNext(2, { status: 503, operations: ['selectWebhooks'] });
    simulator.faults.failNext(3, { status: 429, retryAfterSeconds: 1, operations: ['createWebhook'] });
    simulator.faults.failNext(3, { status: 503, operations: ['activateWebhook'] });
    const result = await reconcileWebhooks(
      clientFor(simulator),
      request({ eventTypes: ['sent', 'bounce', 'open'] }),
    );
    expect(simulator.faults.injectedCount).toBe(8);
    expect(simulator.faults.pendingCount).toBe(0);
    expect(result.webhookIds.size).toBe(3);
    const live = liveByType();
    expect(
      [...live.values()].every((webhooks) => webhooks.length === 1 && webhooks[0]?.status === 'activated'),
    ).toBe(true);
  });

  it('gives up after the retry bound with an error naming the operation and status', async () => {
    simulator = await startSimulator();
    simulator.faults.failNext(100, { status: 503, operations: ['createWebhook'] });
    const error = await reconcileWebhooks(clientFor(simulator), request({ eventTypes: ['sent'] })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ReconcileError);
    expect((error as Error).message).toContain(
      'create and activate the sent webhook: Campaign API createWebhook (client 100001) failed with HTTP 503: Injected failure (HTTP 503) after 5 attempts (gave up after 5 attempts)',
    );
    expect(simulator.writeRequests().filter((r) => r.operation === 'createWebhook')).toHaveLength(5);
  });

  it('gives up on an update too, and names the webhook', async () => {
    simulator = await startSimulator();
    const client = clientFor(simulator);
    const created = await reconcileWebhooks(client, request({ eventTypes: ['sent'] }));
    simulator.faults.failNext(100, { status: 429, operations: ['updateWebhook'] });
    await expect(
      reconcileWebhooks(client, request({ eventTypes: ['sent'], pushAuthenticationReason: 'test' })),
    ).rejects.toThrow(
      `updateWebhook (client 100001, webhook ${created.webhookIds.get('sent')}) failed with HTTP 429`,
    );
  });

  it('does not leave a duplicate when a create succeeded but its answer was lost', async () => {
    simulator = await startSimulator();
    simulator.faults.failNext(1, { status: 500, afterProcessing: true, operations: ['createWebhook'] });
    const result = await reconcileWebhooks(clientFor(simulator), request({ eventTypes: ['click'] }));
    expect(simulator.store.all(CLIENT_ID)).toHaveLength(1);
    expect(simulator.store.all(CLIENT_ID)[0]).toMatchObject({
      id: result.webhookIds.get('click'),
      status: 'activated',
    });
  });

  it('fails with a network error when Campaign is down', async () => {
    simulator = await startSimulator();
    await simulator.goDown('refuse');
    const error = await reconcileWebhooks(clientFor(simulator), request()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CampaignApiError);
    expect((error as CampaignApiError).message).toMatch(
      /^Campaign API selectWebhooks \(client 100001\) failed with a network error: ECONNREFUSED.*after 5 attempts/,
    );
  });
});

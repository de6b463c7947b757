import { describe, expect, it } from 'vitest';
import type { RestWebhook } from '../../../functions/shared/campaign-api/types.js';
import { normalizeTargetUrl } from '../../../functions/webhook-reconciler/ownership.js';
import {
  type DesiredWebhooks,
  planKeyPush,
  planReconcile,
  planRemoval,
  writeCount,
} from '../../../functions/webhook-reconciler/plan.js';

const URL_A = 'https://a1b2c3.execute-api.eu-central-1.amazonaws.com/prod/events';
const URL_B = 'https://z9y8x7.execute-api.eu-central-1.amazonaws.com/prod/events';
const HEADER = 'X-Campaign-Webhook-Key';

const desired: DesiredWebhooks = {
  clientId: 100001,
  eventTypes: ['sent', 'bounce', 'archive'],
  targetUrl: URL_A,
  authHeaderName: HEADER,
};

let nextId = 1;
function listed(overrides: Partial<RestWebhook> & Pick<RestWebhook, 'type'>): RestWebhook {
  return {
    id: nextId++,
    status: 'activated',
    format: 'json',
    targetUrl: URL_A,
    authentication: { type: 'keyAuth', key: HEADER },
    ...overrides,
  };
}

/** What Campaign lists once `desired` is fully registered (`archive` listed as `archived`). */
function registered(): RestWebhook[] {
  return [listed({ type: 'sent' }), listed({ type: 'bounce' }), listed({ type: 'archived' })];
}

describe('planReconcile', () => {
  it('creates every type when Campaign has nothing', () => {
    const plan = planReconcile(desired, []);
    expect(plan.actions).toEqual([
      { kind: 'create', type: 'sent' },
      { kind: 'create', type: 'bounce' },
      { kind: 'create', type: 'archive' },
    ]);
    expect(writeCount(plan)).toBe(6);
  });

  it('plans nothing when Campaign already matches (archived counts as archive)', () => {
    const current = registered();
    const plan = planReconcile(desired, current);
    expect(plan.actions).toEqual([]);
    expect(writeCount(plan)).toBe(0);
    expect([...plan.kept]).toEqual([
      ['sent', current[0]?.id],
      ['bounce', current[1]?.id],
      ['archive', current[2]?.id],
    ]);
  });

  it('treats a trailing slash or upper-case host as the same URL', () => {
    const current = registered().map((webhook) => ({
      ...webhook,
      targetUrl: `${URL_A.replace('a1b2c3', 'A1B2C3')}/`,
    }));
    expect(normalizeTargetUrl(current[0]?.targetUrl ?? '')).toBe(normalizeTargetUrl(URL_A));
    expect(planReconcile(desired, current).actions).toEqual([]);
  });

  it('adopts what a half-finished deploy left: activates, creates the missing, retires duplicates', () => {
    const sentCreated = listed({ type: 'sent', status: 'created' });
    const bounceActive = listed({ type: 'bounce', status: 'activated' });
    const bounceDuplicate = listed({ type: 'bounce', status: 'created' });
    const plan = planReconcile(desired, [bounceDuplicate, sentCreated, bounceActive]);

    expect(plan.actions).toEqual([
      { kind: 'activate', type: 'sent', webhookId: sentCreated.id },
      {
        kind: 'retire',
        type: 'bounce',
        webhookId: bounceDuplicate.id,
        deactivate: false,
        reason: `duplicate of webhook ${bounceActive.id} for type bounce`,
      },
      { kind: 'create', type: 'archive' },
    ]);
    expect(plan.kept.get('bounce')).toBe(bounceActive.id);
  });

  it('keeps the oldest of equally good duplicates and deactivates the others before deleting', () => {
    const first = listed({ type: 'sent' });
    const second = listed({ type: 'sent' });
    const plan = planReconcile({ ...desired, eventTypes: ['sent'] }, [second, first]);
    expect(plan.kept.get('sent')).toBe(first.id);
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: 'retire', webhookId: second.id, deactivate: true }),
    ]);
  });

  it('moves webhooks from the previous URL in place instead of recreating them', () => {
    const current = registered();
    const plan = planReconcile({ ...desired, targetUrl: URL_B }, current, { previousTargetUrls: [URL_A] });
    expect(plan.actions).toEqual(
      current.map((webhook) => ({
        kind: 'update',
        type: webhook.type === 'archived' ? 'archive' : webhook.type,
        webhookId: webhook.id,
        changes: ['targetUrl'],
      })),
    );
  });

  it('does not touch webhooks of other URLs, unknown types or deleted ones', () => {
    const foreign = listed({ type: 'sent', targetUrl: 'https://crm.example.com/hook' });
    const node = listed({ type: 'webhooknode' });
    const deleted = listed({ type: 'bounce', status: 'deleted' });
    const plan = planReconcile(desired, [
      foreign,
      node,
      deleted,
      ...registered().filter((w) => w.type !== 'bounce'),
    ]);
    expect(plan.actions).toEqual([{ kind: 'create', type: 'bounce' }]);
  });

  it('retires the types no longer configured (deactivate then delete) and creates added ones', () => {
    const current = registered();
    const plan = planReconcile({ ...desired, eventTypes: ['sent', 'archive', 'click'] }, current, {
      previousEventTypes: ['sent', 'bounce', 'archive'],
    });
    expect(plan.actions).toEqual([
      { kind: 'create', type: 'click' },
      {
        kind: 'retire',
        type: 'bounce',
        webhookId: current[1]?.id,
        deactivate: true,
        reason: 'event type bounce is no longer configured',
      },
    ]);
  });

  it('updates settings Campaign reports differently: header name, auth type, format', () => {
    const [sent, bounce, archived] = registered();
    const current = [
      { ...(sent as RestWebhook), authentication: { type: 'keyAuth', key: 'X-Old-Header' } },
      { ...(bounce as RestWebhook), authentication: { type: 'none' } },
      { ...(archived as RestWebhook), format: 'xml' },
    ];
    expect(
      planReconcile(desired, current).actions.map((action) => 'changes' in action && action.changes),
    ).toEqual([['authentication'], ['authentication'], ['format']]);
  });

  it('does not guess when Campaign lists no authentication', () => {
    const current = registered().map(({ authentication: _auth, ...rest }) => rest);
    expect(planReconcile(desired, current).actions).toEqual([]);
  });

  it('pushes the key to every kept webhook when told the key changed', () => {
    const current = registered();
    const plan = planReconcile(desired, current, {
      pushAuthenticationReason: 'endpoint key rotation 0 -> 1',
    });
    expect(plan.actions).toHaveLength(3);
    for (const action of plan.actions) {
      expect(action).toMatchObject({
        kind: 'update',
        changes: ['authentication (endpoint key rotation 0 -> 1)'],
      });
    }
  });

  it('re-activates a deactivated or suspended webhook rather than creating another', () => {
    const [sent, bounce, archived] = registered();
    const current = [
      { ...(sent as RestWebhook), status: 'deactivated' },
      { ...(bounce as RestWebhook), status: 'suspended' },
      archived as RestWebhook,
    ];
    expect(planReconcile(desired, current).actions).toEqual([
      { kind: 'activate', type: 'sent', webhookId: sent?.id },
      { kind: 'activate', type: 'bounce', webhookId: bounce?.id },
    ]);
  });
});

describe('planRemoval', () => {
  it('retires every webhook of ours, deactivating only the activated ones', () => {
    const [sent, bounce] = registered();
    const created = listed({ type: 'archived', status: 'created' });
    const foreign = listed({ type: 'sent', targetUrl: URL_B });
    const plan = planRemoval(
      { clientId: 1, targetUrls: [URL_A], eventTypes: ['sent', 'bounce', 'archive'] },
      [sent as RestWebhook, bounce as RestWebhook, created, foreign],
    );
    expect(
      plan.actions.map((action) => action.kind === 'retire' && [action.webhookId, action.deactivate]),
    ).toEqual([
      [sent?.id, true],
      [bounce?.id, true],
      [created.id, false],
    ]);
  });

  it('limits itself to the given types', () => {
    const plan = planRemoval({ clientId: 1, targetUrls: [URL_A], eventTypes: ['sent'] }, registered());
    expect(plan.actions).toHaveLength(1);
  });
});

describe('planKeyPush', () => {
  it('updates every live webhook at the URL, whatever its type', () => {
    const current = [
      ...registered(),
      listed({ type: 'click', status: 'created' }),
      listed({ type: 'open', targetUrl: URL_B }),
    ];
    const plan = planKeyPush({ ...desired, eventTypes: [] }, current, 'key rotation');
    expect(plan.actions.map((action) => action.type)).toEqual(['sent', 'bounce', 'archive', 'click']);
    expect(plan.actions.every((action) => action.kind === 'update')).toBe(true);
  });
});

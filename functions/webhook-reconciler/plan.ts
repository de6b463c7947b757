import type { RestWebhook } from '../shared/campaign-api/types.js';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { eventTypeOf, normalizeTargetUrl, ownedWebhooks, sameTargetUrl } from './ownership.js';

/**
 * Reconcile as a pure function: desired state + the webhooks Campaign lists -> a plan of operations.
 * Nothing here talks to Campaign; execute.ts carries a plan out.
 */

/** What one deployment wants registered for one Campaign client. */
export interface DesiredWebhooks {
  readonly clientId: number;
  readonly eventTypes: readonly CampaignEventType[];
  /** The deployed endpoint URL. */
  readonly targetUrl: string;
  /** Header carrying the endpoint key (the keyAuth `key`). */
  readonly authHeaderName: string;
}

export interface PlanContext {
  /** Where this resource pointed before (an update's old target URL): webhooks there are moved, not recreated. */
  readonly previousTargetUrls?: readonly string[];
  /** Types configured before: their webhooks are still ours, and retired when no longer desired. */
  readonly previousEventTypes?: readonly CampaignEventType[];
  /**
   * Why the authentication must be sent to every kept webhook although nothing visible differs (Campaign
   * does not list the passphrase, so a new key cannot be detected): e.g. "endpoint key rotation 1 -> 2".
   */
  readonly pushAuthenticationReason?: string;
}

export type WebhookAction =
  /** Create, then activate. */
  | { readonly kind: 'create'; readonly type: CampaignEventType }
  /** PUT the desired settings in place. */
  | {
      readonly kind: 'update';
      readonly type: CampaignEventType;
      readonly webhookId: number;
      readonly changes: readonly string[];
    }
  | { readonly kind: 'activate'; readonly type: CampaignEventType; readonly webhookId: number }
  /** Deactivate (when activated), then delete. */
  | {
      readonly kind: 'retire';
      readonly type: CampaignEventType;
      readonly webhookId: number;
      readonly deactivate: boolean;
      readonly reason: string;
    };

export interface ReconcilePlan {
  readonly clientId: number;
  readonly targetUrl: string;
  /** Per desired type, the existing webhook that is kept (adopted), if any. */
  readonly kept: ReadonlyMap<CampaignEventType, number>;
  /** In execution order per type: create/update/activate first, retirements last. */
  readonly actions: readonly WebhookAction[];
}

/** The plan that makes Campaign match `desired`. No action at all when it already does. */
export function planReconcile(
  desired: DesiredWebhooks,
  current: readonly RestWebhook[],
  context: PlanContext = {},
): ReconcilePlan {
  const ownedTypes = unique([...desired.eventTypes, ...(context.previousEventTypes ?? [])]);
  const ours = ownedWebhooks(current, [desired.targetUrl, ...(context.previousTargetUrls ?? [])], ownedTypes);
  const kept = new Map<CampaignEventType, number>();
  const actions: WebhookAction[] = [];

  for (const type of unique(desired.eventTypes)) {
    const [keep, ...duplicates] = rankForKeeping(
      ours.filter((webhook) => eventTypeOf(webhook) === type),
      desired.targetUrl,
    );
    if (keep === undefined) {
      actions.push({ kind: 'create', type });
    } else {
      kept.set(type, keep.id);
      const changes = settingChanges(keep, desired);
      if (context.pushAuthenticationReason && !changes.includes('authentication')) {
        changes.push(`authentication (${context.pushAuthenticationReason})`);
      }
      if (changes.length > 0) actions.push({ kind: 'update', type, webhookId: keep.id, changes });
      if (keep.status !== 'activated') actions.push({ kind: 'activate', type, webhookId: keep.id });
    }
    for (const duplicate of duplicates) {
      actions.push(retire(duplicate, type, `duplicate of webhook ${keep?.id} for type ${type}`));
    }
  }

  const desiredTypes = new Set(desired.eventTypes);
  for (const webhook of ours) {
    const type = eventTypeOf(webhook);
    if (type !== undefined && !desiredTypes.has(type)) {
      actions.push(retire(webhook, type, `event type ${type} is no longer configured`));
    }
  }
  return { clientId: desired.clientId, targetUrl: desired.targetUrl, kept, actions };
}

export interface RemovalScope {
  readonly clientId: number;
  readonly targetUrls: readonly string[];
  /** Only these types; every known type when omitted. */
  readonly eventTypes?: readonly CampaignEventType[];
}

/** Retire (deactivate, then delete) every webhook in scope. */
export function planRemoval(scope: RemovalScope, current: readonly RestWebhook[]): ReconcilePlan {
  const actions = ownedWebhooks(current, scope.targetUrls, scope.eventTypes).map((webhook) =>
    retire(webhook, eventTypeOf(webhook) as CampaignEventType, 'removal of the deployment'),
  );
  return { clientId: scope.clientId, targetUrl: scope.targetUrls[0] ?? '', kept: new Map(), actions };
}

/**
 * PUT the current authentication to every live webhook at the target URL (any event type): a key
 * rotation must reach every webhook that sends to the endpoint, or it fails once the old key is retired.
 */
export function planKeyPush(
  desired: DesiredWebhooks,
  current: readonly RestWebhook[],
  reason: string,
): ReconcilePlan {
  const actions: WebhookAction[] = ownedWebhooks(current, [desired.targetUrl]).map((webhook) => ({
    kind: 'update',
    type: eventTypeOf(webhook) as CampaignEventType,
    webhookId: webhook.id,
    changes: [`authentication (${reason})`],
  }));
  return { clientId: desired.clientId, targetUrl: desired.targetUrl, kept: new Map(), actions };
}

/** Campaign writes the plan will make. */
export function writeCount(plan: ReconcilePlan): number {
  return plan.actions.reduce((sum, action) => {
    if (action.kind === 'create') return sum + 2;
    if (action.kind === 'retire') return sum + (action.deactivate ? 2 : 1);
    return sum + 1;
  }, 0);
}

/** One line per action, for logs and the CLI. */
export function describeAction(action: WebhookAction): string {
  switch (action.kind) {
    case 'create':
      return `create and activate the ${action.type} webhook`;
    case 'update':
      return `update webhook ${action.webhookId} (${action.type}): ${action.changes.join(', ')}`;
    case 'activate':
      return `activate webhook ${action.webhookId} (${action.type})`;
    case 'retire':
      return `${action.deactivate ? 'deactivate and delete' : 'delete'} webhook ${action.webhookId} (${action.type}): ${action.reason}`;
  }
}

/** What differs between a listed webhook and the desired settings, from what Campaign lists. */
export function settingChanges(webhook: RestWebhook, desired: DesiredWebhooks): string[] {
  const changes: string[] = [];
  if (!sameTargetUrl(webhook.targetUrl, desired.targetUrl)) changes.push('targetUrl');
  if (webhook.format !== undefined && webhook.format.toLowerCase() !== 'json') changes.push('format');
  const auth = webhook.authentication;
  // No authentication listed means "not reported", not "none": nothing to compare then.
  if (auth !== undefined) {
    const headerDiffers =
      auth.key !== undefined && auth.key.toLowerCase() !== desired.authHeaderName.toLowerCase();
    if (auth.type !== 'keyAuth' || headerDiffers) changes.push('authentication');
  }
  return changes;
}

/**
 * Best first: activated (no gap in delivery), already at the desired URL, not suspended, oldest.
 * The first is kept; the rest are duplicates.
 */
function rankForKeeping(candidates: readonly RestWebhook[], targetUrl: string): RestWebhook[] {
  const desiredUrl = normalizeTargetUrl(targetUrl);
  const score = (webhook: RestWebhook): number[] => [
    webhook.status === 'activated' ? 0 : 1,
    normalizeTargetUrl(webhook.targetUrl) === desiredUrl ? 0 : 1,
    webhook.status === 'suspended' ? 1 : 0,
    webhook.id,
  ];
  return [...candidates].sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    for (let i = 0; i < sa.length; i++) {
      const diff = (sa[i] as number) - (sb[i] as number);
      if (diff !== 0) return diff;
    }
    return 0;
  });
}

function retire(webhook: RestWebhook, type: CampaignEventType, reason: string): WebhookAction {
  return { kind: 'retire', type, webhookId: webhook.id, deactivate: webhook.status === 'activated', reason };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

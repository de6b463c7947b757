import type { CampaignApiClient } from '../shared/campaign-api/client.js';
import type { WebhookSettings } from '../shared/campaign-api/types.js';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { executePlan, type LogLines, ReconcileError, silentLogger } from './execute.js';
import {
  type DesiredWebhooks,
  describeAction,
  type PlanContext,
  planKeyPush,
  planReconcile,
  planRemoval,
  type ReconcilePlan,
  type RemovalScope,
} from './plan.js';
import { type VerificationSummary, verifyWebhooks } from './verify.js';

/** The use cases: list -> plan -> execute (-> verify), through one client. */

export interface ReconcileRequest extends DesiredWebhooks, PlanContext {
  /** The endpoint key Campaign must send (the secret's `current`). */
  readonly endpointKey: string;
  /** Verify webhooks against this mailing after reconciling; skipped when undefined. */
  readonly verifyMailingId?: number;
  /**
   * Which webhooks to verify: all, or only those this run created or changed (each verify sends test events
   * through the production endpoint, so an unchanged webhook is not verified again). @default 'all'
   */
  readonly verify?: 'all' | 'created-or-changed';
}

export interface ReconcileResult {
  readonly plan: ReconcilePlan;
  readonly webhookIds: ReadonlyMap<CampaignEventType, number>;
  readonly done: readonly string[];
  readonly verification: VerificationSummary;
}

/** Makes Campaign match the request: adopt, create, update, activate, retire; then verify. */
export async function reconcileWebhooks(
  client: CampaignApiClient,
  request: ReconcileRequest,
  logger: LogLines = silentLogger,
): Promise<ReconcileResult> {
  const current = await client.listWebhooks(request.clientId);
  const plan = planReconcile(request, current, request);
  logPlan(logger, plan);
  const execution = await executePlan(client, plan, settingsFactory(request), logger);
  if (execution.failures.length > 0)
    throw new ReconcileError(request.clientId, execution.failures, execution.done);
  const webhookIds = new Map<CampaignEventType, number>();
  for (const type of request.eventTypes) {
    const id = execution.webhookIds.get(type);
    if (id !== undefined) webhookIds.set(type, id);
  }
  const toVerify =
    request.verify === 'created-or-changed' ? pick(webhookIds, createdOrChangedTypes(plan)) : webhookIds;
  const verification = await verifyWebhooks(client, request.clientId, toVerify, request.verifyMailingId, {
    unchanged: webhookIds.size - toVerify.size,
  });
  logger.info('Campaign webhooks reconciled', {
    clientId: request.clientId,
    webhookIds: formatWebhookIds(webhookIds),
    verification: verification.summary,
  });
  return { plan, webhookIds, done: execution.done, verification };
}

/** The types whose webhook the plan creates, updates or activates. */
export function createdOrChangedTypes(plan: ReconcilePlan): Set<CampaignEventType> {
  return new Set(plan.actions.filter((action) => action.kind !== 'retire').map((action) => action.type));
}

function pick<K, V>(map: ReadonlyMap<K, V>, keys: ReadonlySet<K>): Map<K, V> {
  return new Map([...map].filter(([key]) => keys.has(key)));
}

export interface RemovalResult {
  readonly plan: ReconcilePlan;
  readonly done: readonly string[];
}

/** Deactivates then deletes every webhook in scope; 404s count as removed. Throws a ReconcileError naming what is left. */
export async function removeWebhooks(
  client: CampaignApiClient,
  scope: RemovalScope,
  logger: LogLines = silentLogger,
): Promise<RemovalResult> {
  const plan = planRemoval(scope, await client.listWebhooks(scope.clientId));
  logPlan(logger, plan);
  const execution = await executePlan(
    client,
    plan,
    () => {
      throw new Error('a removal never writes webhook settings');
    },
    logger,
  );
  if (execution.failures.length > 0)
    throw new ReconcileError(scope.clientId, execution.failures, execution.done);
  return { plan, done: execution.done };
}

/** PUTs the current endpoint key to every live webhook at the target URL (step 2 of a key rotation). */
export async function pushEndpointKey(
  client: CampaignApiClient,
  request: DesiredWebhooks & { readonly endpointKey: string },
  reason: string,
  logger: LogLines = silentLogger,
): Promise<RemovalResult> {
  const plan = planKeyPush(request, await client.listWebhooks(request.clientId), reason);
  logPlan(logger, plan);
  const execution = await executePlan(client, plan, settingsFactory(request), logger);
  if (execution.failures.length > 0)
    throw new ReconcileError(request.clientId, execution.failures, execution.done);
  return { plan, done: execution.done };
}

/** The full WebhookRequestData for a type: the same URL, keyAuth header and key for every type. */
export function settingsFactory(
  request: DesiredWebhooks & { readonly endpointKey: string },
): (type: CampaignEventType) => WebhookSettings {
  return (type) => ({
    type,
    targetUrl: request.targetUrl,
    authentication: { type: 'keyAuth', key: request.authHeaderName, passphrase: request.endpointKey },
  });
}

/** "sent=123,bounce=124" in the configured type order. */
export function formatWebhookIds(ids: ReadonlyMap<CampaignEventType, number>): string {
  return [...ids].map(([type, id]) => `${type}=${id}`).join(',');
}

function logPlan(logger: LogLines, plan: ReconcilePlan): void {
  logger.info('Campaign webhook plan', {
    clientId: plan.clientId,
    adopted: Object.fromEntries(plan.kept),
    actions: plan.actions.map(describeAction),
  });
}

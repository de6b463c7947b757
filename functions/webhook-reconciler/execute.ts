import type { Logger } from '@aws-lambda-powertools/logger';
import type { CampaignApiClient } from '../shared/campaign-api/client.js';
import { isBadRequest, isCampaignApiError, isNotFound } from '../shared/campaign-api/errors.js';
import type { RestWebhook, WebhookSettings } from '../shared/campaign-api/types.js';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { summarizeFailures } from './failure-reason.js';
import { eventTypeOf, sameTargetUrl } from './ownership.js';
import { describeAction, type ReconcilePlan, type WebhookAction } from './plan.js';

/**
 * The part of the Powertools Logger the reconcile writes to: the function's Logger, or the webhooks CLI's
 * console lines (scripts/webhooks.ts), which take the same calls.
 */
export type LogLines = Pick<Logger, 'info' | 'warn' | 'error'>;

export const silentLogger: LogLines = { info() {}, warn() {}, error() {} };

export interface ActionFailure {
  readonly action: WebhookAction;
  readonly message: string;
}

export interface ExecutionResult {
  /** Per desired type, the webhook that now serves it (kept or created). */
  readonly webhookIds: ReadonlyMap<CampaignEventType, number>;
  /** Actions carried out, described. */
  readonly done: readonly string[];
  readonly failures: readonly ActionFailure[];
}

/**
 * The plan failed in part; the rest of the plan was still carried out. `failures` holds every failure; the
 * message shows the first few (each was logged as it happened), so it stays readable in CloudFormation.
 */
export class ReconcileError extends Error {
  override readonly name = 'ReconcileError';
  constructor(
    readonly clientId: number,
    readonly failures: readonly ActionFailure[],
    readonly done: readonly string[],
  ) {
    super(
      [
        `Campaign webhook changes for client ${clientId} failed (${failures.length} of ${failures.length + done.length} actions):`,
        ...summarizeFailures(failureLines(failures), `each logged as "${ACTION_FAILED}"`),
      ].join('\n'),
    );
  }
}

/** One line per failed action: what it was and why it failed. */
export function failureLines(failures: readonly ActionFailure[]): string[] {
  return failures.map((failure) => `  - ${describeAction(failure.action)}: ${failure.message}`);
}

const ACTION_FAILED = 'Campaign webhook action failed';

/** How many times a create whose outcome is unknown (a 500 or timeout) is checked and tried again. */
const CREATE_RECOVERIES = 2;

/**
 * Carries a plan out: the actions of one event type in order, different types concurrently (the client's
 * concurrency cap bounds the parallel requests). A failed action does not stop the others; the result
 * lists what failed.
 */
export async function executePlan(
  client: CampaignApiClient,
  plan: ReconcilePlan,
  settingsFor: (type: CampaignEventType) => WebhookSettings,
  logger: LogLines = silentLogger,
): Promise<ExecutionResult> {
  const webhookIds = new Map(plan.kept);
  const done: string[] = [];
  const failures: ActionFailure[] = [];
  const byType = new Map<CampaignEventType, WebhookAction[]>();
  for (const action of plan.actions) {
    byType.set(action.type, [...(byType.get(action.type) ?? []), action]);
  }
  const runner = new ActionRunner(client, plan.clientId, settingsFor);

  await Promise.all(
    [...byType.values()].map(async (actions) => {
      for (const action of actions) {
        try {
          const id = await runner.run(action);
          if (id !== undefined) webhookIds.set(action.type, id);
          const line =
            action.kind === 'create' ? `${describeAction(action)}: webhook ${id}` : describeAction(action);
          done.push(line);
          logger.info('Campaign webhook action done', { clientId: plan.clientId, action: line });
        } catch (error) {
          const message = errorMessage(error);
          failures.push({ action, message });
          logger.error(ACTION_FAILED, {
            clientId: plan.clientId,
            action: describeAction(action),
            error: message,
          });
          // Later actions of this type depend on this one (a duplicate is only retired once its replacement works).
          if (action.kind !== 'retire') break;
        }
      }
    }),
  );
  return { webhookIds, done, failures };
}

class ActionRunner {
  constructor(
    private readonly client: CampaignApiClient,
    private readonly clientId: number,
    private readonly settingsFor: (type: CampaignEventType) => WebhookSettings,
  ) {}

  /** Runs one action; returns the webhook id that now serves the type (create, update). */
  async run(action: WebhookAction): Promise<number | undefined> {
    switch (action.kind) {
      case 'create': {
        const created = await this.createOnce(action.type);
        await this.activate(created.id);
        return created.id;
      }
      case 'update':
        try {
          await this.client.updateWebhook(this.clientId, action.webhookId, this.settingsFor(action.type));
          return action.webhookId;
        } catch (error) {
          if (!isNotFound(error)) throw error;
          // Deleted behind our back since the list: register the type again.
          const created = await this.createOnce(action.type);
          await this.activate(created.id);
          return created.id;
        }
      case 'activate':
        await this.activate(action.webhookId);
        return action.webhookId;
      case 'retire':
        await this.retire(action.webhookId, action.deactivate);
        return undefined;
    }
  }

  /**
   * Creates one webhook without leaving a duplicate behind: when a create fails in a way Campaign may
   * still have acted on, the list is checked for a webhook that appeared before trying again.
   */
  private async createOnce(type: CampaignEventType): Promise<RestWebhook> {
    const settings = this.settingsFor(type);
    for (let recovery = 0; ; recovery++) {
      try {
        return await this.client.createWebhook(this.clientId, settings);
      } catch (error) {
        if (!(isCampaignApiError(error) && error.outcomeUnknown) || recovery >= CREATE_RECOVERIES)
          throw error;
        // The plan only creates a type that had no webhook of ours, so any match now is this create's.
        const appeared = await this.matching(type, settings);
        if (appeared[0]) return appeared[0];
      }
    }
  }

  private async matching(type: CampaignEventType, settings: WebhookSettings): Promise<RestWebhook[]> {
    const all = await this.client.listWebhooks(this.clientId);
    return all.filter(
      (webhook) =>
        webhook.status !== 'deleted' &&
        eventTypeOf(webhook) === type &&
        sameTargetUrl(webhook.targetUrl, settings.targetUrl),
    );
  }

  /** Activates; a 400 is accepted when the webhook turns out to be activated already (e.g. a retried call). */
  private async activate(webhookId: number): Promise<void> {
    try {
      await this.client.activateWebhook(this.clientId, webhookId);
    } catch (error) {
      if (!isBadRequest(error)) throw error;
      const listed = (await this.client.listWebhooks(this.clientId)).find(
        (webhook) => webhook.id === webhookId,
      );
      if (listed?.status !== 'activated') throw error;
    }
  }

  /** Deactivate (if needed) then delete; a webhook already gone (404) counts as retired. */
  private async retire(webhookId: number, deactivateFirst: boolean): Promise<void> {
    if (deactivateFirst && !(await this.deactivate(webhookId))) return;
    try {
      await this.client.deleteWebhook(this.clientId, webhookId);
    } catch (error) {
      if (isNotFound(error)) return;
      // 400: still activated (it changed since the list). Deactivate, then delete once more.
      if (!isBadRequest(error)) throw error;
      if (!(await this.deactivate(webhookId))) return;
      try {
        await this.client.deleteWebhook(this.clientId, webhookId);
      } catch (retryError) {
        if (!isNotFound(retryError)) throw retryError;
      }
    }
  }

  /** False when the webhook is gone. A 400 (not activated) is fine: the goal is "not activated". */
  private async deactivate(webhookId: number): Promise<boolean> {
    try {
      await this.client.deactivateWebhook(this.clientId, webhookId);
    } catch (error) {
      if (isNotFound(error)) return false;
      if (!isBadRequest(error)) throw error;
    }
    return true;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

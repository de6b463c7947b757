import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { CampaignApiClient } from '../shared/campaign-api/client.js';
import {
  parseResourceProperties,
  WEBHOOK_ATTRIBUTES,
  type WebhookResourceProperties,
} from '../shared/contracts/webhook-resource.js';
import { errorMessage, failureLines, type LogLines, ReconcileError } from './execute.js';
import { failureForCloudFormation, REQUEST_FAILED } from './failure-reason.js';
import type { PlanContext } from './plan.js';
import {
  formatWebhookIds,
  type ReconcileRequest,
  type ReconcileResult,
  reconcileWebhooks,
  removeWebhooks,
} from './reconcile.js';
import { VerificationError, verificationFailureLines } from './verify.js';

/**
 * The custom resource's lifecycle: a CloudFormation event -> the reconcile use case -> the Provider
 * framework's response. One resource owns the webhooks of one Campaign client.
 */

export interface LifecycleDependencies {
  /** A client for `props.apiBaseUrl` with the credentials from `props.credentialsSecretName`. */
  campaignClient(props: WebhookResourceProperties): Promise<CampaignApiClient>;
  /** The `current` key of the endpoint-key secret. */
  endpointKey(secretArn: string): Promise<string>;
  readonly logger: LogLines;
  /** Counts the Campaign webhook changes a request carried out (the WebhookChanges metric). */
  readonly recordChanges?: (count: number) => void;
  /** Where the function logs (Lambda context `logGroupName`); a failure's message points there. */
  readonly logGroupName?: string;
}

/** What the Provider framework expects back from onEvent. `Data` values are strings (Fn::GetAtt). */
export interface LifecycleResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

/**
 * Handles one request. A failure is logged in full (every failed webhook) and thrown with a message that
 * fits CloudFormation's response limit and names the log group (see failure-reason.ts).
 */
export async function handleLifecycleEvent(
  event: CloudFormationCustomResourceEvent,
  deps: LifecycleDependencies,
): Promise<LifecycleResponse> {
  try {
    return await dispatch(event, deps);
  } catch (error) {
    deps.logger.error(REQUEST_FAILED, {
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      ...failureDetails(error),
    });
    throw failureForCloudFormation(error, deps.logGroupName);
  }
}

async function dispatch(
  event: CloudFormationCustomResourceEvent,
  deps: LifecycleDependencies,
): Promise<LifecycleResponse> {
  switch (event.RequestType) {
    case 'Create':
      return createWebhooks(event.StackId, parseResourceProperties(event.ResourceProperties), deps);
    case 'Update': {
      const props = parseResourceProperties(event.ResourceProperties);
      const old = tryParse(event.OldResourceProperties, deps.logger);
      // A different client is a different resource: CloudFormation deletes the old one (its client's webhooks) afterwards.
      if (old !== undefined && old.clientId !== props.clientId)
        return createWebhooks(event.StackId, props, deps);
      return updateWebhooks(event.PhysicalResourceId, old, props, deps);
    }
    case 'Delete':
      await deleteWebhooks(event.ResourceProperties, deps);
      return { PhysicalResourceId: event.PhysicalResourceId };
  }
}

/** Stable per stack and client: a change of client is a replacement, nothing else is. */
export function physicalIdFor(stackId: string, clientId: number): string {
  const stackName = stackId.split('/')[1] ?? stackId;
  return `${stackName}/campaign-webhooks/client-${clientId}`;
}

async function createWebhooks(
  stackId: string,
  props: WebhookResourceProperties,
  deps: LifecycleDependencies,
): Promise<LifecycleResponse> {
  try {
    const result = await reconcile(props, {}, deps);
    return { PhysicalResourceId: physicalIdFor(stackId, props.clientId), Data: responseData(props, result) };
  } catch (error) {
    // The Provider framework skips the Delete that follows a failed Create, so undo here what this
    // attempt registered, or Campaign would keep sending to an endpoint the rollback removes.
    const cleanup = await removeBestEffort(props, deps, 'the failed create');
    throw new Error(`${errorMessage(error)}\n${cleanup}`, { cause: error });
  }
}

async function updateWebhooks(
  physicalResourceId: string,
  old: WebhookResourceProperties | undefined,
  props: WebhookResourceProperties,
  deps: LifecycleDependencies,
): Promise<LifecycleResponse> {
  if (old === undefined) {
    const result = await reconcile(props, {}, deps);
    return { PhysicalResourceId: physicalResourceId, Data: responseData(props, result) };
  }
  if (old.apiBaseUrl !== props.apiBaseUrl) {
    deps.logger.warn(
      'Campaign API base URL changed: webhooks registered through the old one are not touched',
      {
        clientId: props.clientId,
        oldApiBaseUrl: old.apiBaseUrl,
      },
    );
  }
  const context: PlanContext = {
    previousTargetUrls: [old.targetUrl],
    previousEventTypes: old.eventTypes,
    ...pushReason(old, props),
  };
  // Campaign's verify sends test events through the production endpoint: on an update only the webhooks
  // this deploy created or changed are verified, unless the verification mailing itself changed.
  const verify = old.verifyMailingId === props.verifyMailingId ? 'created-or-changed' : 'all';
  const result = await reconcile(props, context, deps, verify);
  return { PhysicalResourceId: physicalResourceId, Data: responseData(props, result) };
}

/** Never fails the stack delete: Campaign being unreachable is reported in the logs for an operator. */
async function deleteWebhooks(rawProperties: unknown, deps: LifecycleDependencies): Promise<void> {
  const props = tryParse(rawProperties, deps.logger);
  if (props === undefined) return;
  const outcome = await removeBestEffort(props, deps, 'the stack delete');
  deps.logger.info(outcome, { clientId: props.clientId });
}

async function reconcile(
  props: WebhookResourceProperties,
  context: PlanContext,
  deps: LifecycleDependencies,
  verify: ReconcileRequest['verify'] = 'all',
): Promise<ReconcileResult> {
  const [client, endpointKey] = await Promise.all([
    deps.campaignClient(props),
    deps.endpointKey(props.endpointKeySecretArn),
  ]);
  const result = await reconcileWebhooks(
    client,
    {
      clientId: props.clientId,
      eventTypes: props.eventTypes,
      targetUrl: props.targetUrl,
      authHeaderName: props.authHeaderName,
      endpointKey,
      ...(props.verifyMailingId === undefined ? {} : { verifyMailingId: props.verifyMailingId }),
      verify,
      ...context,
    },
    deps.logger,
  );
  deps.recordChanges?.(result.done.length);
  return result;
}

/** Removes the resource's webhooks; returns a sentence saying what happened, and logs an error when it could not. */
async function removeBestEffort(
  props: WebhookResourceProperties,
  deps: LifecycleDependencies,
  occasion: string,
): Promise<string> {
  try {
    const client = await deps.campaignClient(props);
    const result = await removeWebhooks(
      client,
      { clientId: props.clientId, targetUrls: [props.targetUrl], eventTypes: props.eventTypes },
      deps.logger,
    );
    deps.recordChanges?.(result.plan.actions.length);
    return `Removed ${result.plan.actions.length} Campaign webhooks of client ${props.clientId} after ${occasion}.`;
  } catch (error) {
    // A ReconcileError names the webhooks that failed; any other failure came before the list, so
    // whatever Campaign holds for this endpoint may still be there.
    const left =
      error instanceof ReconcileError
        ? `Left in Campaign: webhooks ${error.failures.map((failure) => ('webhookId' in failure.action ? failure.action.webhookId : '?')).join(', ')}`
        : `Campaign may still hold every webhook of types ${props.eventTypes.join(', ')} that targets ${props.targetUrl}`;
    const message =
      `Could not remove the Campaign webhooks of client ${props.clientId} after ${occasion}: ${errorMessage(error)}. ` +
      `${left}. Check and remove them by hand: ` +
      `npm run webhooks -- remove --client ${props.clientId} --target-url ${props.targetUrl}`;
    deps.logger.error(message, {
      clientId: props.clientId,
      targetUrl: props.targetUrl,
      manualCleanupRequired: true,
    });
    return message;
  }
}

/** Everything about a failure for the log: its full message and every failed webhook (causes included). */
function failureDetails(error: unknown): Record<string, unknown> {
  const details: Record<string, unknown> = { error: errorMessage(error) };
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ReconcileError) details.failedActions = failureLines(cause.failures).map(unlisted);
    if (cause instanceof VerificationError)
      details.failedVerifications = verificationFailureLines(cause.results).map(unlisted);
  }
  return details;
}

const unlisted = (line: string) => line.replace(/^ {2}- /, '');

function pushReason(old: WebhookResourceProperties, props: WebhookResourceProperties): PlanContext {
  const reasons: string[] = [];
  if (old.endpointKeyRotation !== props.endpointKeyRotation) {
    reasons.push(`endpoint key rotation ${old.endpointKeyRotation} -> ${props.endpointKeyRotation}`);
  }
  if (old.endpointKeySecretArn !== props.endpointKeySecretArn) reasons.push('endpoint-key secret replaced');
  if (old.authHeaderName.toLowerCase() !== props.authHeaderName.toLowerCase())
    reasons.push('auth header renamed');
  return reasons.length > 0 ? { pushAuthenticationReason: reasons.join(', ') } : {};
}

function responseData(props: WebhookResourceProperties, result: ReconcileResult): Record<string, string> {
  return {
    [WEBHOOK_ATTRIBUTES.clientId]: String(props.clientId),
    [WEBHOOK_ATTRIBUTES.webhookIds]: formatWebhookIds(result.webhookIds),
    [WEBHOOK_ATTRIBUTES.verification]: result.verification.summary,
    [WEBHOOK_ATTRIBUTES.changes]: result.done.length === 0 ? 'none' : result.done.join('; ').slice(0, 1000),
  };
}

function tryParse(raw: unknown, logger: LogLines): WebhookResourceProperties | undefined {
  try {
    return parseResourceProperties(raw);
  } catch (error) {
    logger.error('Unreadable custom resource properties: nothing to reconcile against', {
      error: errorMessage(error),
    });
    return undefined;
  }
}

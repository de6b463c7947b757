import { randomUUID } from 'node:crypto';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { WEBHOOK_RESOURCE_TYPE } from '../../functions/shared/contracts/webhook-resource.js';
import type { LocalResources } from '../pipeline/intrinsics.js';
import type { ResourceModel } from '../pipeline/stack-model.js';

/**
 * The webhook registration of `cdk deploy`, run locally: each of the stack's Custom::CampaignWebhooks
 * resources is handed to the deployed custom resource handler (functions/webhook-reconciler) as the
 * CloudFormation Create event the Provider framework would pass, with the properties the stack gives it,
 * except that the target is the local endpoint and the Campaign API is the simulator. On stop, the Delete
 * event (deactivate, then delete) that `cdk destroy` would send.
 */

export interface WebhookRegistrationResult {
  readonly clientId: number;
  readonly logicalId: string;
  readonly physicalResourceId: string;
  /** The resource's attributes, as the stack outputs show them (WebhookIds, Verification, Changes). */
  readonly data: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, unknown>>;
}

export type CustomResourceHandler = (
  event: CloudFormationCustomResourceEvent,
  context: Context,
) => Promise<unknown>;

export interface WebhookLifecycleOptions {
  readonly handler: CustomResourceHandler;
  readonly resources: LocalResources;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly targetUrl: string;
  readonly apiBaseUrl: string;
  readonly newContext: () => Context;
}

export async function createWebhooks(
  models: readonly ResourceModel[],
  opts: WebhookLifecycleOptions,
): Promise<WebhookRegistrationResult[]> {
  const results: WebhookRegistrationResult[] = [];
  for (const model of models) {
    const properties = localProperties(model, opts);
    const response = (await opts.handler(
      {
        RequestType: 'Create',
        ...commonFields(model, properties, opts),
      } as CloudFormationCustomResourceEvent,
      opts.newContext(),
    )) as { PhysicalResourceId: string; Data?: Record<string, string> };
    results.push({
      clientId: Number(properties.clientId),
      logicalId: model.logicalId,
      physicalResourceId: response.PhysicalResourceId,
      data: response.Data ?? {},
      properties,
    });
  }
  return results;
}

/** The Delete that `cdk destroy` sends: the handler deactivates and deletes the webhooks (it never throws). */
export async function deleteWebhooks(
  registrations: readonly WebhookRegistrationResult[],
  models: readonly ResourceModel[],
  opts: WebhookLifecycleOptions,
): Promise<void> {
  for (const registration of registrations) {
    const model = models.find((candidate) => candidate.logicalId === registration.logicalId);
    if (model === undefined) continue;
    await opts.handler(
      {
        RequestType: 'Delete',
        PhysicalResourceId: registration.physicalResourceId,
        ...commonFields(model, registration.properties, opts),
      } as CloudFormationCustomResourceEvent,
      opts.newContext(),
    );
  }
}

function localProperties(model: ResourceModel, opts: WebhookLifecycleOptions): Record<string, unknown> {
  // The endpoint URL and the Campaign API base URL are the two things that differ locally.
  const { ServiceToken: _token, ServiceTimeout: _timeout, ...rest } = model.properties;
  const resolved = opts.resources.resolve(
    { ...rest, targetUrl: opts.targetUrl, apiBaseUrl: opts.apiBaseUrl },
    `custom resource ${model.logicalId}`,
  ) as Record<string, unknown>;
  return { ServiceToken: `arn:aws:lambda:${opts.region}:${opts.accountId}:function:local`, ...resolved };
}

function commonFields(
  model: ResourceModel,
  properties: Record<string, unknown>,
  opts: WebhookLifecycleOptions,
) {
  return {
    ServiceToken: properties.ServiceToken,
    ResponseURL: 'http://127.0.0.1/unused-by-the-provider-framework',
    StackId: `arn:aws:cloudformation:${opts.region}:${opts.accountId}:stack/${opts.stackName}/${randomUUID()}`,
    RequestId: randomUUID(),
    LogicalResourceId: model.logicalId,
    ResourceType: WEBHOOK_RESOURCE_TYPE,
    ResourceProperties: properties,
  };
}

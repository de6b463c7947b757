import * as v from 'valibot';
import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../campaign-event-types.js';

/**
 * The Campaign webhooks custom resource (one per Campaign client) as infra declares it and the
 * webhook-reconciler reads it: its type, its properties and the attributes it returns.
 */
export const WEBHOOK_RESOURCE_TYPE = 'Custom::CampaignWebhooks';

/** Names of the attributes the resource returns (Fn::GetAtt). */
export const WEBHOOK_ATTRIBUTES = {
  clientId: 'ClientId',
  webhookIds: 'WebhookIds',
  verification: 'Verification',
  changes: 'Changes',
} as const;

/**
 * The custom resource's properties. CloudFormation hands every scalar over as a string, so numbers are
 * accepted as numeric strings. The endpoint key itself is never a property: only its secret's ARN.
 */
export interface WebhookResourceProperties {
  readonly clientId: number;
  readonly eventTypes: readonly CampaignEventType[];
  readonly targetUrl: string;
  readonly authHeaderName: string;
  readonly endpointKeySecretArn: string;
  /** Name or ARN of the Campaign API credentials secret. */
  readonly credentialsSecretName: string;
  readonly apiBaseUrl: string;
  readonly verifyMailingId: number | undefined;
  readonly endpointKeyRotation: number;
}

const IntegerLike = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.trim(), v.regex(/^\d+$/, 'must be a whole number'))]),
  v.transform(Number),
  v.integer(),
);
const Positive = v.pipe(IntegerLike, v.minValue(1));

const PropertiesSchema = v.looseObject({
  clientId: Positive,
  eventTypes: v.pipe(
    v.array(v.picklist(CAMPAIGN_EVENT_TYPES)),
    v.minLength(1, 'list at least one event type'),
    v.check((types) => new Set(types).size === types.length, 'must not repeat an event type'),
  ),
  targetUrl: v.pipe(v.string(), v.url()),
  authHeaderName: v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')),
  endpointKeySecretArn: v.pipe(v.string(), v.minLength(1)),
  credentialsSecretName: v.pipe(v.string(), v.minLength(1)),
  apiBaseUrl: v.pipe(v.string(), v.url()),
  verifyMailingId: v.optional(v.union([v.literal(''), Positive])),
  endpointKeyRotation: v.optional(v.pipe(IntegerLike, v.minValue(0)), 0),
});

/**
 * The properties as infra writes them: every scalar a string (as CloudFormation hands them over anyway),
 * no `verifyMailingId` when verification is off. Values may be CDK tokens.
 */
export function formatResourceProperties(
  props: WebhookResourceProperties,
): Record<string, string | string[]> {
  return {
    clientId: String(props.clientId),
    eventTypes: [...props.eventTypes],
    targetUrl: props.targetUrl,
    authHeaderName: props.authHeaderName,
    endpointKeySecretArn: props.endpointKeySecretArn,
    credentialsSecretName: props.credentialsSecretName,
    apiBaseUrl: props.apiBaseUrl,
    ...(props.verifyMailingId === undefined ? {} : { verifyMailingId: String(props.verifyMailingId) }),
    endpointKeyRotation: String(props.endpointKeyRotation),
  };
}

export class PropertiesError extends Error {
  override readonly name = 'PropertiesError';
}

export function parseResourceProperties(
  raw: unknown,
  label = 'ResourceProperties',
): WebhookResourceProperties {
  const result = v.safeParse(PropertiesSchema, raw);
  if (!result.success) {
    const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`);
    throw new PropertiesError(`Invalid custom resource ${label}: ${problems.join('; ')}`);
  }
  const props = result.output;
  return {
    clientId: props.clientId,
    eventTypes: props.eventTypes,
    targetUrl: props.targetUrl,
    authHeaderName: props.authHeaderName,
    endpointKeySecretArn: props.endpointKeySecretArn,
    credentialsSecretName: props.credentialsSecretName,
    apiBaseUrl: props.apiBaseUrl,
    verifyMailingId: props.verifyMailingId === '' ? undefined : props.verifyMailingId,
    endpointKeyRotation: props.endpointKeyRotation,
  };
}

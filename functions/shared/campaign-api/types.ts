import type { CampaignEventType } from '../campaign-event-types.js';

/**
 * The webhook part of the Campaign REST API, typed from the published contract
 * (Campaign's webhooks OpenAPI contract). Names follow the contract's schemas.
 */

/** `RestWebhook.status`. `deleted` and `suspended` are listed by the contract; their rules are not. */
export const WEBHOOK_STATUSES = ['created', 'activated', 'deactivated', 'deleted', 'suspended'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** The `authentication` form field of `WebhookRequestData`, sent as a JSON string. */
export type WebhookAuthentication =
  | { readonly type: 'none' }
  | { readonly type: 'basicAuth'; readonly userName: string; readonly password: string }
  | { readonly type: 'keyAuth'; readonly key: string; readonly passphrase: string };

/**
 * `WebhookAuthentication` as the list returns it. The contract only guarantees `type`; this project
 * reads `key` (the header name) when present and never relies on secrets being echoed.
 */
export interface ListedAuthentication {
  readonly type: string;
  readonly key?: string;
  readonly userName?: string;
}

/** `RestWebhook`, as returned by list, create, update, activate and deactivate. */
export interface RestWebhook {
  readonly id: number;
  /** The type as Campaign reports it (`archived` for a webhook registered as `archive`). */
  readonly type: string;
  /** Kept as a string: Campaign may report a status this code does not know. */
  readonly status: string;
  readonly format?: string;
  readonly targetUrl: string;
  readonly authentication?: ListedAuthentication;
  readonly created?: string;
  readonly modified?: string;
}

/** What this project sends as `WebhookRequestData` on create and update (`format` is always `json`). */
export interface WebhookSettings {
  readonly type: CampaignEventType;
  readonly targetUrl: string;
  readonly authentication: WebhookAuthentication;
}

/** `RestWebhookVerify`: one result of a verification run. */
export interface WebhookVerifyResult {
  readonly id?: number;
  /** The status the TARGET answered with; 200 is success. */
  readonly httpStatusCode?: number;
  readonly responseBody?: string;
  readonly numberOfEvents?: number;
  readonly targetUrl?: string;
}

/** The Campaign API user, as held in the credentials secret. */
export interface CampaignCredentials {
  readonly username: string;
  readonly password: string;
}

/** The client's operations, named after the contract's operationIds. */
export type CampaignOperation =
  | 'selectWebhooks'
  | 'createWebhook'
  | 'updateWebhook'
  | 'deleteWebhook'
  | 'activateWebhook'
  | 'deactivateWebhook'
  | 'verifyWebhook';

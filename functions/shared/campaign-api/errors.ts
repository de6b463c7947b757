import type { CampaignOperation } from './types.js';

/** Why a call failed: Campaign answered with an error status, or no usable answer came back. */
export type CampaignFailureKind = 'http' | 'network' | 'timeout' | 'aborted' | 'invalid-response';

export interface CampaignApiErrorDetails {
  readonly operation: CampaignOperation;
  readonly clientId: number;
  readonly webhookId?: number;
  readonly kind: CampaignFailureKind;
  /** HTTP status Campaign answered with (kind `http` only). */
  readonly status?: number;
  /** Campaign's own message, or the network error's; already redacted. */
  readonly campaignMessage?: string;
  /** Attempts made, retries included. */
  readonly attempts: number;
  /** True when a non-idempotent request may have been carried out although it failed (e.g. a timeout). */
  readonly outcomeUnknown?: boolean;
  /** Why retrying stopped, when the failure was retryable. */
  readonly gaveUp?: string;
}

/**
 * A failed Campaign API call. The message names the operation, the client (and webhook), the status and
 * Campaign's message. It never carries the API credentials or a webhook passphrase: every text taken
 * from a response is passed through {@link redact} with the secrets of the call first.
 */
export class CampaignApiError extends Error {
  override readonly name = 'CampaignApiError';
  readonly operation: CampaignOperation;
  readonly clientId: number;
  readonly webhookId: number | undefined;
  readonly kind: CampaignFailureKind;
  readonly status: number | undefined;
  readonly campaignMessage: string | undefined;
  readonly attempts: number;
  readonly outcomeUnknown: boolean;

  constructor(details: CampaignApiErrorDetails) {
    super(describe(details));
    this.operation = details.operation;
    this.clientId = details.clientId;
    this.webhookId = details.webhookId;
    this.kind = details.kind;
    this.status = details.status;
    this.campaignMessage = details.campaignMessage;
    this.attempts = details.attempts;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
  }

  /** The same failure after more attempts (the retry loop's final error). */
  withAttempts(attempts: number, gaveUp?: string): CampaignApiError {
    return new CampaignApiError({ ...this.details(), attempts, ...(gaveUp ? { gaveUp } : {}) });
  }

  private details(): CampaignApiErrorDetails {
    return {
      operation: this.operation,
      clientId: this.clientId,
      ...(this.webhookId === undefined ? {} : { webhookId: this.webhookId }),
      kind: this.kind,
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.campaignMessage === undefined ? {} : { campaignMessage: this.campaignMessage }),
      attempts: this.attempts,
      outcomeUnknown: this.outcomeUnknown,
    };
  }
}

export function isCampaignApiError(error: unknown): error is CampaignApiError {
  return error instanceof CampaignApiError;
}

/** True for a 404: the webhook does not exist (any more). */
export function isNotFound(error: unknown): boolean {
  return isCampaignApiError(error) && error.kind === 'http' && error.status === 404;
}

/** True for a 400, which the contract uses for "wrong status" (activate twice, delete while activated). */
export function isBadRequest(error: unknown): boolean {
  return isCampaignApiError(error) && error.kind === 'http' && error.status === 400;
}

function describe(details: CampaignApiErrorDetails): string {
  const target =
    details.webhookId === undefined
      ? `client ${details.clientId}`
      : `client ${details.clientId}, webhook ${details.webhookId}`;
  const cause =
    details.kind === 'http'
      ? `HTTP ${details.status}`
      : details.kind === 'invalid-response'
        ? 'an unreadable response'
        : details.kind === 'timeout'
          ? 'a timeout'
          : details.kind === 'aborted'
            ? 'cancellation (deadline reached)'
            : 'a network error';
  const message = details.campaignMessage ? `: ${details.campaignMessage}` : '';
  const attempts = details.attempts > 1 ? ` after ${details.attempts} attempts` : '';
  const gaveUp = details.gaveUp ? ` (${details.gaveUp})` : '';
  const unknown = details.outcomeUnknown
    ? '; the request may have been carried out, list the webhooks before repeating it'
    : '';
  return `Campaign API ${details.operation} (${target}) failed with ${cause}${message}${attempts}${gaveUp}${unknown}`;
}

const MAX_MESSAGE_LENGTH = 300;
const SECRET_FIELD = /("(?:password|passphrase|basicAuthPassword)"\s*:\s*")(?:[^"\\]|\\.)*(")/gi;

/**
 * Removes secrets from a text taken from a response or an error: every occurrence of a known secret, and
 * the value of any JSON field named like a password. Short values are not matched on their own (they
 * would turn ordinary words into asterisks); the JSON-field rule still catches them.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text.replace(SECRET_FIELD, '$1***$2');
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join('***');
  }
  return result;
}

/**
 * Campaign's error message from a response body: the `message` (or `error`, `errorMessage`, `detail`,
 * `title`) of a JSON body, else the text itself; whitespace collapsed, shortened, redacted.
 */
export function campaignMessageFrom(body: string, secrets: readonly string[]): string | undefined {
  let text = body.trim();
  if (text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const found = messageField(parsed);
    if (found) text = found;
  } catch {
    // Not JSON: the text is the message.
  }
  text = redact(text.replace(/\s+/g, ' '), secrets);
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}...` : text;
}

function messageField(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  for (const field of ['message', 'error', 'errorMessage', 'detail', 'title']) {
    const candidate = record[field];
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate;
  }
  return undefined;
}

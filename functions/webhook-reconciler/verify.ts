import type { CampaignApiClient } from '../shared/campaign-api/client.js';
import { isBadRequest } from '../shared/campaign-api/errors.js';
import type { WebhookVerifyResult } from '../shared/campaign-api/types.js';
import type { CampaignEventType } from '../shared/campaign-event-types.js';
import { errorMessage } from './execute.js';
import { summarizeFailures } from './failure-reason.js';

/**
 * Deploy-time verification: Campaign sends test events to each webhook's target and reports what the
 * target answered. Campaign's own 200 only means the test ran; success is every result's
 * `httpStatusCode` being 200.
 */

export type WebhookVerification =
  | { readonly type: CampaignEventType; readonly webhookId: number; readonly outcome: 'passed' }
  | {
      readonly type: CampaignEventType;
      readonly webhookId: number;
      readonly outcome: 'unsupported';
      readonly detail: string;
    }
  | {
      readonly type: CampaignEventType;
      readonly webhookId: number;
      readonly outcome: 'failed';
      readonly detail: string;
    };

export interface VerificationSummary {
  readonly status: 'verified' | 'skipped';
  /** One line for the resource's output, e.g. "verified 12 webhooks with mailing 900001". */
  readonly summary: string;
  readonly results: readonly WebhookVerification[];
}

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  constructor(
    message: string,
    readonly results: readonly WebhookVerification[],
  ) {
    super(message);
  }
}

export const SKIPPED_NO_MAILING = 'skipped: no verifyMailingId configured';
export const SKIPPED_NOTHING_CHANGED = 'skipped: no webhook created or changed';

const MAX_BODY_IN_MESSAGE = 200;

/**
 * Verifies the given webhooks (`unchanged`: how many others were left unverified, for the summary). Throws a {@link VerificationError} naming each failure when any target did not
 * answer 200, or when Campaign could verify none of them (a 400 for every type suggests a wrong mailing id).
 */
export async function verifyWebhooks(
  client: CampaignApiClient,
  clientId: number,
  webhookIds: ReadonlyMap<CampaignEventType, number>,
  mailingId: number | undefined,
  options: { readonly unchanged?: number } = {},
): Promise<VerificationSummary> {
  if (mailingId === undefined) return { status: 'skipped', summary: SKIPPED_NO_MAILING, results: [] };
  const unchanged = options.unchanged ?? 0;
  if (webhookIds.size === 0 && unchanged > 0)
    return { status: 'skipped', summary: SKIPPED_NOTHING_CHANGED, results: [] };

  const results = await Promise.all(
    [...webhookIds].map(async ([type, webhookId]): Promise<WebhookVerification> => {
      try {
        const responses = await client.verifyWebhook(clientId, webhookId, { mailingId, numberOfEvents: 1 });
        const problem = targetProblem(responses);
        return problem === undefined
          ? { type, webhookId, outcome: 'passed' }
          : { type, webhookId, outcome: 'failed', detail: problem };
      } catch (error) {
        // The contract's only documented 400 for verify: "not supported for the provided type".
        if (isBadRequest(error))
          return { type, webhookId, outcome: 'unsupported', detail: errorMessage(error) };
        return { type, webhookId, outcome: 'failed', detail: errorMessage(error) };
      }
    }),
  );

  const failed = results.filter((result) => result.outcome === 'failed');
  const unsupported = results.filter((result) => result.outcome === 'unsupported');
  const passed = results.length - failed.length - unsupported.length;
  const header = `Webhook verification for Campaign client ${clientId} with mailing ${mailingId}`;

  if (failed.length > 0) {
    throw new VerificationError(
      [
        `${header} failed for ${failed.length} of ${results.length} webhooks:`,
        ...summarizeFailures(verificationFailureLines(results), 'every failure is logged'),
        "The endpoint did not accept Campaign's test events: check the endpoint key, the API's source-IP allow list and the ingest logs.",
      ].join('\n'),
      results,
    );
  }
  if (results.length > 0 && passed === 0) {
    throw new VerificationError(
      `${header}: Campaign could not verify any webhook (HTTP 400 for every type). ` +
        `Check that mailing ${mailingId} exists in client ${clientId}, or remove verifyMailingId to skip verification.`,
      results,
    );
  }
  const notSupported =
    unsupported.length > 0
      ? ` (not supported for: ${unsupported.map((result) => result.type).join(', ')})`
      : '';
  const notReverified = unchanged > 0 ? ` (${unchanged} unchanged, not verified again)` : '';
  return {
    status: 'verified',
    summary: `verified ${passed} webhooks with mailing ${mailingId}${notSupported}${notReverified}`,
    results,
  };
}

/** One line per webhook whose verification failed. */
export function verificationFailureLines(results: readonly WebhookVerification[]): string[] {
  return results
    .filter((result) => result.outcome === 'failed')
    .map((result) => `  - ${result.type} (webhook ${result.webhookId}): ${result.detail}`);
}

/** Undefined when every result says the target answered 200; else what went wrong. */
function targetProblem(responses: readonly WebhookVerifyResult[]): string | undefined {
  if (responses.length === 0) return 'Campaign returned no verification result';
  const bad = responses.find((response) => response.httpStatusCode !== 200);
  if (bad === undefined) return undefined;
  const status = bad.httpStatusCode === undefined ? 'no status' : `HTTP ${bad.httpStatusCode}`;
  const body = (bad.responseBody ?? '').replace(/\s+/g, ' ').trim();
  const shortBody = body.length > MAX_BODY_IN_MESSAGE ? `${body.slice(0, MAX_BODY_IN_MESSAGE)}...` : body;
  return `the target ${bad.targetUrl ?? ''} answered ${status}${shortBody ? `: ${shortBody}` : ''}`.replace(
    '  ',
    ' ',
  );
}

import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { postToTarget } from './delivery.js';
import type { CampaignEventFactory } from './event-factory.js';
import { SimulatorHttpError, type StoredWebhook } from './webhook-store.js';

/** One verify call: the test events Campaign sent to a webhook, and what the target answered. */
export interface VerificationReport {
  readonly clientId: number;
  readonly webhookId: number;
  readonly type: CampaignEventType;
  readonly mailingId: number;
  readonly numberOfEvents: number;
  /** The target's HTTP status (0: no answer). The verify call itself answers 200 whatever it is. */
  readonly httpStatusCode: number;
}

export interface VerifySettings {
  /** Types whose verify answers 400 "not supported". */
  readonly unsupportedTypes?: readonly CampaignEventType[];
  /** When given, the only mailing ids verify accepts (400 otherwise). */
  readonly knownMailings?: readonly number[];
}

/**
 * Campaign's verify: sends test events of the webhook's type and the given mailing to the target, with
 * the registered authentication; answers the target's status and body, whatever it is.
 */
export async function verifyWebhook(
  webhook: StoredWebhook,
  query: URLSearchParams,
  settings: VerifySettings,
  newFactory: () => CampaignEventFactory,
): Promise<{ report: VerificationReport; body: unknown[] }> {
  const { mailingId, numberOfEvents } = verifyParameters(query);
  if (settings.unsupportedTypes?.includes(webhook.type)) {
    throw new SimulatorHttpError(
      400,
      `The verification of the webhook is not supported for type ${webhook.type}.`,
    );
  }
  if (settings.knownMailings !== undefined && !settings.knownMailings.includes(mailingId)) {
    throw new SimulatorHttpError(400, `Mailing ${mailingId} does not exist for client ${webhook.clientId}.`);
  }
  const factory = newFactory();
  const events = Array.from({ length: numberOfEvents }, () => {
    const event = factory.event(webhook.type);
    return 'mailingId' in event ? { ...event, mailingId } : event;
  });
  const answer = await postToTarget(webhook.targetUrl, webhook.authentication, events, 10_000);
  return {
    report: {
      clientId: webhook.clientId,
      webhookId: webhook.id,
      type: webhook.type,
      mailingId,
      numberOfEvents,
      httpStatusCode: answer.status,
    },
    body: [
      {
        id: webhook.id,
        httpStatusCode: answer.status,
        responseBody: answer.body,
        numberOfEvents,
        targetUrl: webhook.targetUrl,
      },
    ],
  };
}

function verifyParameters(query: URLSearchParams): { mailingId: number; numberOfEvents: number } {
  const mailingRaw = query.get('mailingId');
  if (mailingRaw === null || !/^\d+$/.test(mailingRaw) || Number(mailingRaw) < 1) {
    throw new SimulatorHttpError(400, 'mailingId is required and must be the id of a valid mailing');
  }
  const numberRaw = query.get('numberOfEvents') ?? '1';
  const numberOfEvents = /^\d+$/.test(numberRaw) ? Number(numberRaw) : Number.NaN;
  if (!(numberOfEvents >= 1 && numberOfEvents <= 100)) {
    throw new SimulatorHttpError(400, 'numberOfEvents must be between 1 and 100');
  }
  return { mailingId: Number(mailingRaw), numberOfEvents };
}

import { type CampaignEventType, toEventType } from '../../functions/shared/campaign-event-types.js';
import type { PipelineCounters } from './counters.js';
import type { LocalServices, SnsDelivery } from './services.js';

/**
 * The local run's own subscribers on the event topics: one per topic that keeps what it delivered (for
 * the view and the tests), and the README's worked example, hard bounces for a CRM sync, subscribed to the
 * bounce topic with the filter policy `{"bounceCategory": ["hard"]}`.
 */

/** A message as an event topic delivered it. */
export interface TopicMessage {
  readonly eventKey: string;
  readonly body: Record<string, unknown>;
  readonly attributes: SnsDelivery['attributes'];
}

/** Messages kept per type (the counters count every one). */
const KEPT_MESSAGES_PER_TYPE = 10_000;

export const CRM_SYNC_FILTER_POLICY = { bounceCategory: ['hard'] };

export async function tapEventTopics(
  services: LocalServices,
  topicArns: Readonly<Record<string, string>>,
  counters: PipelineCounters,
  onFirst: (eventType: CampaignEventType) => void,
): Promise<ReadonlyMap<CampaignEventType, TopicMessage[]>> {
  const published = new Map<CampaignEventType, TopicMessage[]>();
  const timesPublished = new Map<string, number>();
  for (const [type, arn] of Object.entries(topicArns)) {
    await services.subscribe(arn, 'tap', (delivery) => {
      const body = JSON.parse(delivery.message) as Record<string, unknown>;
      const eventKey = String(body.eventKey);
      const eventType = (toEventType(body.eventType) ?? type) as CampaignEventType;
      const messages = published.get(eventType) ?? [];
      published.set(eventType, messages);
      messages.push({ eventKey, body, attributes: delivery.attributes });
      if (messages.length > KEPT_MESSAGES_PER_TYPE) messages.shift();

      if (counters.publishedDistinct === 0 && timesPublished.size === 0) onFirst(eventType);
      counters.published[eventType] = (counters.published[eventType] ?? 0) + 1;
      const category = delivery.attributes.bounceCategory?.stringValue;
      if (category === 'hard' || category === 'soft' || category === 'unknown') counters.bounces[category]++;
      const times = (timesPublished.get(eventKey) ?? 0) + 1;
      timesPublished.set(eventKey, times);
      if (times === 1) counters.publishedDistinct++;
      if (times === 2) counters.publishedTwice++;
      if (times > 1) counters.duplicates++;
    });
  }
  const bounceTopic = topicArns.bounce;
  if (bounceTopic !== undefined) {
    await services.subscribe(
      bounceTopic,
      'tap',
      () => {
        counters.crmHardBounces++;
      },
      CRM_SYNC_FILTER_POLICY,
    );
  }
  return published;
}

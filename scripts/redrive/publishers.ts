import {
  messageBytes,
  PUBLISH_BATCH_MAX_BYTES,
  type Publisher,
  type PublishFailure,
  packBatches,
} from '../../functions/fan-out/publisher.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';

/** One message a publisher accepted: the topic and the event it carries. */
export interface PublishedEventRef {
  readonly topicArn: string;
  readonly eventType: CampaignEventType;
  readonly eventKey: string;
}

/**
 * A publisher that publishes nothing and answers as SNS would for a healthy topic: every message is
 * accepted except one the real publisher refuses before calling SNS (over the size limit), so a dry run
 * reports what a replay would publish.
 */
export function createDryRunPublisher(): Publisher {
  return {
    async publish(_topicArn, messages) {
      const { batches, oversized } = packBatches(messages);
      const failures: PublishFailure[] = oversized.map((message) => ({
        id: message.id,
        code: 'MessageTooLarge',
        message: `message is ${messageBytes(message)} bytes; SNS accepts at most ${PUBLISH_BATCH_MAX_BYTES}`,
        senderFault: true,
      }));
      return {
        publishedIds: batches.flat().map((message) => message.id),
        failures,
        requests: 0,
      };
    },
  };
}

/**
 * Wraps a publisher to note every message it reports as published, read back from the message body (the
 * published event's JSON carries its eventType and eventKey), so the replay can list what went out.
 */
export function trackPublished(inner: Publisher): { publisher: Publisher; published: PublishedEventRef[] } {
  const published: PublishedEventRef[] = [];
  return {
    published,
    publisher: {
      async publish(topicArn, messages) {
        const outcome = await inner.publish(topicArn, messages);
        const byId = new Map(messages.map((message) => [message.id, message]));
        for (const id of outcome.publishedIds) {
          const message = byId.get(id);
          if (message === undefined) continue;
          const { eventType, eventKey } = JSON.parse(message.body) as {
            eventType: CampaignEventType;
            eventKey: string;
          };
          published.push({ topicArn, eventType, eventKey });
        }
        return outcome;
      },
    },
  };
}

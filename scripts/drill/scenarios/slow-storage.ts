import { eventBatches } from '../events.js';
import { cleanDeliveryMisses, commonMisses, type Scenario } from '../scenario.js';
import { sendAsCampaign } from '../sender.js';

/** Longer than the ingest's store deadline (its 28 s timeout less its margin). */
const DELAY_MS = 30_000;

/**
 * Every DynamoDB request of the ingest arrives 30 s late, beyond the ingest's deadline: it must answer 503
 * in time (not time out: API Gateway would answer 502 with nothing known), the late write may still land,
 * and Campaign's retry then stores nothing twice and publishes nothing twice.
 */
export const slowStorage: Scenario = {
  name: 'slow-storage',
  summary: 'DynamoDB slower than the ingest deadline; 503 in time, the retry converges, no duplicate',
  side: 'ingest',
  async run(pipeline, size) {
    const batches = eventBatches(Math.min(size.events, 50), 505, 25);
    pipeline.faults.dynamodb.delay(DELAY_MS);
    const delivery = await sendAsCampaign(pipeline, batches, {
      onAnswer: (status) => {
        if (status !== 200) pipeline.faults.dynamodb.restore();
      },
    });
    pipeline.faults.dynamodb.restore();
    return {
      sent: new Set(batches.flat()),
      delivery,
      notes: [`each DynamoDB request delayed ${DELAY_MS} ms`],
    };
  },
  missed(row, run) {
    const misses = [...commonMisses(row), ...cleanDeliveryMisses(row)];
    const statuses = run.delivery.statuses;
    if (!statuses.includes(503)) misses.push('no 503 while storage was slow');
    if (statuses.some((status) => status === 500 || status === 502 || status === 504))
      misses.push('answered 500/502/504 instead of 503');
    return misses;
  },
};

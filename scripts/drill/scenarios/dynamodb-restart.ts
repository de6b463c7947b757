import { eventBatches } from '../events.js';
import { cleanDeliveryMisses, commonMisses, type Scenario } from '../scenario.js';
import { sendAsCampaign } from '../sender.js';

const DOWN_MS = 3_000;

/** DynamoDB Local killed (SIGKILL) mid-traffic and restarted on its data directory after a pause. */
export const dynamodbRestart: Scenario = {
  name: 'dynamodb-restart',
  summary: `DynamoDB killed mid-traffic, back on its data after ${DOWN_MS / 1000} s; 503s retried, nothing lost`,
  side: 'ingest',
  async run(pipeline, size) {
    const batches = eventBatches(size.events, 404, 25);
    const half = Math.ceil(batches.length / 2);
    const delivery = await sendAsCampaign(pipeline, batches.slice(0, half));
    const restarting = pipeline.faults.dynamodb.restart(DOWN_MS);
    await sendAsCampaign(pipeline, batches.slice(half), {}, delivery);
    await restarting;
    return { sent: new Set(batches.flat()), delivery };
  },
  missed(row, run) {
    const misses = [...commonMisses(row), ...cleanDeliveryMisses(row)];
    if (run.delivery.statuses.some((status) => status === 500 || status === 502))
      misses.push('answered 500/502 (not retryable as an outage)');
    return misses;
  },
};

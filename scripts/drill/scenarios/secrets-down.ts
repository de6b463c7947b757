import { eventBatches } from '../events.js';
import { cleanDeliveryMisses, commonMisses, type Scenario } from '../scenario.js';
import { sendAsCampaign } from '../sender.js';

const REFUSED_ANSWERS = 2;

/** Secrets Manager unreachable at the ingest's cold start: 503 (retryable), never 500; then it recovers. */
export const secretsDown: Scenario = {
  name: 'secrets-down',
  summary: 'Secrets Manager unreachable on a cold start; 503 (never 500) until it is back, nothing lost',
  side: 'ingest',
  async run(pipeline, size) {
    const batches = eventBatches(Math.min(size.events, 100), 606, 50);
    pipeline.faults.secretsManager.unreachable();
    let refused = 0;
    const delivery = await sendAsCampaign(pipeline, batches, {
      onAnswer: (status) => {
        if (status !== 200 && ++refused >= REFUSED_ANSWERS) pipeline.faults.secretsManager.restore();
      },
    });
    pipeline.faults.secretsManager.restore();
    return { sent: new Set(batches.flat()), delivery, notes: [`${refused} answers while unreachable`] };
  },
  missed(row, run) {
    const misses = [...commonMisses(row), ...cleanDeliveryMisses(row)];
    const statuses = run.delivery.statuses;
    if (!statuses.includes(503)) misses.push('no 503 while Secrets Manager was unreachable');
    if (statuses.some((status) => status === 500 || status === 502)) misses.push('answered 500/502');
    return misses;
  },
};

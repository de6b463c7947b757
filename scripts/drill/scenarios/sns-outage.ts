import { eventBatches } from '../events.js';
import { commonMisses, type Scenario } from '../scenario.js';
import { sendAsCampaign } from '../sender.js';

/** SNS refuses every request for N seconds while events arrive; the fan-out must recover by itself. */
export const snsOutage: Scenario = {
  name: 'sns-outage',
  summary: 'SNS refuses everything for N seconds; recovers with no loss, nothing parked, no person',
  side: 'fan-out',
  async run(pipeline, size) {
    const batches = eventBatches(size.events, 202);
    pipeline.faults.sns.outage(size.outageSeconds * 1000);
    const delivery = await sendAsCampaign(pipeline, batches);
    return { sent: new Set(batches.flat()), delivery, notes: [`outage of ${size.outageSeconds} s`] };
  },
  missed(row) {
    const misses = commonMisses(row);
    if (row.parked > 0) misses.push(`${row.parked} events parked (a person must redrive them)`);
    if (row.published < row.stored) misses.push(`${row.stored - row.published} stored events not published`);
    return misses;
  },
};

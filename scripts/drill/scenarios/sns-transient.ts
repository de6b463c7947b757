import { eventBatches } from '../events.js';
import { commonMisses, type Scenario } from '../scenario.js';
import { sendAsCampaign } from '../sender.js';

/** The issue's targets for messages ÷ events at a transient failure rate. */
const MESSAGES_PER_EVENT_TARGET: ReadonlyArray<readonly [rate: number, target: number]> = [
  [0.01, 1.05],
  [0.3, 1.5],
];

/** SNS refuses each publish entry with probability `rate` (InternalError, retryable), on every attempt. */
export function snsTransient(rate: number): Scenario {
  const target = MESSAGES_PER_EVENT_TARGET.find(([at]) => at === rate)?.[1];
  const percent = `${Math.round(rate * 100)}%`;
  return {
    name: `sns-transient-${percent}`,
    summary: `SNS refuses ${percent} of publish entries (retryable)${target ? `; target messages÷events ≤ ${target}` : ''}`,
    side: 'fan-out',
    async run(pipeline, size) {
      const batches = eventBatches(size.events, 101);
      pipeline.faults.sns.failTransiently(rate, { seed: 7 });
      const delivery = await sendAsCampaign(pipeline, batches);
      return { sent: new Set(batches.flat()), delivery, notes: [] };
    },
    missed(row) {
      const misses = commonMisses(row);
      if (row.parked > 0) misses.push(`${row.parked} events parked`);
      if (row.published < row.stored)
        misses.push(`${row.stored - row.published} stored events not published`);
      if (target !== undefined && row.messagesPerEvent > target)
        misses.push(`messages÷events ${row.messagesPerEvent.toFixed(2)} > ${target}`);
      return misses;
    },
  };
}

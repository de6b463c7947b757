import { eventBatches } from '../events.js';
import { heldText } from '../measure.js';
import { commonMisses, type Scenario } from '../scenario.js';
import { sendAsCampaign } from '../sender.js';

/** One message SNS refuses forever as the sender's fault: only it is parked, nobody else is republished. */
export const poisonMessage: Scenario = {
  name: 'poison-message',
  summary: 'SNS refuses one event forever (InvalidParameter); only it parked, zero innocent duplicates',
  side: 'fan-out',
  deferFanOut: true,
  async run(pipeline, size) {
    const batches = eventBatches(size.events, 303);
    const delivery = await sendAsCampaign(pipeline, batches);
    const poisonText = batches[0]?.[Math.min(10, (batches[0]?.length ?? 1) - 1)] as string;
    const items = await pipeline.items();
    const poisonKey = items.find((item) => heldText(item) === poisonText)?.eventKey as string | undefined;
    if (poisonKey === undefined) throw new Error('The poison event was not stored');
    pipeline.faults.sns.poison(poisonKey);
    pipeline.startFanOut();
    return {
      sent: new Set(batches.flat()),
      delivery,
      notes: [`poison: ${poisonKey}`],
      expectParked: () => new Set([poisonKey]),
    };
  },
  missed(row, run, measurement) {
    const misses = commonMisses(row);
    const expected = run.expectParked?.(measurement) ?? new Set<string>();
    const innocent = [...measurement.parkedKeys].filter((key) => !expected.has(key));
    const poisonParked = [...expected].every((key) => measurement.parkedKeys.has(key));
    if (!poisonParked) misses.push('the poison event is not parked');
    if (innocent.length > 0) misses.push(`${innocent.length} innocent events parked`);
    if (row.duplicates > 0) misses.push(`${row.duplicates} innocent duplicate messages`);
    if (row.published < row.stored - expected.size)
      misses.push(`${row.stored - expected.size - row.published} innocent events not published`);
    return misses;
  },
};

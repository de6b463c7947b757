import { eventBatches } from '../events.js';
import { cleanDeliveryMisses, commonMisses, type Scenario } from '../scenario.js';
import { sendAsCampaign } from '../sender.js';

/** Campaign delivers the same batches twice (it retries when an answer was lost): stored and published once. */
export const redeliveredBatch: Scenario = {
  name: 'redelivered-batch',
  summary: 'every batch delivered twice; each event stored once and published once',
  side: 'ingest',
  async run(pipeline, size) {
    const batches = eventBatches(size.events, 707);
    const delivery = await sendAsCampaign(pipeline, batches);
    await sendAsCampaign(pipeline, batches, {}, delivery);
    return { sent: new Set(batches.flat()), delivery, notes: ['each batch sent twice'] };
  },
  missed(row) {
    const misses = [...commonMisses(row), ...cleanDeliveryMisses(row)];
    if (row.published < row.stored) misses.push(`${row.stored - row.published} stored events not published`);
    return misses;
  },
};

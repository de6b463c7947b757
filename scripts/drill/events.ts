import { CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';

/** The drill's client id (the configuration registers it). */
export const DRILL_CLIENT_ID = 100001;
/** Campaign's documented batch size. */
const BATCH_SIZE = 100;

/** `count` events of every type as the Campaign simulator writes them, in batches, each as its JSON text. */
export function eventBatches(count: number, seed: number, batchSize = BATCH_SIZE): string[][] {
  const events = new CampaignEventFactory({ seed, clientId: DRILL_CLIENT_ID }).batch(count);
  const batches: string[][] = [];
  for (let offset = 0; offset < events.length; offset += batchSize) {
    batches.push(events.slice(offset, offset + batchSize).map((event) => JSON.stringify(event)));
  }
  return batches;
}

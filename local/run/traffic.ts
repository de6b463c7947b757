import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { type CampaignEvent, CampaignEventFactory } from '../campaign-simulator/event-factory.js';
import type { CampaignSimulator, DeliveryReport } from '../campaign-simulator/server.js';

/**
 * The simulated Campaign traffic: rounds of events drawn from a weighted mix of types, each round sent
 * the way Campaign sends, one POST per type to that type's webhook (the simulator as sender, with the
 * registered keyAuth header, retrying a non-2xx answer). A share of invalid events is mixed in, and some
 * batches are delivered a second time, as Campaign does when it did not get an answer.
 */

export interface TrafficOptions {
  /** Events per second; 0 sends round after round without pausing. */
  readonly rate: number;
  /** Events per delivery round (split into one POST per type). */
  readonly batchSize: number;
  /** Stop after this many generated events (redeliveries not counted). @default no limit */
  readonly events?: number;
  /** Stop after this many seconds. @default no limit */
  readonly durationSeconds?: number;
  /** Types and their weights. */
  readonly mix: ReadonlyArray<readonly [CampaignEventType, number]>;
  /** Share of events replaced by invalid ones (0..1). */
  readonly invalidRatio: number;
  /** Batches delivered a second time (round 3, then every 10th round). */
  readonly redeliveries: number;
  /** Seed of the event generator. */
  readonly seed: number;
}

/** A realistic day, made a bad one so the bounce and complaint alarms can be seen within a minute. */
export const DEFAULT_MIX: ReadonlyArray<readonly [CampaignEventType, number]> = [
  ['sent', 40],
  ['open', 18],
  ['click', 8],
  ['bounce', 14],
  ['unsubscribe', 3],
  ['spamcomplaint', 3],
  ['singleoptin', 2],
  ['confirmedoptin', 2],
  ['doubleoptin', 2],
  ['blocklist', 2],
  ['archive', 3],
  ['filteredbyblocklist', 3],
];

/** Rounds delivered at the same time at most (each round is one POST per event type it holds). */
export const POSTS_IN_FLIGHT = 4;

/** Rounds that redeliver a batch of the round before: round 3, then every 10th round (13, 23, ...). */
export function isRedeliveryRound(round: number): boolean {
  return round === 3 || (round > 3 && (round - 3) % 10 === 0);
}

/** The rounds a run with an events limit has; undefined when only a duration or Ctrl-C ends it. */
export function plannedRounds(options: TrafficOptions): number | undefined {
  return options.events === undefined ? undefined : Math.ceil(options.events / options.batchSize);
}

/**
 * Batches the traffic redelivers: `redeliveries`, but only as many as there are redelivery rounds.
 * `exact` is false when the rounds are not known ahead (a duration, or until stopped): then it is at most.
 */
export function plannedRedeliveries(options: TrafficOptions): { count: number; exact: boolean } {
  const rounds = plannedRounds(options);
  if (rounds === undefined) return { count: options.redeliveries, exact: false };
  let redeliveryRounds = 0;
  for (let round = 1; round <= rounds && redeliveryRounds < options.redeliveries; round++) {
    if (isRedeliveryRound(round)) redeliveryRounds++;
  }
  return { count: redeliveryRounds, exact: options.durationSeconds === undefined };
}

export interface DeliveredBatch {
  readonly round: number;
  readonly clientId: number;
  readonly type: CampaignEventType;
  readonly events: readonly unknown[];
  readonly invalid: number;
  readonly redelivery: boolean;
  /** One per active webhook of the type (normally one). */
  readonly reports: readonly DeliveryReport[];
}

export interface TrafficStats {
  rounds: number;
  /** Generated events (valid and invalid), redeliveries not counted. */
  events: number;
  invalid: number;
  redeliveredBatches: number;
  redeliveredEvents: number;
  /** POSTs that were not answered 2xx after every attempt. */
  undelivered: number;
}

export class TrafficGenerator {
  readonly stats: TrafficStats = {
    rounds: 0,
    events: 0,
    invalid: 0,
    redeliveredBatches: 0,
    redeliveredEvents: 0,
    undelivered: 0,
  };
  /** Resolves when the traffic ends (limit reached or stop()). */
  readonly done: Promise<void>;
  private stopped = false;
  private wake: () => void = () => {};
  private resolveDone: () => void = () => {};
  private readonly factories = new Map<number, CampaignEventFactory>();
  private readonly random: () => number;
  private invalidCarry = 0;
  private invalidIndex = 0;

  constructor(
    private readonly simulator: CampaignSimulator,
    private readonly clientIds: readonly number[],
    readonly options: TrafficOptions,
    private readonly onBatch: (batch: DeliveredBatch) => void,
  ) {
    if (options.mix.length === 0) throw new Error('The traffic mix has no event type');
    this.random = mulberry32(options.seed);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  start(): void {
    this.run().then(
      () => this.resolveDone(),
      () => this.resolveDone(),
    );
  }

  /** Ends the traffic after the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done;
  }

  private async run(): Promise<void> {
    const { rate, batchSize, events: limit, durationSeconds } = this.options;
    const startedAt = Date.now();
    const intervalMs = rate > 0 ? (batchSize / rate) * 1000 : 0;
    let previous: DeliveredBatch[] = [];
    let redeliveriesLeft = this.options.redeliveries;
    const inFlight = new Set<Promise<void>>();
    for (let round = 1; !this.stopped; round++) {
      if (durationSeconds !== undefined && Date.now() - startedAt >= durationSeconds * 1000) break;
      const size = limit === undefined ? batchSize : Math.min(batchSize, limit - this.stats.events);
      if (size <= 0) break;
      const clientId = this.clientIds[(round - 1) % this.clientIds.length] as number;
      const redeliver = redeliveriesLeft > 0 && isRedeliveryRound(round);
      if (redeliver) redeliveriesLeft--;
      // Rounds overlap (as Campaign's deliveries do), up to POSTS_IN_FLIGHT, so a slow answer does not
      // hold the next batch back. A redelivery repeats the largest batch of the last round answered
      // (this one's, when none was answered yet), once this round is answered.
      const delivery = this.deliverRound(round, clientId, size).then(async (batches) => {
        const candidates = previous.length > 0 ? previous : batches;
        previous = batches;
        const candidate = [...candidates].sort((a, b) => b.events.length - a.events.length)[0];
        if (!redeliver || candidate === undefined) return;
        const { clientId: owner, type, events, invalid } = candidate;
        await this.deliver(round, owner, type, events, invalid, true);
      });
      inFlight.add(delivery);
      const settled = () => inFlight.delete(delivery);
      delivery.then(settled, settled);
      if (inFlight.size >= POSTS_IN_FLIGHT) await Promise.race(inFlight);
      if (intervalMs > 0) await this.sleep(startedAt + round * intervalMs - Date.now());
    }
    await Promise.all(inFlight);
  }

  private async deliverRound(round: number, clientId: number, size: number): Promise<DeliveredBatch[]> {
    const factory = this.factoryFor(clientId);
    const groups = new Map<CampaignEventType, { events: unknown[]; invalid: number }>();
    const types = this.drawTypes(size, round === 1);
    this.invalidCarry += size * this.options.invalidRatio;
    let invalidLeft = Math.floor(this.invalidCarry);
    this.invalidCarry -= invalidLeft;
    const invalidPool = factory.invalidEvents();
    types.forEach((type, index) => {
      const group = groups.get(type) ?? { events: [], invalid: 0 };
      groups.set(type, group);
      // Invalid events replace the last events of the round, so the first round still covers every type.
      if (invalidLeft > 0 && index >= types.length - invalidLeft) {
        group.events.push(invalidPool[this.invalidIndex++ % invalidPool.length]);
        group.invalid++;
        return;
      }
      group.events.push(factory.event(type));
    });
    this.stats.rounds++;
    this.stats.events += size;
    this.stats.invalid += invalidLeft;
    invalidLeft = 0;
    return Promise.all(
      [...groups].map(([type, group]) =>
        this.deliver(round, clientId, type, group.events, group.invalid, false),
      ),
    );
  }

  private async deliver(
    round: number,
    clientId: number,
    type: CampaignEventType,
    events: readonly unknown[],
    invalid: number,
    redelivery: boolean,
  ): Promise<DeliveredBatch> {
    const reports = await this.simulator.deliver(clientId, type, events as CampaignEvent[]);
    this.stats.undelivered += reports.filter((report) => !report.delivered).length;
    if (redelivery) {
      this.stats.redeliveredBatches++;
      this.stats.redeliveredEvents += events.length;
    }
    const batch = { round, clientId, type, events, invalid, redelivery, reports };
    this.onBatch(batch);
    return batch;
  }

  /** `size` types drawn by weight; the first round starts with one of each type. */
  private drawTypes(size: number, coverEveryType: boolean): CampaignEventType[] {
    const types: CampaignEventType[] = coverEveryType
      ? this.options.mix.map(([type]) => type).slice(0, size)
      : [];
    const total = this.options.mix.reduce((sum, [, weight]) => sum + weight, 0);
    while (types.length < size) {
      let pick = this.random() * total;
      let chosen = this.options.mix.at(-1) as readonly [CampaignEventType, number];
      for (const entry of this.options.mix) {
        pick -= entry[1];
        if (pick < 0) {
          chosen = entry;
          break;
        }
      }
      types.push(chosen[0]);
    }
    return types;
  }

  private factoryFor(clientId: number): CampaignEventFactory {
    let factory = this.factories.get(clientId);
    if (factory === undefined) {
      factory = new CampaignEventFactory({ clientId, seed: this.options.seed + clientId });
      this.factories.set(clientId, factory);
    }
    return factory;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** A small seeded generator (mulberry32), so a run's traffic is the same for the same seed. */
function mulberry32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

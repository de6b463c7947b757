import { CAMPAIGN_EVENT_TYPES, type CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { MAILING_EVENT_TYPES } from '../../functions/shared/events/schema.js';

/**
 * Realistic Campaign webhook events, for the simulator, the local run, tests and benchmarks.
 *
 * The payload shape is only partly documented. Fields seen in
 * public integrations are used by their published names (`clientId`, `type`, `mailingId`, `recipientId`,
 * `userListId`, `mediaTypesToAddresses`, `link`). The rest are ASSUMPTIONS, recorded in docs/PAYLOAD.md:
 * - `created`: the event's own time (ISO-8601), named like the `created` field of Campaign's REST records;
 * - bounces: `bounceCategory` (hardbounce | softbounce), `bounceReason` (spam-related | other), `mediaType`;
 * - the type of an archive event arrives as `archived`, as the webhook list reports it.
 */
export interface CampaignEvent {
  type: string;
  clientId: number;
  mailingId?: number;
  recipientId?: string;
  userListId?: number;
  mediaTypesToAddresses?: Record<string, string>;
  created?: string;
  [field: string]: unknown;
}

export interface EventFactoryOptions {
  /** @default 100001 */
  readonly clientId?: number;
  /** Seed for the deterministic pseudo-random generator. @default 1 */
  readonly seed?: number;
  /** Clock for the `created` field. @default () => new Date() */
  readonly now?: () => Date;
}

/** The factory also gives filtered-by-blocklist events a mailing: they are refused sends of one. */
const MAILING_TYPES: ReadonlySet<CampaignEventType> = new Set([
  ...MAILING_EVENT_TYPES,
  'filteredbyblocklist',
]);

/** A seeded generator of Campaign events, so a test or a benchmark sees the same stream on every run. */
export class CampaignEventFactory {
  private readonly clientId: number;
  private readonly now: () => Date;
  private state: number;

  constructor(options: EventFactoryOptions = {}) {
    this.clientId = options.clientId ?? 100001;
    this.now = options.now ?? (() => new Date());
    this.state = options.seed ?? 1;
  }

  /** One event of the given type; `overrides` replace or add fields. */
  event(type: CampaignEventType, overrides: Partial<CampaignEvent> = {}): CampaignEvent {
    const recipientNumber = this.nextInt(1, 5000);
    const address = `recipient${recipientNumber}@example.com`;
    const event: CampaignEvent = {
      type: type === 'archive' ? 'archived' : type,
      clientId: this.clientId,
      recipientId: address,
      userListId: 2000 + this.nextInt(0, 4),
      mediaTypesToAddresses: { EMAIL: address },
      created: new Date(this.now().getTime() - this.nextInt(0, 30_000)).toISOString(),
    };
    // Real mailings only: 900001 is the test mailing the examples configure as verifyMailingId.
    if (MAILING_TYPES.has(type)) event.mailingId = 900002 + this.nextInt(0, 9);
    if (type === 'click')
      event.link = `https://www.example.com/offers/${this.nextInt(1, 40)}?utm_source=campaign`;
    if (type === 'bounce') {
      const hard = this.nextInt(0, 3) === 0;
      event.bounceCategory = hard ? 'hardbounce' : 'softbounce';
      event.bounceReason = this.nextInt(0, 9) === 0 ? 'spam-related' : 'other';
      event.mediaType = 'EMAIL';
    }
    return { ...event, ...overrides };
  }

  /** A batch of `size` events, cycling through `types` (default: every type) in a shuffled order. */
  batch(size: number, types: readonly CampaignEventType[] = CAMPAIGN_EVENT_TYPES): CampaignEvent[] {
    const events: CampaignEvent[] = [];
    for (let i = 0; i < size; i++) {
      const type = types[this.nextInt(0, types.length - 1)] as CampaignEventType;
      events.push(this.event(type));
    }
    return events;
  }

  /** Events the ingest must quarantine: each breaks one rule the product relies on. */
  invalidEvents(): unknown[] {
    const valid = this.event('open');
    const { clientId: _clientId, ...withoutClient } = valid;
    const { recipientId: _recipientId, mediaTypesToAddresses: _addresses, ...withoutRecipient } = valid;
    return [
      { ...valid, type: 'teleport' },
      withoutClient,
      withoutRecipient,
      { ...valid, clientId: 'not-a-number' },
      'just a string',
    ];
  }

  /** Integer in [min, max], from mulberry32, a small deterministic generator (not for cryptography). */
  private nextInt(min: number, max: number): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return min + Math.floor(unit * (max - min + 1));
  }
}

import type { PublishedMessage } from '../sns-stand-in.js';
import type { LocalServices } from './services.js';
import type { StreamLag } from './stream-lag.js';

/**
 * Faults a test or a drill injects into a running pipeline, each on its own and each undone by its
 * `clear`/`restore`. They act on the services (never on the handlers): SNS refusing entries or whole
 * requests, DynamoDB unreachable, slow or restarted (through the handlers' gate), Secrets Manager
 * unreachable.
 */
export interface PipelineFaults {
  readonly sns: {
    /**
     * Each publish entry to an event topic is refused with probability `rate`, on every attempt
     * (InternalError, not the sender's fault: a retry may succeed). Seeded, so a run can be repeated.
     */
    failTransiently(rate: number, options?: { seed?: number }): void;
    /** Every SNS request is refused (503 ServiceUnavailable) for `ms` from now. */
    outage(ms: number): void;
    /** The message of this event key is refused forever as the sender's fault (InvalidParameter). */
    poison(eventKey: string): void;
    /** Entries refused so far, by the kind of fault. */
    readonly refused: { transient: number; poison: number };
    clear(): void;
  };
  readonly stream: {
    /**
     * Records the fan-out reads from now on appear `ms` older (a fan-out that far behind its stream): how
     * a test or drill reaches the hold age and the stream's retention in seconds.
     */
    lag(ms: number): void;
    clear(): void;
  };
  readonly dynamodb: {
    /** Every connection of the handlers to DynamoDB is dropped (the harness still reaches it). */
    refuse(): void;
    /** Each request of the handlers reaches DynamoDB `ms` later. */
    delay(ms: number): void;
    restore(): void;
    /** DynamoDB Local killed (SIGKILL) and, after `downMs`, restarted on its data directory. */
    restart(downMs?: number): Promise<void>;
  };
  readonly secretsManager: {
    /** Every connection to Secrets Manager is dropped until restore(). */
    unreachable(): void;
    restore(): void;
  };
}

export function pipelineFaults(
  services: LocalServices,
  eventTopicArns: Iterable<string>,
  streamLag: StreamLag,
): PipelineFaults {
  const eventTopics = new Set(eventTopicArns);
  const refused = { transient: 0, poison: 0 };
  const { sns } = services;
  return {
    sns: {
      failTransiently(rate, options = {}) {
        if (!(rate >= 0 && rate <= 1)) throw new Error(`rate must be within 0..1, got ${rate}`);
        const random = seededRandom(options.seed ?? 1);
        sns.failWhen((entry) => {
          if (!eventTopics.has(entry.topicArn) || random() >= rate) return false;
          refused.transient++;
          return true;
        });
      },
      outage(ms) {
        const until = Date.now() + ms;
        sns.failWhile(() => Date.now() < until, 503, 'ServiceUnavailable');
      },
      poison(eventKey) {
        sns.failWhen(
          (entry) => {
            if (eventKeyOf(entry) !== eventKey) return false;
            refused.poison++;
            return true;
          },
          { code: 'InvalidParameter', status: 400, senderFault: true, message: 'Invalid parameter: Message' },
        );
      },
      refused,
      clear: () => sns.clearFailures(),
    },
    stream: {
      lag: (ms) => streamLag.set(ms),
      clear: () => streamLag.set(0),
    },
    dynamodb: {
      refuse: () => services.dynamodb.handlerGate.setMode({ kind: 'refuse' }),
      delay: (ms) => services.dynamodb.handlerGate.setMode({ kind: 'delay', ms }),
      restore: () => services.dynamodb.handlerGate.setMode({ kind: 'open' }),
      restart: (downMs) => services.dynamodb.restart(downMs),
    },
    secretsManager: {
      unreachable: () => services.secrets.setReachable(false),
      restore: () => services.secrets.setReachable(true),
    },
  };
}

function eventKeyOf(entry: PublishedMessage): string | undefined {
  try {
    return (JSON.parse(entry.message) as { eventKey?: string }).eventKey;
  } catch {
    return undefined;
  }
}

/** mulberry32: a small seeded generator, so a drill's faults repeat from run to run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

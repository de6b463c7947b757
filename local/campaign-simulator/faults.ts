import type { CampaignOperation } from '../../functions/shared/campaign-api/types.js';

/**
 * Fault injection for the simulated management API: fail the next N requests (429 with Retry-After,
 * 503, any status), optionally only for some operations and optionally after the change was made
 * (a lost response), add latency, or take the whole API down.
 */

export interface FailureSpec {
  /** @default 503 */
  readonly status?: number;
  /** Sent as the Retry-After header (seconds). */
  readonly retryAfterSeconds?: number;
  /** Only requests for these operations are failed (and counted). @default every operation */
  readonly operations?: readonly CampaignOperation[];
  /** Carry the request out, then answer with the failure: Campaign acted but the caller cannot know. */
  readonly afterProcessing?: boolean;
}

export interface InjectedFailure {
  readonly status: number;
  readonly retryAfterSeconds?: number;
  readonly afterProcessing: boolean;
}

/** `refuse`: connections refused; `reset`: connections dropped mid-request; `503`: every request answered 503. */
export type OutageMode = 'refuse' | 'reset' | '503';

interface PendingFailure extends InjectedFailure {
  remaining: number;
  readonly operations?: ReadonlySet<CampaignOperation>;
}

export class FaultInjector {
  private readonly pending: PendingFailure[] = [];
  private latency: { ms: number; operations?: ReadonlySet<CampaignOperation> } | undefined;
  /** Failures handed out so far (for tests that check retries happened). */
  injectedCount = 0;

  /** Fail the next `count` matching requests. Rules queue up: the oldest with requests left applies first. */
  failNext(count: number, spec: FailureSpec = {}): void {
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`count must be a positive integer, got ${count}`);
    this.pending.push({
      remaining: count,
      status: spec.status ?? 503,
      afterProcessing: spec.afterProcessing ?? false,
      ...(spec.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: spec.retryAfterSeconds }),
      ...(spec.operations ? { operations: new Set(spec.operations) } : {}),
    });
  }

  /** Delay every (matching) response by `ms`; 0 removes the latency. */
  setLatency(ms: number, operations?: readonly CampaignOperation[]): void {
    this.latency = ms > 0 ? { ms, ...(operations ? { operations: new Set(operations) } : {}) } : undefined;
  }

  latencyFor(operation: CampaignOperation): number {
    if (this.latency === undefined) return 0;
    return this.latency.operations === undefined || this.latency.operations.has(operation)
      ? this.latency.ms
      : 0;
  }

  /** The failure to inject for this request, if any (consumes one). */
  take(operation: CampaignOperation): InjectedFailure | undefined {
    const rule = this.pending.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (candidate.operations === undefined || candidate.operations.has(operation)),
    );
    if (rule === undefined) return undefined;
    rule.remaining--;
    this.injectedCount++;
    return {
      status: rule.status,
      afterProcessing: rule.afterProcessing,
      ...(rule.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: rule.retryAfterSeconds }),
    };
  }

  /** Injected failures still queued. */
  get pendingCount(): number {
    return this.pending.reduce((sum, rule) => sum + rule.remaining, 0);
  }

  clear(): void {
    this.pending.length = 0;
    this.latency = undefined;
  }
}

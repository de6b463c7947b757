import type { PublishedMessage } from './messages.js';

/** How a refused entry is reported. Defaults: InternalError, 500, SenderFault false. */
export interface InjectedFailure {
  code?: string;
  message?: string;
  /** HTTP status of a refused Publish (PublishBatch reports the entry in Failed[] with HTTP 200). */
  status?: number;
  senderFault?: boolean;
}

export type EntryFailure = Required<Pick<InjectedFailure, 'code' | 'message' | 'status' | 'senderFault'>>;

interface FailureRule {
  predicate: (entry: PublishedMessage) => boolean;
  failure: EntryFailure;
}

interface RequestFailure {
  readonly status: number;
  readonly code: string;
}

/** The SNS stand-in's fault injection: refused entries, failed requests, an outage (see SnsStandIn). */
export class SnsFaults {
  private rules: FailureRule[] = [];
  private requestFailures: RequestFailure[] = [];
  private outage: (RequestFailure & { failing: () => boolean }) | undefined;

  failWhen(predicate: (entry: PublishedMessage) => boolean, failure: InjectedFailure = {}): void {
    const code = failure.code ?? 'InternalError';
    this.rules.push({
      predicate,
      failure: {
        code,
        message: failure.message ?? `Injected failure (failWhen): ${code}`,
        status: failure.status ?? (code === 'InternalError' ? 500 : 400),
        senderFault: failure.senderFault ?? false,
      },
    });
  }

  failWhile(failing: () => boolean, status = 503, code?: string): void {
    this.outage = { failing, status, code: code ?? defaultErrorCode(status) };
  }

  failRequests(n: number, status = 500, code?: string): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`failRequests takes a non-negative integer, got ${n}`);
    const errorCode = code ?? defaultErrorCode(status);
    for (let i = 0; i < n; i++) this.requestFailures.push({ status, code: errorCode });
  }

  clearFailures(): void {
    this.rules = [];
    this.outage = undefined;
  }

  reset(): void {
    this.rules = [];
    this.requestFailures = [];
    this.outage = undefined;
  }

  /** The failure a publish of `entry` meets, if a rule refuses it. */
  entryFailure(entry: PublishedMessage): EntryFailure | undefined {
    return this.rules.find((rule) => rule.predicate(entry))?.failure;
  }

  /** The failure the next request meets before any processing (the outage, else the next failRequests one). */
  nextRequestFailure(): RequestFailure | undefined {
    return this.outage?.failing() ? this.outage : this.requestFailures.shift();
  }
}

function defaultErrorCode(status: number): string {
  if (status === 429) return 'Throttled';
  if (status === 503) return 'ServiceUnavailable';
  return status >= 500 ? 'InternalError' : 'InvalidParameter';
}

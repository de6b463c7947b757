import type { AlarmTransition } from './alarms.js';
import type { LogRecord } from './log-sink.js';
import type { SlackPost } from './slack-receiver.js';
import type { DeliveredBatch } from './traffic.js';
import type { WebhookRegistrationResult } from './webhooks.js';

/** What the local run reports as it happens; the live view (view.ts) prints it. */
export type Activity =
  | { readonly kind: 'step'; readonly message: string }
  | { readonly kind: 'note'; readonly message: string }
  | { readonly kind: 'webhooks'; readonly registrations: readonly WebhookRegistrationResult[] }
  | { readonly kind: 'batch'; readonly batch: DeliveredBatch; readonly answer: IngestAnswer | undefined }
  /** A POST that did not come from the simulated Campaign (curl, a test, your own client). */
  | { readonly kind: 'request'; readonly userAgent: string; readonly answer: IngestAnswer }
  | { readonly kind: 'first-published'; readonly eventType: string; readonly afterMs: number }
  | { readonly kind: 'parked'; readonly records: number }
  | { readonly kind: 'alarm'; readonly transition: AlarmTransition }
  | { readonly kind: 'email'; readonly email: RenderedEmail }
  | { readonly kind: 'slack'; readonly post: SlackPost }
  | { readonly kind: 'lambda-failure'; readonly functionName: string; readonly error: string }
  | { readonly kind: 'log'; readonly record: LogRecord };

/** The ingest's 200 answer (counts), or the status of any other answer. */
export interface IngestAnswer {
  readonly status: number;
  readonly received?: number;
  readonly accepted?: number;
  readonly quarantined?: number;
  readonly duplicates?: number;
  readonly quarantinedEvents?: ReadonlyArray<{ index: number; eventKey: string; issues: readonly string[] }>;
  readonly message?: string;
}

/** An alert as an email subscription of the alerts topic would receive it. */
export interface RenderedEmail {
  readonly topic: string;
  /** The subscription's filter policy, if any. */
  readonly filterPolicy?: object;
  readonly severity?: string;
  readonly subject: string;
  readonly body: string;
}

export type ActivityListener = (activity: Activity) => void;

import type { RenderedEmail } from '../pipeline/alert-path.js';
import type { IngestAnswer } from '../pipeline/data-path.js';
import type { LogRecord } from '../pipeline/log-sink.js';
import type { SlackPost } from '../pipeline/slack-receiver.js';
import type { AlarmTransition } from './alarms.js';
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

export type { IngestAnswer, RenderedEmail };

export type ActivityListener = (activity: Activity) => void;

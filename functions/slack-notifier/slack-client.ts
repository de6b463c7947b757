import type { SlackMessage } from './slack-message.js';

export interface SlackPostOptions {
  /** Attempts in this invocation, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** First backoff delay; doubles per attempt, with jitter. @default 500 */
  readonly baseDelayMs?: number;
  /** Longest backoff delay. @default 8000 */
  readonly maxDelayMs?: number;
  /**
   * Longest Retry-After honoured within the invocation; a longer one ends this invocation with a
   * retryable error, leaving the wait to Lambda's asynchronous retries. @default 20000
   */
  readonly maxRetryAfterMs?: number;
  /** Per-request timeout. @default 5000 */
  readonly attemptTimeoutMs?: number;
  /**
   * Epoch milliseconds by which the post must be over (the invocation's end, minus a margin). An attempt
   * starts only when it can run its whole `attemptTimeoutMs` before it, a wait included; otherwise the post
   * fails at once with a retryable error, leaving the retry to Lambda, instead of being killed mid-way.
   * @default no deadline
   */
  readonly deadline?: number;
  /** Clock for the deadline. @default Date.now */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetchImpl?: typeof fetch;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export interface SlackPostResult {
  readonly attempts: number;
}

export interface SlackDeliveryDetails {
  readonly attempts: number;
  readonly status?: number;
  /** False for answers that will not change on retry (400, 403, 404, 410). */
  readonly retryable: boolean;
  /** Slack's error code from the response body (e.g. `invalid_payload`, `no_service`), when it sent one. */
  readonly slackError?: string;
  /** The invocation's deadline stopped the retries (the last attempt's outcome is in the other fields). */
  readonly outOfTime?: true;
}

/** Delivery to Slack failed. The message never contains the webhook URL. */
export class SlackDeliveryError extends Error {
  override readonly name = 'SlackDeliveryError';
  constructor(
    message: string,
    readonly details: SlackDeliveryDetails,
  ) {
    super(message);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Posts a message to a Slack incoming webhook. Retries network errors, timeouts, 5xx and 429 (waiting for
 * Retry-After when Slack sends one) with bounded exponential backoff; gives up at once on other 4xx, and
 * before a wait and attempt that would not end by the deadline.
 */
export async function postToSlack(
  webhookUrl: URL,
  message: SlackMessage,
  options: SlackPostOptions = {},
): Promise<SlackPostResult> {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 8000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 20_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
  const sleep = options.sleep ?? defaultSleep;
  const fetchImpl = options.fetchImpl ?? fetch;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  const body = JSON.stringify(message);
  /** Whether an attempt after `waitMs` still ends (at its timeout, at worst) by the deadline. */
  const fits = (waitMs: number) =>
    options.deadline === undefined || now() + waitMs + attemptTimeoutMs <= options.deadline;

  if (!fits(0)) {
    throw new SlackDeliveryError(
      `Not enough time left in this invocation for an attempt of up to ${attemptTimeoutMs} ms; Lambda will retry`,
      { attempts: 0, retryable: true, outOfTime: true },
    );
  }
  let lastFailure: SlackDeliveryError | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let waitMs: number | undefined;
    try {
      const response = await fetchImpl(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
        signal: AbortSignal.timeout(attemptTimeoutMs),
      });
      const responseText = await response.text().catch(() => '');
      if (response.ok) return { attempts: attempt };
      const slackError = slackErrorCode(responseText);
      const retryable = response.status === 429 || response.status >= 500;
      lastFailure = new SlackDeliveryError(
        `Slack answered HTTP ${response.status}${slackError ? ` (${slackError})` : ''} on attempt ${attempt} of ${maxAttempts}`,
        { attempts: attempt, status: response.status, retryable, ...(slackError ? { slackError } : {}) },
      );
      if (!retryable) throw lastFailure;
      if (response.status === 429) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        if (retryAfterMs !== undefined) {
          if (retryAfterMs > maxRetryAfterMs) {
            throw new SlackDeliveryError(
              `Slack rate-limited the webhook for ${Math.ceil(retryAfterMs / 1000)} s, longer than this invocation waits; Lambda will retry`,
              { attempts: attempt, status: 429, retryable: true },
            );
          }
          waitMs = retryAfterMs;
        }
      }
    } catch (error) {
      if (error instanceof SlackDeliveryError) throw error;
      lastFailure = new SlackDeliveryError(
        `Could not reach Slack (${describeNetworkError(error)}) on attempt ${attempt} of ${maxAttempts}`,
        { attempts: attempt, retryable: true },
      );
    }
    if (attempt < maxAttempts) {
      const delayMs = waitMs ?? backoffMs(attempt, baseDelayMs, maxDelayMs, random);
      if (!fits(delayMs)) throw outOfTime(lastFailure, delayMs);
      await sleep(delayMs);
    }
  }
  throw (
    lastFailure ?? new SlackDeliveryError('Slack delivery failed', { attempts: maxAttempts, retryable: true })
  );
}

/** The last attempt's failure, ended early because waiting and trying again would outlast the invocation. */
function outOfTime(last: SlackDeliveryError | undefined, delayMs: number): SlackDeliveryError {
  const details = last?.details ?? { attempts: 0, retryable: true };
  const lastOutcome = last === undefined ? '' : `${last.message}; `;
  return new SlackDeliveryError(
    `${lastOutcome}not enough time left in this invocation to wait ${Math.ceil(delayMs / 1000)} s and try again; Lambda will retry`,
    { ...details, retryable: true, outOfTime: true },
  );
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Retry-After is either delay-seconds or an HTTP date; returns milliseconds, or undefined if unusable. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

/** Slack's webhook errors are short snake_case codes; anything else is not echoed. */
function slackErrorCode(text: string): string | undefined {
  const trimmed = text.trim();
  return /^[a-z_]{1,60}$/.test(trimmed) ? trimmed : undefined;
}

/** A network error's kind (code or name), never its message: Node's messages can quote the URL. */
function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
    const cause = (error as Error & { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === 'string') return cause.code;
    return error.name;
  }
  return 'unknown error';
}

import type { Pipeline } from '../../local/pipeline/assemble.js';

/**
 * The drill's Campaign: POSTs batches of event texts with the endpoint key and, as Campaign does with a
 * failed delivery, sends a batch again after a 429 or a 5xx (or no answer) until it is acknowledged or the
 * budget is spent. Every answer's status is kept (a scenario checks that no 500 was among them).
 */
export interface SendOptions {
  /** Longest a batch is retried for. @default 180 s */
  readonly budgetMs?: number;
  /** Called with each answer's status (0: no answer), before a retry. */
  readonly onAnswer?: (status: number) => void | Promise<void>;
}

export interface Delivery {
  /** The event texts of every batch that got a 2xx. */
  readonly acknowledged: Set<string>;
  /** Every status answered, in order (0: no answer). */
  readonly statuses: number[];
}

export async function sendAsCampaign(
  pipeline: Pipeline,
  batches: ReadonlyArray<readonly string[]>,
  options: SendOptions = {},
  delivery: Delivery = { acknowledged: new Set(), statuses: [] },
): Promise<Delivery> {
  for (const batch of batches) {
    const deadline = Date.now() + (options.budgetMs ?? 180_000);
    for (let attempt = 0; ; attempt++) {
      const status = await post(pipeline, `[${batch.join(',')}]`);
      delivery.statuses.push(status);
      await options.onAnswer?.(status);
      if (status >= 200 && status < 300) {
        for (const text of batch) delivery.acknowledged.add(text);
        break;
      }
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || Date.now() >= deadline) break;
      await sleep(Math.min(5_000, 200 * 2 ** attempt));
    }
  }
  return delivery;
}

async function post(pipeline: Pipeline, body: string): Promise<number> {
  try {
    const response = await fetch(pipeline.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [pipeline.authHeaderName]: pipeline.endpointKey },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

import { type BackoffPolicy, type RetryClock, waitForRetry } from './backoff.js';
import { publishFailureKind } from './publish-errors.js';
import type { MessageToPublish, Publisher, PublishFailure } from './publisher.js';

export interface RetryBudget {
  /** Epoch ms after which no retry starts (the invocation's time budget). */
  readonly deadline: number;
  readonly policy: BackoffPolicy;
  readonly clock: RetryClock;
  /** Called after each round with the failures still to retry; may pull the deadline in. */
  readonly deadlineFor?: (stillFailing: readonly string[]) => number;
}

export interface RetriedOutcome {
  readonly publishedIds: ReadonlySet<string>;
  /** Messages SNS refused as their own fault (never to be published as they are), by id. */
  readonly permanent: ReadonlyMap<string, PublishFailure>;
  /** Messages still refused for a transient reason when the budget ran out, by id. */
  readonly transient: ReadonlyMap<string, PublishFailure>;
  /** PublishBatch calls made. */
  readonly requests: number;
  /** Publish attempts beyond each message's first. */
  readonly retries: number;
}

/**
 * Publishes the messages to one topic and retries those SNS refused for a transient reason, with
 * backoff and jitter, until they are out or the budget ends. A message refused as the sender's fault in
 * a call that failed as a whole is tried again alone, so one invalid message cannot condemn its nine
 * neighbours; refused alone, it is permanent.
 */
export async function publishWithRetry(
  publisher: Publisher,
  topicArn: string,
  messages: readonly MessageToPublish[],
  budget: RetryBudget,
): Promise<RetriedOutcome> {
  const byId = new Map(messages.map((message) => [message.id, message]));
  const publishedIds = new Set<string>();
  const permanent = new Map<string, PublishFailure>();
  let transient = new Map<string, PublishFailure>();
  let pending: string[] = [...byId.keys()];
  let alone = new Set<string>();
  let requests = 0;
  let retries = 0;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) {
      retries += pending.length;
      const deadline = Math.min(budget.deadline, budget.deadlineFor?.(pending) ?? Number.POSITIVE_INFINITY);
      if (!(await waitForRetry(attempt - 1, deadline, budget.policy, budget.clock))) break;
    }
    const round = await publishRound(publisher, topicArn, pending, alone, byId);
    requests += round.requests;
    for (const id of round.publishedIds) publishedIds.add(id);
    transient = new Map();
    const nextAlone = new Set<string>();
    for (const failure of round.failures) {
      if (publishFailureKind(failure.code) === 'transient') transient.set(failure.id, failure);
      else if (failure.wholeCall && !alone.has(failure.id)) nextAlone.add(failure.id);
      else permanent.set(failure.id, failure);
    }
    alone = nextAlone;
    pending = [...transient.keys(), ...alone];
  }
  return { publishedIds, permanent, transient, requests, retries };
}

/** One attempt for each pending message: together in batches, or alone for those to isolate. */
async function publishRound(
  publisher: Publisher,
  topicArn: string,
  pending: readonly string[],
  alone: ReadonlySet<string>,
  byId: ReadonlyMap<string, MessageToPublish>,
): Promise<{ publishedIds: string[]; failures: PublishFailure[]; requests: number }> {
  const together = pending.filter((id) => !alone.has(id)).map((id) => byId.get(id) as MessageToPublish);
  const calls = [
    ...(together.length > 0 ? [together] : []),
    ...[...alone].map((id) => [byId.get(id) as MessageToPublish]),
  ];
  const outcomes = await Promise.all(calls.map((batch) => publisher.publish(topicArn, batch)));
  return {
    publishedIds: outcomes.flatMap((outcome) => [...outcome.publishedIds]),
    failures: outcomes.flatMap((outcome) => [...outcome.failures]),
    requests: outcomes.reduce((sum, outcome) => sum + outcome.requests, 0),
  };
}

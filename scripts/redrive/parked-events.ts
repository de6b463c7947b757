import { toMessage } from '../../functions/fan-out/message.js';
import type { MessageToPublish, Publisher } from '../../functions/fan-out/publisher.js';
import { parseSetAside, type SetAsideRecord } from '../../functions/fan-out/set-aside.js';
import { type CampaignEventType, isCampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { readImage } from '../../functions/shared/events/stored-event.js';
import { type DeadLetterMessage, type DeadLetterQueue, RECEIVE_LIMIT } from './dead-letter-queue.js';

/**
 * The replay of the parked-events queue (`npm run redrive -- --parked`): each message is one event the
 * fan-out could never publish as it was. After the fix, its message is built again from the stored image
 * with today's fan-out code and topics (a fix in the code or the configuration applies), or, without an
 * image, taken as parked; published to its type's topic; and the message deleted only once SNS took it.
 */
export interface ParkedReplaySettings {
  readonly queue: DeadLetterQueue;
  readonly publisher: Publisher;
  readonly topicArns: ReadonlyMap<CampaignEventType, string>;
  readonly dryRun: boolean;
  readonly maxMessages?: number;
}

type Rebuilt =
  | { readonly topicArn: string; readonly message: MessageToPublish }
  | { readonly problem: string };

export async function replayParkedEvents(
  settings: ParkedReplaySettings,
  out: (line: string) => void,
): Promise<{ exitCode: number }> {
  const counts = { messages: 0, replayed: 0, kept: 0 };
  const received: DeadLetterMessage[] = [];
  const limit = settings.maxMessages ?? Number.POSITIVE_INFINITY;
  while (counts.messages < limit) {
    const batch = await settings.queue.receive(Math.min(RECEIVE_LIMIT, limit - counts.messages));
    if (batch.length === 0) break;
    for (const message of batch) {
      counts.messages++;
      received.push(message);
      const kept = await replayOne(message, settings, out);
      counts[kept ? 'kept' : 'replayed']++;
    }
  }
  // A dry run leaves every message visible again for the real run.
  if (settings.dryRun) for (const message of received) await settings.queue.release(message);
  const verb = settings.dryRun ? 'would be replayed' : 'replayed and deleted';
  out(
    `Summary: ${counts.messages} parked event(s), ${counts.replayed} ${verb}, ${counts.kept} left in the queue`,
  );
  return { exitCode: counts.kept === 0 ? 0 : 1 };
}

/** Replays one parked event; true when its message stays in the queue. */
async function replayOne(
  message: DeadLetterMessage,
  settings: ParkedReplaySettings,
  out: (line: string) => void,
): Promise<boolean> {
  const parked = parseSetAside(message.body);
  if (parked === undefined) {
    out(`${message.messageId}: not a parked event; kept`);
    await settings.queue.release(message);
    return true;
  }
  const label = `${parked.eventKey ?? message.messageId} (parked for ${parked.reason})`;
  const rebuilt = rebuild(parked, settings.topicArns);
  if ('problem' in rebuilt) {
    out(`${label}: cannot be published yet: ${rebuilt.problem}; kept`);
    await settings.queue.release(message);
    return true;
  }
  if (settings.dryRun) {
    out(`${label}: would publish to ${rebuilt.topicArn}`);
    return false;
  }
  const outcome = await settings.publisher.publish(rebuilt.topicArn, [rebuilt.message]);
  const [failure] = outcome.failures;
  if (failure !== undefined) {
    out(`${label}: SNS refused it again (${failure.code}: ${failure.message}); kept`);
    await settings.queue.release(message);
    return true;
  }
  await settings.queue.delete(message);
  out(`${label}: published to ${rebuilt.topicArn}; deleted`);
  return false;
}

/** The event's message as today's fan-out builds it, and its type's topic today. */
function rebuild(parked: SetAsideRecord, topicArns: ReadonlyMap<CampaignEventType, string>): Rebuilt {
  let body: { body: string; attributes: MessageToPublish['attributes'] } | undefined = parked.message;
  let eventType = parked.eventType;
  if (parked.image !== undefined) {
    const reading = readImage(parked.image);
    if (reading.kind !== 'accepted') {
      return {
        problem: reading.kind === 'unreadable' ? `unreadable image: ${reading.reason}` : reading.status,
      };
    }
    body = toMessage(reading.event);
    eventType = reading.event.eventType;
  }
  if (body === undefined) return { problem: 'the parked message has neither image nor message' };
  const topicArn = (isCampaignEventType(eventType) ? topicArns.get(eventType) : undefined) ?? parked.topicArn;
  if (topicArn === undefined) return { problem: `no topic for ${eventType ?? 'its type'}` };
  return { topicArn, message: { id: '0', body: body.body, attributes: body.attributes } };
}

import {
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchCommandOutput,
  type PublishBatchRequestEntry,
} from '@aws-sdk/client-sns';
import { forEachConcurrently } from '../shared/batching.js';

/** PublishBatch's limits: entries per call, and bytes per call (messages and attributes together). */
export const PUBLISH_BATCH_LIMIT = 10;
export const PUBLISH_BATCH_MAX_BYTES = 256 * 1024;

/** The part of the SNS client the publisher uses. */
export interface PublishBatchClient {
  send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput>;
}

export interface MessageToPublish {
  /** The caller's id for this message, unique within one `publish` call; failures are reported by it. */
  readonly id: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
}

export interface PublishFailure {
  readonly id: string;
  readonly code: string;
  readonly message: string;
  /** The whole PublishBatch call failed (not this entry alone): the code may be another entry's fault. */
  readonly wholeCall?: boolean;
}

export interface PublishOutcome {
  readonly publishedIds: readonly string[];
  readonly failures: readonly PublishFailure[];
  /** PublishBatch calls made. */
  readonly requests: number;
}

export interface Publisher {
  /** Publishes every message to the topic; never throws for a failed message, reports it instead. */
  publish(topicArn: string, messages: readonly MessageToPublish[]): Promise<PublishOutcome>;
}

/**
 * PublishBatch calls in flight at once per `publish`: every call of a full stream batch (100 records of
 * one type) at once. With 4 in flight the same calls cost the fan-out markedly more CPU per event
 * (docs/PERFORMANCE.md, "Warm").
 */
export const PUBLISH_CONCURRENCY = 10;

export interface PublisherOptions {
  readonly client: PublishBatchClient;
  /** @default PUBLISH_CONCURRENCY */
  readonly concurrency?: number;
}

/**
 * Publishes with SNS PublishBatch: at most 10 entries and 256 KiB per call, calls run concurrently.
 * A call that fails as a whole (after the SDK's own retries) fails every entry in it (`wholeCall`); an
 * entry SNS rejects, or does not mention in its answer, is reported as failed. Nothing is retried here:
 * the caller decides (the fan-out's publish-with-retry.ts).
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const concurrency = options.concurrency ?? PUBLISH_CONCURRENCY;
  return {
    async publish(topicArn, messages) {
      const publishedIds: string[] = [];
      const failures: PublishFailure[] = [];
      const { batches, oversized } = packBatches(messages);
      for (const message of oversized) {
        failures.push({
          id: message.id,
          code: 'MessageTooLarge',
          message: `message is ${messageBytes(message)} bytes; SNS accepts at most ${PUBLISH_BATCH_MAX_BYTES}`,
        });
      }
      let requests = 0;
      await forEachConcurrently(batches, concurrency, async (batch) => {
        requests++;
        // Entry ids only need to be unique within one call: the position keeps them short and valid.
        const entries: PublishBatchRequestEntry[] = batch.map((message, index) => ({
          Id: String(index),
          Message: message.body,
          MessageAttributes: { ...message.attributes },
        }));
        let output: PublishBatchCommandOutput;
        try {
          output = await options.client.send(
            new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }),
          );
        } catch (error) {
          const { name, message } = error as Error;
          for (const entry of batch) failures.push({ id: entry.id, code: name, message, wholeCall: true });
          return;
        }
        const succeeded = new Set((output.Successful ?? []).map((entry) => entry.Id));
        const failed = new Map((output.Failed ?? []).map((entry) => [entry.Id, entry]));
        batch.forEach((message, index) => {
          const id = String(index);
          const failure = failed.get(id);
          if (failure !== undefined) {
            failures.push({
              id: message.id,
              code: failure.Code ?? 'Unknown',
              message: failure.Message ?? '',
            });
          } else if (succeeded.has(id)) {
            publishedIds.push(message.id);
          } else {
            failures.push({
              id: message.id,
              code: 'MissingFromResponse',
              message: 'SNS did not report this entry as successful or failed',
            });
          }
        });
      });
      return { publishedIds, failures, requests };
    },
  };
}

/** Bytes SNS counts for a message: the body plus each attribute's name, type and value. */
export function messageBytes(message: MessageToPublish): number {
  let bytes = Buffer.byteLength(message.body);
  for (const [name, attribute] of Object.entries(message.attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType ?? '');
    bytes += Buffer.byteLength(attribute.StringValue ?? '') + (attribute.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}

/**
 * Packs messages, in order, into batches of at most {@link PUBLISH_BATCH_LIMIT} entries and
 * {@link PUBLISH_BATCH_MAX_BYTES} bytes. A message that alone exceeds the byte limit cannot be published.
 */
export function packBatches(messages: readonly MessageToPublish[]): {
  batches: MessageToPublish[][];
  oversized: MessageToPublish[];
} {
  const batches: MessageToPublish[][] = [];
  const oversized: MessageToPublish[] = [];
  let current: MessageToPublish[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    const bytes = messageBytes(message);
    if (bytes > PUBLISH_BATCH_MAX_BYTES) {
      oversized.push(message);
      continue;
    }
    if (current.length === PUBLISH_BATCH_LIMIT || currentBytes + bytes > PUBLISH_BATCH_MAX_BYTES) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(message);
    currentBytes += bytes;
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversized };
}

import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLambdaContext, withLambdaTimeout } from '../lambda-context.js';

/**
 * An SQS event source mapping as Lambda runs it: polls the queue, invokes the handler with up to
 * `batchSize` records, deletes what succeeded (with ReportBatchItemFailures, every record not listed in
 * batchItemFailures), and leaves the rest to come back after the queue's visibility timeout. An
 * invocation that throws or times out leaves its whole batch.
 */
export interface QueueEventSourceOptions {
  readonly sqsEndpoint: string;
  readonly region: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler without a partial batch response returns Promise<void>
  readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;
  readonly timeoutMs: number;
  readonly functionName: string;
  /** Whether the queue holds no message at all (visible, in flight or delayed). */
  readonly isEmpty: () => boolean;
  /** Sees each invocation's outcome. */
  readonly onInvocation?: (records: readonly SQSRecord[], failed: number) => void;
}

export interface QueueEventSource {
  readonly stats: { invocations: number; deleted: number; failed: number };
  /** Resolves once the queue is empty and no invocation runs; rejects after `timeoutMs`. */
  waitUntilIdle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const SQS_RECEIVE_LIMIT = 10;

export function startQueueEventSource(opts: QueueEventSourceOptions): QueueEventSource {
  const client = new SQSClient({ endpoint: opts.sqsEndpoint, region: opts.region });
  const stats = { invocations: 0, deleted: 0, failed: 0 };
  let stopped = false;
  let running = false;

  async function pollOnce(): Promise<boolean> {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: opts.queueUrl,
        MaxNumberOfMessages: Math.min(opts.batchSize, SQS_RECEIVE_LIMIT),
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages === undefined || Messages.length === 0) return false;
    running = true;
    try {
      await invoke(Messages);
    } finally {
      running = false;
    }
    return true;
  }

  async function invoke(messages: Message[]): Promise<void> {
    stats.invocations++;
    const records = messages.map((message) => sqsRecord(message, opts));
    let failedIds: Set<string>;
    try {
      const context = createLambdaContext({
        functionName: opts.functionName,
        timeoutMs: opts.timeoutMs,
        region: opts.region,
      });
      const response = await withLambdaTimeout(opts.handler({ Records: records }, context), opts.timeoutMs);
      failedIds = opts.reportBatchItemFailures
        ? new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier))
        : new Set();
    } catch {
      failedIds = new Set(records.map((record) => record.messageId));
    }
    stats.failed += failedIds.size;
    opts.onInvocation?.(records, failedIds.size);
    for (const record of records) {
      if (failedIds.has(record.messageId)) continue;
      await client.send(
        new DeleteMessageCommand({ QueueUrl: opts.queueUrl, ReceiptHandle: record.receiptHandle }),
      );
      stats.deleted++;
    }
  }

  const loop = (async () => {
    while (!stopped) {
      const worked = await pollOnce().catch(() => false);
      if (!worked && !stopped) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();

  return {
    stats,
    async waitUntilIdle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (running || !opts.isEmpty()) {
        if (stopped) throw new Error('The queue event source is stopped');
        if (Date.now() > deadline) {
          throw new Error(
            `Queue ${opts.queueUrl} not drained after ${timeoutMs} ms (${JSON.stringify(stats)})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      stopped = true;
      await loop;
      client.destroy();
    },
  };
}

function sqsRecord(message: Message, opts: QueueEventSourceOptions): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: opts.queueArn,
    awsRegion: opts.region,
  };
}

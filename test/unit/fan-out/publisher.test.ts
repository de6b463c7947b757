import type {
  PublishBatchCommand,
  PublishBatchCommandOutput,
  PublishBatchRequestEntry,
} from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import {
  createPublisher,
  type MessageToPublish,
  messageBytes,
  PUBLISH_BATCH_MAX_BYTES,
  packBatches,
} from '../../../functions/fan-out/publisher.js';

const TOPIC = 'arn:aws:sns:eu-central-1:000000000000:open';

function messages(count: number, bodyBytes = 10): MessageToPublish[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `m${index}`,
    body: `${index}:`.padEnd(bodyBytes, 'x'),
    attributes: { eventType: { DataType: 'String', StringValue: 'open' } },
  }));
}

/** A PublishBatch client that records calls; `decide` picks per entry: ok, a failure code, or omitted. */
function fakeSns(decide: (entry: PublishBatchRequestEntry) => 'ok' | 'omit' | string = () => 'ok') {
  const calls: PublishBatchCommand['input'][] = [];
  return {
    calls,
    async send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput> {
      calls.push(command.input);
      const entries = command.input.PublishBatchRequestEntries ?? [];
      const ids = entries.map((entry) => entry.Id);
      if (new Set(ids).size !== ids.length) throw new Error('BatchEntryIdsNotDistinct');
      const outcome = entries.map((entry) => ({ entry, decision: decide(entry) }));
      return {
        $metadata: {},
        Successful: outcome
          .filter(({ decision }) => decision === 'ok')
          .map(({ entry }) => ({ Id: entry.Id, MessageId: `msg-${entry.Id}` })),
        Failed: outcome
          .filter(({ decision }) => decision !== 'ok' && decision !== 'omit')
          .map(({ entry, decision }) => ({
            Id: entry.Id,
            Code: decision,
            Message: 'refused',
            SenderFault: false,
          })),
      };
    },
  };
}

describe('packBatches', () => {
  it('packs at most 10 messages per batch, in order', () => {
    const { batches, oversized } = packBatches(messages(23));
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(batches.flat().map((message) => message.id)).toEqual(messages(23).map((message) => message.id));
    expect(oversized).toEqual([]);
  });

  it('keeps each batch within 256 KiB and sets aside a message too large to publish', () => {
    const large = messages(5, 100 * 1024);
    const tooLarge = { ...messages(1, PUBLISH_BATCH_MAX_BYTES + 1)[0], id: 'huge' } as MessageToPublish;
    const { batches, oversized } = packBatches([...large, tooLarge]);
    expect(batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
    for (const batch of batches) {
      expect(batch.reduce((sum, message) => sum + messageBytes(message), 0)).toBeLessThanOrEqual(
        PUBLISH_BATCH_MAX_BYTES,
      );
    }
    expect(oversized.map((message) => message.id)).toEqual(['huge']);
  });
});

describe('createPublisher', () => {
  it('publishes every message with its attributes in calls of at most 10', async () => {
    const sns = fakeSns();
    const outcome = await createPublisher({ client: sns }).publish(TOPIC, messages(25));
    expect(sns.calls.map((call) => call.PublishBatchRequestEntries?.length).sort()).toEqual([10, 10, 5]);
    expect(sns.calls.every((call) => call.TopicArn === TOPIC)).toBe(true);
    expect(sns.calls[0]?.PublishBatchRequestEntries?.[0]?.MessageAttributes).toEqual({
      eventType: { DataType: 'String', StringValue: 'open' },
    });
    expect([...outcome.publishedIds].sort()).toEqual(
      messages(25)
        .map((message) => message.id)
        .sort(),
    );
    expect(outcome).toMatchObject({ failures: [], requests: 3 });
  });

  it('reports the entries SNS refused or did not mention, by the caller ids', async () => {
    const sns = fakeSns((entry) => {
      const body = entry.Message ?? '';
      if (body.startsWith('3:')) return 'InternalError';
      if (body.startsWith('4:')) return 'omit';
      return 'ok';
    });
    const outcome = await createPublisher({ client: sns }).publish(TOPIC, messages(6));
    expect(outcome.failures).toEqual([
      { id: 'm3', code: 'InternalError', message: 'refused' },
      {
        id: 'm4',
        code: 'MissingFromResponse',
        message: 'SNS did not report this entry as successful or failed',
      },
    ]);
    expect([...outcome.publishedIds].sort()).toEqual(['m0', 'm1', 'm2', 'm5']);
  });

  it('sends every call of a 100-message batch at once (the CPU per event depends on it: docs/PERFORMANCE.md)', async () => {
    let inFlight = 0;
    let most = 0;
    const sns = {
      async send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput> {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        const ids = (command.input.PublishBatchRequestEntries ?? []).map((entry) => ({ Id: entry.Id }));
        return { $metadata: {}, Successful: ids, Failed: [] };
      },
    };
    const outcome = await createPublisher({ client: sns }).publish(TOPIC, messages(100));
    expect(outcome).toMatchObject({ requests: 10, failures: [] });
    expect(most).toBe(10);
  });

  it('fails every entry of a call that failed as a whole', async () => {
    let call = 0;
    const sns = {
      async send(_command: PublishBatchCommand): Promise<PublishBatchCommandOutput> {
        call++;
        if (call === 1) throw Object.assign(new Error('throttled'), { name: 'ThrottledException' });
        return { $metadata: {}, Successful: [{ Id: '0' }], Failed: [] };
      },
    };
    const outcome = await createPublisher({ client: sns, concurrency: 1 }).publish(TOPIC, messages(11));
    expect(outcome.failures).toHaveLength(10);
    expect(outcome.failures[0]).toEqual({
      id: 'm0',
      code: 'ThrottledException',
      message: 'throttled',
      wholeCall: true,
    });
    expect(outcome.publishedIds).toEqual(['m10']);
  });

  it('reports a message too large for SNS without sending it', async () => {
    const sns = fakeSns();
    const huge = messages(1, PUBLISH_BATCH_MAX_BYTES + 10);
    const outcome = await createPublisher({ client: sns }).publish(TOPIC, huge);
    expect(sns.calls).toHaveLength(0);
    expect(outcome.failures).toEqual([
      {
        id: 'm0',
        code: 'MessageTooLarge',
        message: `message is ${messageBytes(huge[0] as MessageToPublish)} bytes; SNS accepts at most 262144`,
      },
    ]);
  });
});

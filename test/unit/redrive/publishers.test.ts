import { describe, expect, it } from 'vitest';
import type { MessageToPublish, Publisher } from '../../../functions/fan-out/publisher.js';
import { createDryRunPublisher, trackPublished } from '../../../scripts/redrive/publishers.js';

const message = (id: string, eventType: string, eventKey: string, padding = 0): MessageToPublish => ({
  id,
  body: JSON.stringify({ eventKey, eventType, clientId: 1, padding: 'x'.repeat(padding) }),
  attributes: { eventType: { DataType: 'String', StringValue: eventType } },
});

describe('createDryRunPublisher', () => {
  it('accepts every message without calling SNS, except one too large for SNS', async () => {
    const outcome = await createDryRunPublisher().publish('arn:aws:sns:eu-central-1:1:open', [
      message('0', 'open', 'open#a'),
      message('1', 'open', 'open#b', 300 * 1024),
      message('2', 'open', 'open#c'),
    ]);
    expect(outcome.publishedIds).toEqual(['0', '2']);
    expect(outcome.requests).toBe(0);
    expect(outcome.failures).toEqual([
      {
        id: '1',
        code: 'MessageTooLarge',
        message: expect.stringMatching(/^message is \d+ bytes; SNS accepts at most 262144$/),
        senderFault: true,
      },
    ]);
  });
});

describe('trackPublished', () => {
  it('notes the event of each message the publisher reports as published, and nothing else', async () => {
    const inner: Publisher = {
      async publish(_topicArn, messages) {
        return {
          publishedIds: messages.filter((m) => m.id !== '1').map((m) => m.id),
          failures: [{ id: '1', code: 'InternalError', message: 'boom', senderFault: false }],
          requests: 1,
        };
      },
    };
    const tracked = trackPublished(inner);
    const outcome = await tracked.publisher.publish('arn:topic:bounce', [
      message('0', 'bounce', 'bounce#a'),
      message('1', 'bounce', 'bounce#b'),
      message('2', 'bounce', 'bounce#c'),
    ]);
    expect(outcome.failures.map((failure) => failure.id)).toEqual(['1']);
    expect(tracked.published).toEqual([
      { topicArn: 'arn:topic:bounce', eventType: 'bounce', eventKey: 'bounce#a' },
      { topicArn: 'arn:topic:bounce', eventType: 'bounce', eventKey: 'bounce#c' },
    ]);
  });
});

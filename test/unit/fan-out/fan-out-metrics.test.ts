import { afterEach, describe, expect, it } from 'vitest';
import { publishFanOutMetrics } from '../../../functions/fan-out/fan-out-metrics.js';
import { capturedMetrics } from '../shared/emf.js';

describe('publishFanOutMetrics', () => {
  let restore = () => {};
  afterEach(() => restore());

  it('publishes the failures in total, then EventsPublished and PublishFailures per event type', () => {
    const captured = capturedMetrics('fan-out');
    restore = captured.restore;
    publishFanOutMetrics(captured.metrics, {
      batchItemFailures: [],
      publishedByType: new Map([
        ['open', 5],
        ['click', 2],
      ]),
      failedByType: new Map([['click', 1]]),
      failures: [
        { sequenceNumber: '1', eventType: 'click', reason: 'InternalError: boom' },
        { sequenceNumber: '2', reason: 'unreadable image: the record has no NewImage' },
      ],
      ignored: 0,
      publishRequests: 2,
    });
    expect(captured.documents().map(({ dimensions, values }) => ({ dimensions, values }))).toEqual([
      { dimensions: { service: 'fan-out' }, values: { PublishFailures: 2 } },
      {
        dimensions: { service: 'fan-out', EventType: 'open' },
        values: { EventsPublished: 5, PublishFailures: 0 },
      },
      {
        dimensions: { service: 'fan-out', EventType: 'click' },
        values: { EventsPublished: 2, PublishFailures: 1 },
      },
    ]);
  });
});

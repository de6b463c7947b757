import { afterEach, describe, expect, it } from 'vitest';
import { publishFanOutMetrics } from '../../../functions/fan-out/fan-out-metrics.js';
import { capturedMetrics } from '../shared/emf.js';

describe('publishFanOutMetrics', () => {
  let restore = () => {};
  afterEach(() => restore());

  it('publishes the totals (failures, parked, held, republished), then EventsPublished and PublishFailures per type', () => {
    const captured = capturedMetrics('fan-out');
    restore = captured.restore;
    publishFanOutMetrics(captured.metrics, {
      publishedByType: new Map([
        ['open', 5],
        ['click', 2],
      ]),
      failedByType: new Map([['click', 1]]),
      notPublished: 2,
      parked: 1,
      held: 0,
      republished: 3,
    });
    expect(captured.documents().map(({ dimensions, values }) => ({ dimensions, values }))).toEqual([
      {
        dimensions: { service: 'fan-out' },
        values: { PublishFailures: 2, EventsParked: 1, EventsHeld: 0, EventsRepublished: 3 },
      },
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

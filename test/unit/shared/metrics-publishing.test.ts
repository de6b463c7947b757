import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { publishMetrics, storeMetrics } from '../../../functions/shared/metrics-publishing.js';
import { capturedMetrics } from './emf.js';

describe('publishMetrics', () => {
  let restore = () => {};
  afterEach(() => restore());

  it('publishes the values under exactly the given dimensions plus service', () => {
    const captured = capturedMetrics('ingest');
    restore = captured.restore;
    publishMetrics(captured.metrics, { EventType: 'open' }, [
      { name: 'EventsAccepted', unit: MetricUnit.Count, values: [3] },
      { name: 'EventDelay', unit: MetricUnit.Seconds, values: [1, 2] },
      { name: 'Skipped', unit: MetricUnit.Count, values: [] },
    ]);
    publishMetrics(captured.metrics, {}, [{ name: 'EventsAccepted', unit: MetricUnit.Count, values: [3] }]);
    expect(captured.documents()).toEqual([
      {
        dimensions: { service: 'ingest', EventType: 'open' },
        values: { EventsAccepted: 3, EventDelay: [1, 2] },
        units: { EventsAccepted: 'Count', EventDelay: 'Seconds' },
      },
      {
        dimensions: { service: 'ingest' },
        values: { EventsAccepted: 3 },
        units: { EventsAccepted: 'Count' },
      },
    ]);
  });

  it('splits more than 99 values over documents that all keep the dimensions', () => {
    const captured = capturedMetrics();
    restore = captured.restore;
    const delays = Array.from({ length: 250 }, (_, index) => index);
    publishMetrics(captured.metrics, { EventType: 'click' }, [
      { name: 'EventDelay', unit: MetricUnit.Seconds, values: delays },
    ]);
    const documents = captured.documents();
    expect(documents.map((document) => (document.values.EventDelay as number[]).length)).toEqual([
      99, 99, 52,
    ]);
    expect(documents.every((document) => document.dimensions.EventType === 'click')).toBe(true);
    expect(documents.flatMap((document) => document.values.EventDelay)).toEqual(delays);
  });

  it('stores the last document for the end of the invocation, publishing what was stored before first', () => {
    const captured = capturedMetrics('ingest');
    restore = captured.restore;
    storeMetrics(captured.metrics, { ContentType: 'none' }, [
      { name: 'RequestsByContentType', unit: MetricUnit.Count, values: [1] },
    ]);
    expect(captured.documents()).toEqual([]);
    const delays = Array.from({ length: 120 }, (_, index) => index);
    storeMetrics(captured.metrics, { EventType: 'open' }, [
      { name: 'EventDelay', unit: MetricUnit.Seconds, values: delays },
    ]);
    expect(captured.documents().map((document) => document.dimensions)).toEqual([
      { service: 'ingest', ContentType: 'none' },
      { service: 'ingest', EventType: 'open' },
    ]);
    captured.metrics.publishStoredMetrics();
    const documents = captured.documents();
    expect(documents.at(-1)?.dimensions).toEqual({ service: 'ingest', EventType: 'open' });
    expect(documents.slice(1).flatMap((document) => document.values.EventDelay)).toEqual(delays);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { publishFanOutMetrics } from '../../../functions/fan-out/fan-out-metrics.js';
import { createEventReader } from '../../../functions/ingest/event-reader.js';
import { classifyBatch } from '../../../functions/ingest/ingest-batch.js';
import { publishIngestMetrics } from '../../../functions/ingest/ingest-metrics.js';
import { CAMPAIGN_EVENT_TYPES } from '../../../functions/shared/campaign-event-types.js';
import { METRIC_SERVICES } from '../../../functions/shared/metrics-catalog.js';
import { CampaignEventFactory } from '../../../local/campaign-simulator/event-factory.js';
import { receivedEvents } from '../../support/stored-events.js';
import { synthStack } from '../../support/synth.js';
import { capturedMetrics, type EmfDocument } from '../shared/emf.js';

/**
 * The business and pipeline alarms read custom metrics that the ingest and fan-out functions emit: the
 * two sides must agree on metric names and exact dimension sets, or an alarm silently watches nothing.
 */

const identity = (name: string, dimensions: Record<string, string>) =>
  `${name}{${Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`)
    .join(',')}}`;

function emitted(documents: EmfDocument[]): Set<string> {
  return new Set(
    documents.flatMap((document) =>
      Object.keys(document.values).map((name) => identity(name, document.dimensions)),
    ),
  );
}

interface MetricStat {
  Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: string }> };
}

/** Every custom-namespace metric an alarm of the stack reads (plain or inside metric math). */
function readByAlarms(): Set<string> {
  const { template } = synthStack();
  const ids = new Set<string>();
  // Metrics the stack's own log metric filters produce (ApiThrottledRequests) come from logs, not the
  // Lambdas; test/infra/sizing.test.ts checks that filter.
  const fromLogs = new Set(
    Object.values(template.findResources('AWS::Logs::MetricFilter')).flatMap((filter) =>
      (filter.Properties.MetricTransformations as Array<{ MetricName: string }>).map((t) => t.MetricName),
    ),
  );
  const add = (namespace: string, name: string, dimensions: Array<{ Name: string; Value: string }> = []) => {
    if (namespace !== 'CampaignEvents' || fromLogs.has(name)) return;
    ids.add(identity(name, Object.fromEntries(dimensions.map((d) => [d.Name, d.Value]))));
  };
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    const props = alarm.Properties;
    if (props.MetricName) add(props.Namespace, props.MetricName, props.Dimensions);
    for (const query of (props.Metrics ?? []) as Array<{ MetricStat?: MetricStat }>) {
      const metric = query.MetricStat?.Metric;
      if (metric) add(metric.Namespace, metric.MetricName, metric.Dimensions);
    }
  }
  return ids;
}

describe('metric contract between the emitting Lambdas and the alarms', () => {
  let restore = () => {};
  afterEach(() => restore());

  function emittedByPipeline(): { identities: Set<string>; documents: EmfDocument[] } {
    const receivedAt = new Date('2026-05-04T10:00:00Z');
    const factory = new CampaignEventFactory({ seed: 7, now: () => receivedAt });
    const events = [
      ...CAMPAIGN_EVENT_TYPES.map((type) => factory.event(type)),
      factory.event('bounce', { bounceCategory: 'hardbounce' }),
      factory.event('bounce', { bounceCategory: 'softbounce' }),
      ...factory.invalidEvents(),
    ];
    const { summary } = classifyBatch(receivedEvents(events), {
      read: createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES }),
      retentionDays: 30,
      receivedAt,
      bucket: 'large-events',
    });
    const ingest = capturedMetrics(METRIC_SERVICES.ingest);
    restore = ingest.restore;
    publishIngestMetrics(ingest.metrics, summary);
    const ingestDocuments = ingest.documents();
    ingest.restore();

    const fanOut = capturedMetrics(METRIC_SERVICES.fanOut);
    restore = fanOut.restore;
    publishFanOutMetrics(fanOut.metrics, {
      publishedByType: new Map(CAMPAIGN_EVENT_TYPES.map((type) => [type, 1])),
      failedByType: new Map([['sent', 1]]),
      notPublished: 1,
      parked: 0,
      held: 0,
      republished: 0,
    });
    const documents = [...ingestDocuments, ...fanOut.documents()];
    return { identities: emitted(documents), documents };
  }

  it('every custom metric an alarm reads is emitted with exactly that dimension set', () => {
    const { identities } = emittedByPipeline();
    const needed = [...readByAlarms()].sort();
    expect(needed).toEqual([
      'EventDelay{service=ingest}',
      'EventsAccepted{EventType=sent,service=ingest}',
      'EventsHeld{service=fan-out}',
      'EventsQuarantined{service=ingest}',
      'HardBounces{service=ingest}',
      'PublishFailures{service=fan-out}',
      'SpamComplaints{service=ingest}',
    ]);
    expect(needed.filter((id) => !identities.has(id))).toEqual([]);
  });

  it('no metric dimension carries an email address', () => {
    const { documents } = emittedByPipeline();
    const values = documents.flatMap((document) => Object.values(document.dimensions));
    expect(values.length).toBeGreaterThan(0);
    expect(values.filter((value) => value.includes('@'))).toEqual([]);
  });
});

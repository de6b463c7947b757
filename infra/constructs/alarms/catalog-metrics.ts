import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { CampaignEventType } from '../../../functions/shared/campaign-event-types.js';
import {
  METRIC_DIMENSIONS,
  type METRIC_SERVICES,
  type METRICS,
} from '../../../functions/shared/metrics-catalog.js';

type MetricName = (typeof METRICS)[keyof typeof METRICS];
type MetricService = (typeof METRIC_SERVICES)[keyof typeof METRIC_SERVICES];

export interface CatalogMetricOptions {
  readonly service: MetricService;
  /** The per-type series; omit for the total (service-only) series. */
  readonly eventType?: CampaignEventType;
  readonly statistic: string;
  readonly period: Duration;
  readonly label?: string;
}

/**
 * The project's custom metrics as CloudWatch metrics, named and dimensioned only through the metrics
 * catalog (functions/shared/metrics-catalog.ts), the same catalog the emitting Lambdas use.
 */
export class CatalogMetrics {
  constructor(readonly namespace: string) {}

  metric(name: MetricName, options: CatalogMetricOptions): cloudwatch.Metric {
    const dimensionsMap: Record<string, string> = { [METRIC_DIMENSIONS.service]: options.service };
    if (options.eventType !== undefined) dimensionsMap[METRIC_DIMENSIONS.eventType] = options.eventType;
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: name,
      dimensionsMap,
      statistic: options.statistic,
      period: options.period,
      ...(options.label ? { label: options.label } : {}),
    });
  }
}

import type { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../infra/config.js';
import { synthStack } from '../support/synth.js';

describe('API throttling', () => {
  const { stack, template } = synthStack();
  const alarmTopic = stack.getLogicalId(stack.events.alerting.alarmTopic.node.defaultChild as CfnElement);

  it('defaults to the sized stage limits (docs/SIZING.md): 2,000 requests/s, bursts of 4,000', () => {
    const { api } = parseConfig({ campaign: { clientIds: [1] } });
    expect([api.throttlingRateLimit, api.throttlingBurstLimit]).toEqual([2000, 4000]);
  });

  it('counts every 429 in the access logs, whose status field is the string the filter compares', () => {
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0];
    const accessLogs = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) =>
      id.startsWith('IngestApiAccessLogs'),
    );
    expect(stage?.Properties.AccessLogSetting.Format).toContain('"status":"$context.status"');
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: accessLogs },
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [
        { MetricName: 'ApiThrottledRequests', MetricNamespace: 'CampaignEvents', MetricValue: '1' },
      ],
    });
  });

  it('alarms critically on any throttled request, through the alerting path', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'TestStack-critical-ingest-throttled',
      MetricName: 'ApiThrottledRequests',
      Namespace: 'CampaignEvents',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: alarmTopic }],
    });
  });
});

describe('fan-out sizing (docs/SIZING.md)', () => {
  const { stack, template } = synthStack();
  const fanOut = stack.getLogicalId(stack.events.fanOutFunction.node.defaultChild as CfnElement);

  it('gives the fan-out 512 MB and reads each shard with 10 concurrent batches of up to 100 records', () => {
    expect(template.findResources('AWS::Lambda::Function')[fanOut]?.Properties.MemorySize).toBe(512);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fanOut },
      ParallelizationFactor: 10,
      BatchSize: 100,
    });
  });
});

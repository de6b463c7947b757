import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { readEnvironment } from '../shared/contracts/env.js';
import { ALARM_FORMATTER_ENV } from '../shared/contracts/environment.js';
import { createObservability, traced } from '../shared/observability.js';
import { createAlarmFormatterHandler } from './alarm-formatter-handler.js';

const { alertsTopicArn, parkedEventsLogGroup } = readEnvironment(ALARM_FORMATTER_ENV);
const { logger, metrics, tracer } = createObservability();
const sns = traced(tracer, new SNSClient({}));
const logs = traced(tracer, new CloudWatchLogsClient({}));

export const handler = createAlarmFormatterHandler({
  alertsTopicArn,
  publish: (input) => sns.send(new PublishCommand(input)),
  ...(parkedEventsLogGroup === undefined
    ? {}
    : {
        parkedEventsLog: {
          logGroupName: parkedEventsLogGroup,
          filter: (input) => logs.send(new FilterLogEventsCommand(input)),
        },
      }),
  logger,
  metrics,
  tracer,
});

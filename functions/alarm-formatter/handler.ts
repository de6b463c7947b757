import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { readEnvironment } from '../shared/contracts/env.js';
import { ALARM_FORMATTER_ENV } from '../shared/contracts/environment.js';
import { createObservability, traced } from '../shared/observability.js';
import { createAlarmFormatterHandler } from './alarm-formatter-handler.js';

const { alertsTopicArn } = readEnvironment(ALARM_FORMATTER_ENV);
const { logger, metrics, tracer } = createObservability();
const sns = traced(tracer, new SNSClient({}));

export const handler = createAlarmFormatterHandler({
  alertsTopicArn,
  publish: (input) => sns.send(new PublishCommand(input)),
  logger,
  metrics,
  tracer,
});

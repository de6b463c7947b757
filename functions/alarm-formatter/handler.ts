import { Logger } from '@aws-lambda-powertools/logger';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { readEnvironment } from '../shared/contracts/env.js';
import { ALARM_FORMATTER_ENV } from '../shared/contracts/environment.js';
import { formatAlarms } from './format-alarms.js';

const logger = new Logger();
const sns = new SNSClient({});
const { alertsTopicArn } = readEnvironment(ALARM_FORMATTER_ENV);

/** Alarm topic subscriber: CloudWatch alarm JSON in, formatted alert (with a severity attribute) out. */
export async function handler(event: SNSEvent): Promise<void> {
  await formatAlarms(event, {
    alertsTopicArn,
    publish: (input) => sns.send(new PublishCommand(input)),
    log: (message, details) => logger.info(message, details),
  });
}

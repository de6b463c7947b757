import { Logger } from '@aws-lambda-powertools/logger';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { requiredEnv } from '../shared/env.js';
import { formatAlarms } from './format-alarms.js';

const logger = new Logger();
const sns = new SNSClient({});
const alertsTopicArn = requiredEnv('ALERTS_TOPIC_ARN');

/** Alarm topic subscriber: CloudWatch alarm JSON in, formatted alert (with a severity attribute) out. */
export async function handler(event: SNSEvent): Promise<void> {
  await formatAlarms(event, {
    alertsTopicArn,
    publish: (input) => sns.send(new PublishCommand(input)),
    log: (message, details) => logger.info(message, details),
  });
}

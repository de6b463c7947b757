import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { readEnvironment } from '../shared/contracts/env.js';
import { FAN_OUT_ENV } from '../shared/contracts/environment.js';
import { createPublisher } from '../shared/publisher.js';
import { fanOut } from './fan-out.js';
import { publishFanOutMetrics } from './fan-out-metrics.js';

const { topicArns } = readEnvironment(FAN_OUT_ENV);
const logger = new Logger();
const metrics = new Metrics();
const publisher = createPublisher({ client: new SNSClient({}) });

/** DynamoDB stream -> one SNS topic per event type; failed records are reported for retry. */
export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
  .use(injectLambdaContext(logger, { logEvent: false }))
  .handler(async (event) => {
    const result = await fanOut(event.Records, { publisher, topicArns });
    publishFanOutMetrics(metrics, result);
    logger.info('Stream batch fanned out', {
      records: event.Records.length,
      published: Object.fromEntries(result.publishedByType),
      failed: result.failures.length,
      ignored: result.ignored,
      publishRequests: result.publishRequests,
    });
    for (const failure of result.failures) {
      logger.warn('Record not published; reported for retry', {
        sequenceNumber: failure.sequenceNumber,
        eventType: failure.eventType,
        eventKey: failure.eventKey,
        reason: failure.reason,
      });
    }
    return { batchItemFailures: result.batchItemFailures };
  });

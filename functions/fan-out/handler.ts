import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readEnvironment } from '../shared/contracts/env.js';
import { FAN_OUT_ENV } from '../shared/contracts/environment.js';
import { createObservability, traced } from '../shared/observability.js';
import { createFanOutHandler } from './fan-out-handler.js';
import { createPublisher } from './publisher.js';
import { queueSetAside } from './set-aside.js';

const { topicArns, parkedEventsQueueUrl, heldEventsQueueUrl, holdAfterSeconds } =
  readEnvironment(FAN_OUT_ENV);
const { logger, metrics, tracer } = createObservability();
const sns = traced(tracer, new SNSClient({}));
const sqs = traced(tracer, new SQSClient({}));

export const handler = createFanOutHandler({
  publisher: createPublisher({ client: sns }),
  topicArns,
  setAside: queueSetAside(sqs, { parked: parkedEventsQueueUrl, held: heldEventsQueueUrl }),
  holdAfterMs: holdAfterSeconds * 1000,
  logger,
  metrics,
  tracer,
});

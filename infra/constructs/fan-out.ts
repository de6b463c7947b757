import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, FUNCTION_SERVICES } from '../../functions/shared/contracts/environment.js';
import { EVENT_STATUS, EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import type { EventTable } from './event-table.js';
import type { EventTopics } from './event-topics.js';
import { grantKeyUse, KEY_USE_ACTIONS, sendOnlyDestination } from './key-access.js';
import { type FunctionSizing, ProjectFunction, setEnvironment } from './project-function.js';

/** The fan-out's memory (CPU share) and concurrent batches per shard: see docs/SIZING.md. */
export const FAN_OUT_MEMORY_MB = 512;
export const FAN_OUT_PARALLELIZATION_FACTOR = 10;
/**
 * A record SNS keeps failing transiently is held (moved to the held-events queue) once it is this old:
 * 4 hours before the stream's 24-hour retention drops it (docs/ARCHITECTURE.md, "SNS faults").
 */
export const FAN_OUT_HOLD_AFTER = Duration.hours(20);
/**
 * The mapping discards a record older than this to the dead-letter queue: after the hold age (the
 * function holds it first), before the stream's retention (so the redrive can still read the stream).
 * Only a fan-out that cannot hold (it fails as a whole, or SQS refuses too) gets there.
 */
export const FAN_OUT_MAX_RECORD_AGE = Duration.hours(22);

export interface FanOutProps {
  /** @default memory FAN_OUT_MEMORY_MB (512 MB), timeout 60 s, no reserved concurrency */
  readonly functionSizing?: FunctionSizing;
  readonly eventTable: EventTable;
  readonly eventTopics: EventTopics;
  readonly encryptionKey: kms.IKey;
  readonly logRetentionDays: number;
  readonly metricsNamespace: string;
  /**
   * Keep the dead-letter queue when the stack is deleted.
   * @default true
   */
  readonly retainData?: boolean;
}

/**
 * Reads new accepted events from the table's stream and publishes each to its type's SNS topic.
 * Only INSERTs of accepted items reach the function (TTL deletions, redeliveries, which are MODIFYs, and
 * quarantined items are filtered out by the event source mapping). The function retries SNS's transient
 * refusals itself; what still fails is reported from its first record, and the mapping retries from
 * there without limit (no bisection: the function never throws for a record), so an outage makes the
 * shard wait in order. A record SNS refuses as invalid is parked alone (parked-events queue); a record
 * still failing when it nears the stream's retention is held (held-events queue, which the same
 * function consumes). The dead-letter queue is the last resort: batches older than the maximum record age.
 */
export class FanOut extends Construct {
  readonly fanOutFunction: ProjectFunction;
  readonly deadLetterQueue: sqs.Queue;
  /** One message per record that can never be published as it is, with its content and the reason. */
  readonly parkedEventsQueue: sqs.Queue;
  /** Records held while SNS failed near the stream's retention; the fan-out publishes them from here. */
  readonly heldEventsQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: FanOutProps) {
    super(scope, id);
    const retainData = props.retainData ?? true;

    this.fanOutFunction = new ProjectFunction(this, 'FanOutFunction', {
      service: FUNCTION_SERVICES.fanOut,
      description: 'Publishes stored Campaign events to their SNS topic per event type',
      metricsNamespace: props.metricsNamespace,
      logRetentionDays: props.logRetentionDays,
      // Sized by `npm run bench` (docs/SIZING.md): the cheapest memory whose shard throughput reaches 5× a partition's writes.
      memorySize: props.functionSizing?.memorySize ?? FAN_OUT_MEMORY_MB,
      timeout: props.functionSizing?.timeout ?? Duration.seconds(60),
      reservedConcurrentExecutions: props.functionSizing?.reservedConcurrentExecutions,
    });
    props.eventTopics.bindPublisher(this.fanOutFunction);
    const removalPolicy = retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const queueProps = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    };

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', queueProps);
    this.parkedEventsQueue = new sqs.Queue(this, 'ParkedEventsQueue', queueProps);
    // Lambda's advice for a queue event source: a visibility timeout of six times the function's.
    const timeout = this.fanOutFunction.timeout ?? Duration.seconds(60);
    this.heldEventsQueue = new sqs.Queue(this, 'HeldEventsQueue', {
      ...queueProps,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
    });
    this.bindSetAsideQueues(props.encryptionKey);
    const deadLetterQueueReason =
      'This queue is the dead-letter destination of the fan-out; it has no consumer.';
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: deadLetterQueueReason,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: deadLetterQueueReason,
    });
    const parkedReason =
      'This queue is where the fan-out parks events for a person (npm run redrive); it is a dead-letter queue itself.';
    const heldReason =
      'A held event must stay until it is published (14 days, the longest SQS keeps a message): a dead-letter ' +
      'queue would take it away from its consumer; the queue age alarm tells on-call.';
    for (const [queue, reason] of [
      [this.parkedEventsQueue, parkedReason],
      [this.heldEventsQueue, heldReason],
    ] as const) {
      Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
      Validations.of(queue).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason });
    }
    Validations.of(this.fanOutFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked by a stream event source mapping, whose on-failure destination is the dead-letter queue.',
    });

    this.fanOutFunction.addEventSource(
      new sources.DynamoEventSource(streamOnlyView(props.eventTable, this.fanOutFunction), {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        parallelizationFactor: FAN_OUT_PARALLELIZATION_FACTOR,
        // The function reports the first record still failing and never throws for a record: bisection
        // would not apply, and the shard must wait (in order) rather than give up after a count.
        bisectBatchOnError: false,
        retryAttempts: -1,
        maxRecordAge: FAN_OUT_MAX_RECORD_AGE,
        reportBatchItemFailures: true,
        onFailure: new sources.SqsDlq(
          sendOnlyDestination(this, 'DeadLetterDestination', this.deadLetterQueue, this.fanOutFunction),
        ),
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('INSERT'),
            dynamodb: {
              NewImage: {
                [EVENT_TABLE_ATTRIBUTES.status]: { S: lambda.FilterRule.isEqual(EVENT_STATUS.accepted) },
              },
            },
          }),
        ],
      }),
    );
    this.consumeHeldEvents(props.encryptionKey);
  }

  /**
   * The held-events queue's event source mapping, on this function: consume actions on the queue and
   * its key through SQS only (the CDK's SqsEventSource would grant kms:Decrypt without kms:ViaService).
   */
  private consumeHeldEvents(encryptionKey: kms.IKey): void {
    const fn = this.fanOutFunction;
    const mapping = new lambda.EventSourceMapping(this, 'HeldEventsSource', {
      target: fn,
      eventSourceArn: this.heldEventsQueue.queueArn,
      batchSize: 10,
      reportBatchItemFailures: true,
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
        ],
        resources: [this.heldEventsQueue.queueArn],
      }),
    );
    grantKeyUse(encryptionKey, fn, 'sqs', KEY_USE_ACTIONS.decrypt);
    Validations.of(mapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'An SQS event source has no on-failure destination: a held event that fails again stays in its queue ' +
        '(visible again after the visibility timeout) until it is published; a dead-letter queue would take it away.',
    });
  }

  /** Send to the two queues (and their key, through SQS only); the queue URLs and the hold age in the environment. */
  private bindSetAsideQueues(encryptionKey: kms.IKey): void {
    const fn = this.fanOutFunction;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.parkedEventsQueue.queueArn, this.heldEventsQueue.queueArn],
      }),
    );
    grantKeyUse(encryptionKey, fn, 'sqs', KEY_USE_ACTIONS.encryptAndDecrypt);
    setEnvironment(fn, ENV.parkedEventsQueueUrl, this.parkedEventsQueue.queueUrl);
    setEnvironment(fn, ENV.heldEventsQueueUrl, this.heldEventsQueue.queueUrl);
    setEnvironment(fn, ENV.holdAfterSeconds, FAN_OUT_HOLD_AFTER.toSeconds());
  }
}

/**
 * The table as the event source sees it: the same construct (so the mapping keeps its logical id), but its
 * grantStreamRead grants the stream actions alone (CDK's adds kms:Decrypt without kms:ViaService); the key
 * use, decrypting the table key through DynamoDB, is granted here.
 */
function streamOnlyView(eventTable: EventTable, reader: iam.IGrantable): dynamodb.ITableV2 {
  const { table } = eventTable;
  if (table.encryptionKey) grantKeyUse(table.encryptionKey, reader, 'dynamodb', KEY_USE_ACTIONS.decrypt);
  const grantStreamRead = (grantee: iam.IGrantable) => {
    table.grantTableListStreams(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      resourceArns: [table.tableStreamArn as string],
    });
  };
  return new Proxy(table, {
    get: (target, property) =>
      property === 'grantStreamRead' ? grantStreamRead : Reflect.get(target, property, target),
  });
}

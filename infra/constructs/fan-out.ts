import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_SERVICES } from '../../functions/shared/contracts/environment.js';
import { EVENT_STATUS, EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import type { EventTable } from './event-table.js';
import type { EventTopics } from './event-topics.js';
import { grantKeyUse, KEY_USE_ACTIONS, sendOnlyDestination } from './key-access.js';
import { type FunctionSizing, ProjectFunction } from './project-function.js';

/** The fan-out's memory (CPU share) and concurrent batches per shard: see docs/SIZING.md. */
export const FAN_OUT_MEMORY_MB = 512;
export const FAN_OUT_PARALLELIZATION_FACTOR = 10;

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
  /**
   * Attempts after the first failure before a record is parked in the dead-letter queue.
   * The function reports partial batch failures and never throws, so bisect-on-error does not apply:
   * each retry starts at the lowest failed record and republishes the records after it.
   * @default 10
   */
  readonly retryAttempts?: number;
}

/**
 * Reads new accepted events from the table's stream and publishes each to its type's SNS topic.
 * Only INSERTs of accepted items reach the function (TTL deletions, redeliveries, which are MODIFYs, and
 * quarantined items are filtered out by the event source mapping). A failed record is retried from its
 * position (records after it are republished), then its batch is parked in an SQS dead-letter queue.
 */
export class FanOut extends Construct {
  readonly fanOutFunction: ProjectFunction;
  readonly deadLetterQueue: sqs.Queue;

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

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
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
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? 10,
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

import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { REPLAY_ATTRIBUTE } from '../../functions/shared/contracts/message-attributes.js';
import { athenaQueryText, REPORTS } from '../../reports/catalog.js';
import type { Config } from '../config.js';
import { retentionFromDays } from '../log-retention.js';
import { ALARM_PERIOD, type AlarmRouter, createProjectAlarm } from './alarms/project-alarm.js';
import {
  ARCHIVE_COLUMNS,
  ARCHIVE_FILE_EXTENSION,
  ARCHIVE_PARTITION_KEYS,
  ARCHIVE_PREFIXES,
  ARCHIVE_TABLE_NAME,
  columnToJsonKeyMappings,
  FIREHOSE_METRICS,
  firehosePrefix,
  glueTypeOf,
  partitionQuery,
  projectionLocationTemplate,
} from './archive-format.js';
import { allowServiceGrants, grantKeyUse, KEY_USE_ACTIONS } from './key-access.js';

export type ArchiveConfig = Config['archive'];

export interface ArchiveProps {
  readonly config: ArchiveConfig;
  /** Every event topic delivers to the archive. */
  readonly eventTopics: ReadonlyMap<CampaignEventType, sns.ITopic>;
  /** Encrypts the archive, the query results and the delivery stream. */
  readonly encryptionKey: kms.IKey;
  /** Where the failed-delivery alarms go. */
  readonly router: AlarmRouter;
  /** Keep the buckets (and their data) when the stack is destroyed. */
  readonly retainData: boolean;
  /** Days CloudWatch keeps the delivery stream's error logs (rounded up to a period CloudWatch offers). */
  readonly logRetentionDays: number;
  /** @default the stack name */
  readonly namePrefix?: string;
}

/**
 * The event archive: each event topic delivers (SNS's Firehose subscription, raw message delivery) to
 * one Firehose stream, which writes Parquet (record format conversion against the Glue table) to an
 * encrypted bucket, partitioned by event type and UTC date and hour received (dynamic partitioning);
 * what it cannot convert or partition lands under errors/, with an alarm. A Glue database and table
 * (partition projection: no crawler, no MSCK) describe the files, and an Athena workgroup with
 * encrypted results and a per-query scan limit holds the reports as named queries.
 */
export class Archive extends Construct {
  readonly bucket: s3.Bucket;
  readonly resultsBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly deliveryStream: firehose.CfnDeliveryStream;
  /** Messages SNS could not hand to the delivery stream after its retries (e.g. Firehose throttling). */
  readonly deadLetterQueue: sqs.Queue;
  readonly databaseName: string;
  readonly tableName = ARCHIVE_TABLE_NAME;
  readonly workGroup: athena.CfnWorkGroup;
  readonly namedQueries: readonly athena.CfnNamedQuery[];
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ArchiveProps) {
    super(scope, id);
    // Access logs are delivered under a bucket policy (the logging service principal), not an ACL.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const stack = Stack.of(this);
    const prefix = props.namePrefix ?? stack.stackName;
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.accessLogsBucket = this.createAccessLogsBucket(removalPolicy);
    this.bucket = this.createDataBucket(
      'Bucket',
      props,
      removalPolicy,
      props.config.retentionDays,
      'archive/',
    );
    this.resultsBucket = this.createDataBucket(
      'QueryResults',
      props,
      removalPolicy,
      props.config.queryResultsRetentionDays,
      'query-results/',
    );

    this.databaseName = `${prefix.toLowerCase().replace(/[^a-z0-9]/g, '_')}_archive`;
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: this.databaseName, description: `${prefix}: archived Campaign events` },
    });
    const table = this.createTable(database, [...props.eventTopics.keys()], props.config.retentionDays);

    // The encrypted delivery stream keeps a grant on the key (created as the stream is).
    allowServiceGrants(props.encryptionKey, 'firehose');
    const role = this.createDeliveryRole(props.encryptionKey, table);
    this.deliveryStream = this.createDeliveryStream(prefix, props, role, table);
    this.deadLetterQueue = this.createDeadLetterQueue(props.encryptionKey, removalPolicy);
    this.subscribeTopics(props.eventTopics);

    this.workGroup = this.createWorkGroup(prefix, props);
    this.namedQueries = REPORTS.map((report) => {
      const query = new athena.CfnNamedQuery(this, `Report-${report.name}`, {
        name: report.name,
        description: report.answers,
        database: this.databaseName,
        workGroup: this.workGroup.ref,
        queryString: athenaQueryText(report.name),
      });
      query.addResourceDependency(this.workGroup);
      return query;
    });
    this.alarms = this.createAlarms(prefix, props.router);
  }

  private createAccessLogsBucket(removalPolicy: RemovalPolicy): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the archive buckets; logging it into itself would loop.',
    });
    return bucket;
  }

  private createDataBucket(
    id: string,
    props: ArchiveProps,
    removalPolicy: RemovalPolicy,
    retentionDays: number,
    logPrefix: string,
  ): s3.Bucket {
    return new s3.Bucket(this, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: logPrefix,
      lifecycleRules: [
        { expiration: Duration.days(retentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
    });
  }

  private createTable(
    database: glue.CfnDatabase,
    eventTypes: readonly CampaignEventType[],
    retentionDays: number,
  ): glue.CfnTable {
    const location = `s3://${this.bucket.bucketName}/${ARCHIVE_PREFIXES.events}`;
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: ARCHIVE_TABLE_NAME,
        description: 'Every event the fan-out published, as Parquet (one column per message field)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: ARCHIVE_PARTITION_KEYS.map((key) => ({
          name: key.name,
          type: 'string',
          comment: key.comment,
        })),
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          columns: ARCHIVE_COLUMNS.map((column) => ({
            name: column.name,
            type: glueTypeOf(column.kind),
            comment: column.comment,
          })),
        },
        parameters: {
          classification: 'parquet',
          EXTERNAL: 'TRUE',
          // Partition projection: Athena computes the partitions from these, so none are registered.
          'projection.enabled': 'true',
          'projection.event_type.type': 'enum',
          'projection.event_type.values': eventTypes.join(','),
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': `NOW-${retentionDays}DAYS,NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          'storage.location.template': projectionLocationTemplate(location),
        },
      },
    });
    table.addResourceDependency(database);
    return table;
  }

  private createDeliveryRole(key: kms.IKey, table: glue.CfnTable): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'Archive delivery stream: writes the archive bucket, reads the Glue table schema',
    });
    // The bucket's S3 actions only (CDK's grant on a KMS bucket adds Encrypt/ReEncrypt* on the key, without
    // kms:ViaService); the key use, through S3, is granted narrowly.
    // Exactly what Firehose's S3 destination needs: no delete on the personal-data archive.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          's3:AbortMultipartUpload',
          's3:GetBucketLocation',
          's3:GetObject',
          's3:ListBucket',
          's3:ListBucketMultipartUploads',
          's3:PutObject',
        ],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
      }),
    );
    grantKeyUse(key, role, 's3', KEY_USE_ACTIONS.encryptAndDecrypt);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
          stack.formatArn({
            service: 'glue',
            resource: 'table',
            resourceName: `${this.databaseName}/${ARCHIVE_TABLE_NAME}`,
          }),
        ],
      }),
    );
    // The policy (not the role: the data key's policy names the role, and the table's bucket uses the key).
    (role.node.findChild('DefaultPolicy') as iam.Policy).node.addDependency(table);
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    acknowledgeDeliveryWildcards(role, [...DELIVERY_ROLE_WILDCARDS, `Resource::<${bucketLogicalId}.Arn>/*`]);
    return role;
  }

  private createDeliveryStream(
    prefix: string,
    props: ArchiveProps,
    role: iam.Role,
    table: glue.CfnTable,
  ): firehose.CfnDeliveryStream {
    const logGroup = new logs.LogGroup(this, 'DeliveryLogs', {
      retention: retentionFromDays(props.logRetentionDays),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logStream = logGroup.addStream('S3Delivery');
    logGroup.grantWrite(role);
    const stream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: `${prefix}-archive`,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: {
        keyType: 'CUSTOMER_MANAGED_CMK',
        keyArn: props.encryptionKey.keyArn,
      },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: firehosePrefix(),
        errorOutputPrefix: `${ARCHIVE_PREFIXES.errors}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
        fileExtension: ARCHIVE_FILE_EXTENSION,
        bufferingHints: {
          intervalInSeconds: props.config.bufferIntervalSeconds,
          sizeInMBs: props.config.bufferSizeMiB,
        },
        // Parquet compresses its own pages (Snappy); Firehose requires UNCOMPRESSED with conversion.
        compressionFormat: 'UNCOMPRESSED',
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.encryptionKey.keyArn } },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: partitionQuery() },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
          ],
        },
        dataFormatConversionConfiguration: {
          enabled: true,
          inputFormatConfiguration: {
            deserializer: {
              openXJsonSerDe: { caseInsensitive: false, columnToJsonKeyMappings: columnToJsonKeyMappings() },
            },
          },
          outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
          schemaConfiguration: {
            catalogId: Aws.ACCOUNT_ID,
            databaseName: this.databaseName,
            tableName: ARCHIVE_TABLE_NAME,
            region: Aws.REGION,
            roleArn: role.roleArn,
            versionId: 'LATEST',
          },
        },
      },
    });
    stream.node.addDependency(role, table);
    return stream;
  }

  /** One Firehose subscription per event topic, raw message delivery (the message body only, as published). */
  private subscribeTopics(eventTopics: ReadonlyMap<CampaignEventType, sns.ITopic>): void {
    const role = new iam.Role(this, 'SubscriptionRole', {
      assumedBy: new iam.ServicePrincipal('sns.amazonaws.com'),
      description: 'The event topics deliver to the archive delivery stream',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'firehose:DescribeDeliveryStream',
          'firehose:ListDeliveryStreams',
          'firehose:ListTagsForDeliveryStream',
          'firehose:PutRecord',
          'firehose:PutRecordBatch',
        ],
        resources: [this.deliveryStream.attrArn],
      }),
    );
    for (const [eventType, topic] of eventTopics) {
      const subscription = new sns.Subscription(this, `Subscription-${eventType}`, {
        topic,
        protocol: sns.SubscriptionProtocol.FIREHOSE,
        endpoint: this.deliveryStream.attrArn,
        subscriptionRoleArn: role.roleArn,
        rawMessageDelivery: true,
        // A replay republishes events the archive already holds.
        filterPolicy: { [REPLAY_ATTRIBUTE]: sns.SubscriptionFilter.notExistsFilter() },
        deadLetterQueue: this.deadLetterQueue,
      });
      subscription.node.addDependency(role);
    }
  }

  private createDeadLetterQueue(key: kms.IKey, removalPolicy: RemovalPolicy): sqs.Queue {
    const queue = new sqs.Queue(this, 'SubscriptionDeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    // SNS encrypts what it parks with the queue's key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    const reason = 'This queue is itself the dead-letter queue of the archive subscriptions.';
    Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
    Validations.of(queue).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason });
    return queue;
  }

  private createWorkGroup(prefix: string, props: ArchiveProps): athena.CfnWorkGroup {
    return new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${prefix}-reports`,
      description: `${prefix}: the archive reports (named queries), results encrypted, scans limited`,
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.config.bytesScannedCutoffPerQueryMiB * 1024 * 1024,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          expectedBucketOwner: Aws.ACCOUNT_ID,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn },
        },
      },
    });
  }

  private createAlarms(prefix: string, router: AlarmRouter): cloudwatch.Alarm[] {
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Firehose',
        metricName,
        dimensionsMap: { DeliveryStreamName: this.deliveryStream.ref },
        period: ALARM_PERIOD,
        statistic,
      });
    const errors = `s3://${this.bucket.bucketName}/${ARCHIVE_PREFIXES.errors}`;
    return [
      createProjectAlarm(
        this,
        prefix,
        {
          slug: 'archive-delivery-failed',
          severity: 'warning',
          title: 'Archive: Firehose could not write to the archive bucket',
          meaning:
            'Events are not reaching the archive: Firehose retries a failing S3 write for up to 24 hours, then drops the data, and the reports miss it.',
          firstAction:
            "Read the delivery stream's CloudWatch logs (S3Delivery) for the error (bucket policy, KMS key, role) and fix it within the 24 hours.",
          metric: metric(FIREHOSE_METRICS.deliverySuccess, 'Minimum'),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        },
        router,
      ),
      createProjectAlarm(
        this,
        prefix,
        {
          slug: 'archive-records-failed',
          severity: 'warning',
          title: 'Archive: records written to errors/ instead of the table',
          meaning:
            'Firehose could not convert or partition some messages (a published field no longer fits the Glue table): they are under errors/, not in the reports.',
          firstAction: `Open the newest objects under ${errors} (format-conversion-failed, partitioning-failed): each names the error; fix the table or the message format, then re-send them.`,
          metric: new cloudwatch.MathExpression({
            expression: 'FILL(conversion, 0) + FILL(partitioning, 0)',
            usingMetrics: {
              conversion: metric(FIREHOSE_METRICS.failedConversion, 'Sum'),
              partitioning: metric(FIREHOSE_METRICS.partitionCountExceeded, 'Sum'),
            },
            period: ALARM_PERIOD,
            label: 'Archive records failed',
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
        router,
      ),
    ];
  }
}

/** IAM5 findings of the delivery role's grants: S3 action groups and object ARNs Firehose needs. */
function acknowledgeDeliveryWildcards(role: iam.Role, findings: readonly string[]): void {
  const reason =
    'Firehose writes objects under names it generates in the one archive bucket (grantReadWrite: its action groups on bucket/*), and the data-key variants of the one stack key.';
  for (const finding of findings) {
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}

const DELIVERY_ROLE_WILDCARDS: readonly string[] = [
  'Action::s3:Abort*',
  'Action::s3:DeleteObject*',
  'Action::s3:GetBucket*',
  'Action::s3:GetObject*',
  'Action::s3:List*',
  'Action::kms:GenerateDataKey*',
  'Action::kms:ReEncrypt*',
];

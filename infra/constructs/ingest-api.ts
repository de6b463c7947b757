import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAZY_MODULE_NAMES } from '../../functions/ingest/lazy-modules.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { ENV, FUNCTION_SERVICES } from '../../functions/shared/contracts/environment.js';
import { METRICS } from '../../functions/shared/metrics-catalog.js';
import type { Config } from '../config.js';
import { retentionFromDays } from '../log-retention.js';
import type { EndpointKey } from './endpoint-key.js';
import type { EventTable } from './event-table.js';
import { LargeEventBucket } from './large-event-bucket.js';
import { type FunctionSizing, ProjectFunction, setEnvironment } from './project-function.js';

/** Path of the one route Campaign posts event batches to. */
export const EVENTS_PATH = 'events';
export const STAGE_NAME = 'prod';

/** API Gateway gives up on an integration after 29 s; the ingest must answer (or fail) before that. */
export const MAX_INGEST_TIMEOUT = Duration.seconds(28);
/** The ingest's memory (MB) unless functionSizing says otherwise; the bench prices its CPU with it. */
export const INGEST_MEMORY_MB = 512;

export interface IngestApiProps {
  /** @default memory 512 MB, timeout 28 s, no reserved concurrency */
  readonly functionSizing?: FunctionSizing;
  readonly api: Config['api'];
  readonly eventTypes: readonly CampaignEventType[];
  readonly retentionDays: number;
  readonly logRetentionDays: number;
  readonly metricsNamespace: string;
  readonly eventTable: EventTable;
  readonly endpointKey: EndpointKey;
  /** How tolerant the ingest is of the payload. */
  readonly payload: Config['payload'];
  /** Campaign verify's mailing: its events are stored but not published (unless payload says so). */
  readonly verifyMailingId?: number;
}

/**
 * The public edge: a regional REST API with one POST route, guarded by a source-IP resource policy,
 * stage throttling and JSON access logs, in front of the ingest Lambda (which authenticates the
 * endpoint key before reading the body, validates, stores and answers).
 */
export class IngestApi extends Construct {
  readonly restApi: apigateway.RestApi;
  readonly ingestFunction: ProjectFunction;
  readonly accessLogs: logs.LogGroup;
  /** Requests answered 429 (stage or account throttling), counted from the access logs: API Gateway has no such metric. */
  readonly throttledRequests: cloudwatch.Metric;
  /** Where events too large for a table item are kept whole (the item points to the object). */
  readonly largeEvents: LargeEventBucket;
  /** URL Campaign posts to: https://<id>.execute-api.<region>.amazonaws.com/prod/events */
  readonly endpointUrl: string;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const { api } = props;
    if (api.throttlingBurstLimit < api.throttlingRateLimit) {
      throw new Error(
        `campaignEvents.api.throttlingBurstLimit (${api.throttlingBurstLimit}) must be at least ` +
          `throttlingRateLimit (${api.throttlingRateLimit})`,
      );
    }

    this.ingestFunction = new ProjectFunction(this, 'IngestFunction', {
      service: FUNCTION_SERVICES.ingest,
      description: 'Authenticates, validates and stores Campaign webhook event batches',
      metricsNamespace: props.metricsNamespace,
      logRetentionDays: props.logRetentionDays,
      memorySize: props.functionSizing?.memorySize ?? INGEST_MEMORY_MB,
      timeout: props.functionSizing?.timeout ?? MAX_INGEST_TIMEOUT,
      reservedConcurrentExecutions: props.functionSizing?.reservedConcurrentExecutions,
      lazyModules: LAZY_MODULE_NAMES,
    });
    setEnvironment(this.ingestFunction, ENV.maxBodyBytes, api.maxBodyBytes);
    setEnvironment(this.ingestFunction, ENV.maxEventsPerBatch, api.maxEventsPerBatch);
    setEnvironment(this.ingestFunction, ENV.retentionDays, props.retentionDays);
    setEnvironment(this.ingestFunction, ENV.eventTypes, props.eventTypes);
    setEnvironment(this.ingestFunction, ENV.requiredFields, props.payload.requiredFields);
    setEnvironment(
      this.ingestFunction,
      ENV.publishVerificationEvents,
      props.payload.publishVerificationEvents,
    );
    setEnvironment(this.ingestFunction, ENV.verifyMailingId, props.verifyMailingId);
    props.eventTable.bindWriter(this.ingestFunction);
    this.largeEvents = new LargeEventBucket(this, 'LargeEvents', {
      encryptionKey: props.eventTable.encryptionKey,
      retentionDays: props.retentionDays,
      retainData: props.eventTable.retainData,
    });
    this.largeEvents.bindWriter(this.ingestFunction);
    props.endpointKey.bindReader(this.ingestFunction);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: retentionFromDays(props.logRetentionDays),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.throttledRequests = this.accessLogs
      .addMetricFilter('ThrottledRequests', {
        filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
        metricNamespace: props.metricsNamespace,
        metricName: METRICS.apiThrottledRequests,
        metricValue: '1',
      })
      .metric({ statistic: 'Sum', period: Duration.minutes(5) });

    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `${Stack.of(this).stackName}-campaign-webhooks`,
      description: 'Receives Optimizely Campaign webhook event batches',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Every body reaches the function base64-encoded, exactly as sent: compressed bodies can be decoded
      // and bytes that are not UTF-8 refused instead of replaced on the way.
      binaryMediaTypes: ['*/*'],
      policy: sourceIpPolicy(api.allowAnySourceIp ? undefined : api.allowedSourceIps),
      // Access logs need the region's API Gateway CloudWatch role. Unless the account manages it elsewhere,
      // the stack sets it, and keeps it on destroy: every REST API in the account and region shares it.
      cloudWatchRole: api.manageAccountLoggingRole,
      ...(api.manageAccountLoggingRole && { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN }),
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: api.throttlingRateLimit,
        throttlingBurstLimit: api.throttlingBurstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs at ERROR only, and never request bodies: they carry recipient addresses.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
    });

    const events = this.restApi.root.addResource(EVENTS_PATH);
    events.addMethod('POST', new apigateway.LambdaIntegration(this.ingestFunction, { proxy: true }));
    this.endpointUrl = this.restApi.urlForPath(`/${EVENTS_PATH}`);

    this.acknowledgeNagFindings();
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.ingestFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by API Gateway: a failure is answered 5xx and Campaign retries the batch.',
    });
    const reasonNoApiAuthorizer =
      'Campaign can only send a static header (keyAuth); the ingest Lambda checks it in constant time ' +
      'against the generated endpoint key before reading the body, behind a source-IP resource policy.';
    Validations.of(this.restApi).acknowledge({ id: 'AwsSolutions-APIG4', reason: reasonNoApiAuthorizer });
    Validations.of(this.restApi).acknowledge({ id: 'AwsSolutions-COG4', reason: reasonNoApiAuthorizer });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'The ingest Lambda validates every request (content type, size, JSON, schema) and answers a precise 4xx.',
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'The API admits only the configured source IPs (resource policy) and is throttled per stage; ' +
        'a WAF web ACL can be associated by the platform team if required.',
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The AWS-managed policy is the documented way to let API Gateway write execution and access logs.',
    });
  }
}

/**
 * Resource policy: everyone may invoke unless the source IP is outside the allow list. Without a list,
 * the API is open to any address (authentication still applies).
 */
function sourceIpPolicy(allowedSourceIps: readonly string[] | undefined): iam.PolicyDocument {
  const invoke = 'execute-api:Invoke';
  const anyMethod = 'execute-api:/*';
  const statements = [
    new iam.PolicyStatement({
      effect: iam.Effect.ALLOW,
      principals: [new iam.AnyPrincipal()],
      actions: [invoke],
      resources: [anyMethod],
    }),
  ];
  if (allowedSourceIps) {
    statements.push(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [invoke],
        resources: [anyMethod],
        conditions: { NotIpAddress: { 'aws:SourceIp': [...allowedSourceIps] } },
      }),
    );
  }
  return new iam.PolicyDocument({ statements });
}

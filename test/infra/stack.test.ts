import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_EVENT_TYPES } from '../../functions/shared/campaign-event-types.js';
import { synthStack } from '../support/synth.js';

describe('ingest API', () => {
  const { template } = synthStack();

  it('is a regional REST API whose resource policy denies every source but the Campaign sender', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'execute-api:Invoke',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['193.169.180.1/32'] } },
          }),
        ]),
      },
    });
  });

  it('drops the allow list only when asked to', () => {
    const open = synthStack({ api: { allowAnySourceIp: true } }).template;
    const apis = Object.values(open.findResources('AWS::ApiGateway::RestApi'));
    const statements = apis[0]?.Properties.Policy.Statement as Array<{ Effect: string }>;
    expect(statements.map((statement) => statement.Effect)).toEqual(['Allow']);
  });

  it('has exactly one method: POST /events, proxied to the ingest function', () => {
    template.resourceCountIs('AWS::ApiGateway::Method', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'events' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      Integration: { Type: 'AWS_PROXY' },
    });
  });

  it('throttles the stage, writes JSON access logs and never logs request bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
      MethodSettings: [
        Match.objectLike({
          ThrottlingRateLimit: 2000,
          ThrottlingBurstLimit: 4000,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ],
    });
  });

  it("sets the region's API Gateway logging role and keeps it on destroy, unless told not to", () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    const managedElsewhere = synthStack({ api: { manageAccountLoggingRole: false } }).template;
    managedElsewhere.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('rejects a burst limit below the rate limit at synth time', () => {
    expect(() => synthStack({ api: { throttlingRateLimit: 100, throttlingBurstLimit: 10 } })).toThrow(
      /api\.throttlingBurstLimit: got 10; must be at least throttlingRateLimit/,
    );
  });

  it('passes the body-size limit, batch limit, retention and event types to the ingest function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Authenticates, validates and stores'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          MAX_BODY_BYTES: '4000000',
          MAX_EVENTS_PER_BATCH: '10000',
          RETENTION_DAYS: '30',
          EVENT_TYPES: CAMPAIGN_EVENT_TYPES.join(','),
          AUTH_HEADER_NAME: 'X-Campaign-Webhook-Key',
          ENDPOINT_KEY_SECRET_ID: Match.anyValue(),
          TABLE_NAME: Match.anyValue(),
          LARGE_EVENT_BUCKET: Match.anyValue(),
          REQUIRED_FIELDS: '{}',
          PUBLISH_VERIFICATION_EVENTS: 'false',
          VERIFY_MAILING_ID: '900001',
        }),
      },
    });
  });
});

describe('event table', () => {
  const { template } = synthStack({ retentionDays: 7 });

  it('is on-demand, KMS-encrypted, recoverable, expires items by TTL and streams new images', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'eventKey', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
  });

  it('lets the ingest function write with BatchWriteItem and nothing else', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('IngestFunction') },
    });
    const actions = Object.values(policies).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) =>
        Array.isArray(s.Action) ? s.Action : [s.Action],
      ),
    );
    const dynamoActions = actions.filter((action) => action.startsWith('dynamodb:'));
    expect(dynamoActions).toEqual(['dynamodb:BatchWriteItem']);
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions).not.toContain('sns:Publish');
  });

  it('can be destroyed with the stack when retainData is false', () => {
    const disposable = synthStack({ retainData: false }).template;
    disposable.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });
});

describe('fan-out', () => {
  const { template } = synthStack();

  it('reads only INSERTs of accepted events from the stream, retrying without limit or bisection, a DLQ past 22 h', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: false,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: 22 * 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { NewImage: { status: { S: ['accepted'] } } },
            }),
          },
        ],
      },
    });
  });

  it('parks and holds events in their own encrypted 14-day queues, and consumes the held ones itself', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const byId = (prefix: string) => {
      const entry = Object.entries(queues).find(([id]) => id.startsWith(prefix));
      if (entry === undefined) throw new Error(`no queue ${prefix}`);
      return entry;
    };
    const [parkedId, parked] = byId('FanOutParkedEventsQueue');
    const [heldId, held] = byId('FanOutHeldEventsQueue');
    for (const queue of [parked, held]) {
      expect(queue.Properties).toMatchObject({
        KmsMasterKeyId: expect.anything(),
        MessageRetentionPeriod: 1209600,
      });
    }
    // Six times the function's timeout, as Lambda advises for a queue event source.
    expect(held.Properties.VisibilityTimeout).toBe(360);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [heldId, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('Publishes stored Campaign events') },
    });
    const variables = Object.values(functions)[0]?.Properties.Environment.Variables;
    expect(variables).toMatchObject({
      PARKED_EVENTS_QUEUE_URL: { Ref: parkedId },
      HELD_EVENTS_QUEUE_URL: { Ref: heldId },
      HOLD_AFTER_SECONDS: String(20 * 3600),
    });
  });

  it('has a KMS-encrypted dead-letter queue that only accepts TLS', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: Match.anyValue(),
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('gets every topic ARN by event type', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('Publishes stored Campaign events') },
    });
    const variables = Object.values(functions)[0]?.Properties.Environment.Variables;
    expect(variables.TOPIC_ARNS).toBeDefined();
    expect(JSON.stringify(variables.TOPIC_ARNS)).toContain('"spamcomplaint\\":');
  });
});

/** Names of the event topics (the alerting topics are not event topics). */
function eventTopicNames(template: Template): string[] {
  return Object.values(template.findResources('AWS::SNS::Topic'))
    .map((topic) => topic.Properties.TopicName as string)
    .filter((name) => CAMPAIGN_EVENT_TYPES.some((type) => name === `TestStack-${type}`))
    .sort();
}

describe('event topics', () => {
  it('creates one KMS-encrypted topic per event type, all 12 by default, with ARNs as outputs', () => {
    const { template } = synthStack();
    expect(eventTopicNames(template)).toEqual(CAMPAIGN_EVENT_TYPES.map((type) => `TestStack-${type}`).sort());
    for (const eventType of CAMPAIGN_EVENT_TYPES) {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: `TestStack-${eventType}`,
        KmsMasterKeyId: Match.anyValue(),
      });
    }
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining(['TopicArnSent', 'TopicArnBounce', 'TopicArnArchive']));
  });

  it('creates only the configured types', () => {
    const { template } = synthStack({ eventTypes: ['sent', 'bounce'] });
    expect(eventTopicNames(template)).toEqual(['TestStack-bounce', 'TestStack-sent']);
  });
});

describe('endpoint key', () => {
  it('is generated by Secrets Manager, so no key is in the template', () => {
    const { template } = synthStack();
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"previous":""}',
        GenerateStringKey: 'current',
        ExcludePunctuation: true,
        PasswordLength: 48,
      },
      KmsKeyId: Match.anyValue(),
    });
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/"SecretString"\s*:/);
  });
});

describe('data key', () => {
  it('is a customer-managed KMS key with rotation', () => {
    const { template } = synthStack();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('least privilege', () => {
  it('never grants a KMS, DynamoDB, SNS, SQS or Secrets Manager action on every resource', () => {
    const { template } = synthStack();
    const scoped = /^(kms|dynamodb|sns|sqs|secretsmanager):/;
    for (const [logicalId, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>) {
        const actions = [statement.Action].flat() as string[];
        if (actions.some((action) => scoped.test(action))) {
          expect({ logicalId, resource: statement.Resource }).not.toEqual({ logicalId, resource: '*' });
        }
      }
    }
  });

  it('gives project functions no AWS-managed policy', () => {
    const { template } = synthStack();
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] },
      },
    });
    const projectRoles = Object.entries(roles).filter(([logicalId]) => /Ingest|FanOut/.test(logicalId));
    expect(projectRoles.length).toBeGreaterThanOrEqual(2);
    for (const [, role] of projectRoles) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('log retention (logRetentionDays)', () => {
  /** RetentionInDays of the one log group a pointer (`Ref`, `Fn::GetAtt`, an ARN built with `Fn::Join`) names. */
  const retentionOf = (template: Template, pointer: unknown) => {
    const groups = Object.entries(template.findResources('AWS::Logs::LogGroup'));
    const named = groups.filter(([logicalId]) => JSON.stringify(pointer).includes(`"${logicalId}"`));
    expect(named).toHaveLength(1);
    return named[0]?.[1].Properties.RetentionInDays;
  };

  it("applies to every function's log group and to the API access logs, rounded up to a CloudWatch period", () => {
    const { template } = synthStack({
      logRetentionDays: 45,
      alerts: { slackWebhookSecretName: 'ops/slack' },
    });
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    // Ingest, fan-out, reconciler, its provider framework, alarm formatter, Slack sender.
    expect(functions).toHaveLength(6);
    for (const [logicalId, fn] of functions) {
      expect(retentionOf(template, fn.Properties.LoggingConfig?.LogGroup), logicalId).toBe(60);
    }
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    expect(retentionOf(template, stage?.Properties.AccessLogSetting.DestinationArn)).toBe(60);
  });

  it('keeps a value that is a CloudWatch period as it is', () => {
    const { template } = synthStack({ logRetentionDays: 14 });
    const retentions = Object.values(template.findResources('AWS::Logs::LogGroup')).map(
      (group) => group.Properties.RetentionInDays,
    );
    expect(retentions.length).toBeGreaterThan(0);
    expect(new Set(retentions)).toEqual(new Set([14]));
  });
});

describe('metrics namespace (metricsNamespace)', () => {
  const { template } = synthStack({
    metricsNamespace: 'Acme/Campaign',
    alerts: { slackWebhookSecretName: 'ops/slack' },
  });

  it("is every project function's POWERTOOLS_METRICS_NAMESPACE", () => {
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
      // The Provider framework's own function is aws-cdk-lib code and emits no metrics.
      ([logicalId]) => !logicalId.includes('Providerframework'),
    );
    expect(functions).toHaveLength(5);
    for (const [logicalId, fn] of functions) {
      expect(fn.Properties.Environment?.Variables?.POWERTOOLS_METRICS_NAMESPACE, logicalId).toBe(
        'Acme/Campaign',
      );
    }
  });

  it('is the namespace of every alarm on a custom metric', () => {
    const namespaces = Object.values(template.findResources('AWS::CloudWatch::Alarm')).flatMap((alarm) => {
      const props = alarm.Properties;
      const queries = (props.Metrics ?? []) as Array<{ MetricStat?: { Metric: { Namespace: string } } }>;
      return [props.Namespace, ...queries.map((query) => query.MetricStat?.Metric.Namespace)].filter(
        (namespace): namespace is string => namespace !== undefined,
      );
    });
    const custom = namespaces.filter((namespace) => !namespace.startsWith('AWS/'));
    expect(custom.length).toBeGreaterThanOrEqual(5);
    expect(new Set(custom)).toEqual(new Set(['Acme/Campaign']));
    for (const slug of ['events-quarantined', 'publish-failures', 'dispatch-silence', 'spam-complaints']) {
      const [alarm] = Object.values(
        template.findResources('AWS::CloudWatch::Alarm', {
          Properties: { AlarmName: Match.stringLikeRegexp(`-${slug}$`) },
        }),
      );
      expect(alarm?.Properties.Namespace, slug).toBe('Acme/Campaign');
    }
  });
});

import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { toMessage } from '../../functions/fan-out/message.js';
import { parseAlarmName } from '../../functions/shared/alerts/alarm-identity.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import type { PublishedEvent } from '../../functions/shared/events/stored-event.js';
import { type ConfigInput, parseConfig } from '../../infra/config.js';
import type { AlarmRouter } from '../../infra/constructs/alarms/project-alarm.js';
import { Archive } from '../../infra/constructs/archive.js';
import { athenaQueryText, REPORT_NAMES } from '../../reports/catalog.js';
import { nagFindings } from '../support/nag.js';
import { synthStack } from '../support/synth.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation template JSON, read by path in assertions
type TemplateJson = any;

const env = { account: '123456789012', region: 'eu-central-1' };
const EVENT_TYPES: CampaignEventType[] = ['sent', 'bounce', 'open', 'click'];

function build(archive: NonNullable<ConfigInput['archive']> = {}, app = new App()) {
  const stack = new Stack(app, 'ArchiveTest', { env });
  const config = parseConfig({ campaign: { clientIds: [1] }, archive: { enabled: true, ...archive } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const topics = new Map(
    EVENT_TYPES.map(
      (type) => [type, new sns.Topic(stack, `Topic-${type}`, { masterKey: key, enforceSSL: true })] as const,
    ),
  );
  const routed: cloudwatch.Alarm[] = [];
  const router: AlarmRouter = { routeAlarm: (alarm) => void routed.push(alarm) };
  const construct = new Archive(stack, 'Archive', {
    config: config.archive,
    eventTopics: topics,
    encryptionKey: key,
    router,
    retainData: true,
    logRetentionDays: 30,
  });
  return { stack, construct, routed, template: Template.fromStack(stack) };
}

function onlyResource(template: Template, type: string): { logicalId: string; properties: TemplateJson } {
  const resources = Object.entries(template.findResources(type));
  expect(resources).toHaveLength(1);
  const [logicalId, resource] = resources[0] as [string, { Properties: unknown }];
  return { logicalId, properties: resource.Properties };
}

/** A published message with every optional field, as the fan-out builds it for an accepted event. */
function publishedBody(): Record<string, unknown> {
  const event: PublishedEvent = {
    eventKey: `bounce#${'a'.repeat(64)}`,
    eventType: 'bounce',
    clientId: 100001,
    mailingId: 900002,
    recipientId: 'r-42',
    receivedAt: '2026-12-01T09:15:30.123Z',
    event: {
      type: 'bounce',
      clientId: 100001,
      mailingId: 900002,
      recipientId: 'r-42',
      mediaTypesToAddresses: { EMAIL: 'someone@example.com' },
      bounceCategory: 'hardbounce',
      created: '2026-12-01T09:15:00.000Z',
    },
  };
  return JSON.parse(toMessage(event).body) as Record<string, unknown>;
}

describe('Archive construct', () => {
  it('subscribes every event topic to one Firehose stream with raw message delivery and a dead-letter queue', () => {
    const { template } = build();
    const stream = onlyResource(template, 'AWS::KinesisFirehose::DeliveryStream');
    const subscriptions = template.findResources('AWS::SNS::Subscription');
    expect(Object.keys(subscriptions)).toHaveLength(EVENT_TYPES.length);
    const topicIds = Object.keys(template.findResources('AWS::SNS::Topic')).sort();
    const subscribed = Object.values(subscriptions).map((s: TemplateJson) => {
      expect(s.Properties).toMatchObject({
        Protocol: 'firehose',
        RawMessageDelivery: true,
        Endpoint: { 'Fn::GetAtt': [stream.logicalId, 'Arn'] },
        SubscriptionRoleArn: expect.anything(),
        RedrivePolicy: { deadLetterTargetArn: expect.anything() },
        // A replay (npm run replay) republishes events the archive holds already.
        FilterPolicy: { replay: [{ exists: false }] },
      });
      return s.Properties.TopicArn.Ref as string;
    });
    expect(subscribed.sort()).toEqual(topicIds);
  });

  it('partitions by event type and UTC date/hour received and converts to Parquet against the Glue table', () => {
    const { template } = build({ bufferIntervalSeconds: 120, bufferSizeMiB: 64 });
    const { properties } = onlyResource(template, 'AWS::KinesisFirehose::DeliveryStream');
    const table = onlyResource(template, 'AWS::Glue::Table').properties.TableInput;
    const destination = properties.ExtendedS3DestinationConfiguration;
    expect(properties.DeliveryStreamEncryptionConfigurationInput.KeyType).toBe('CUSTOMER_MANAGED_CMK');
    expect(destination.Prefix).toBe(
      'events/event_type=!{partitionKeyFromQuery:event_type}/dt=!{partitionKeyFromQuery:dt}/hour=!{partitionKeyFromQuery:hour}/',
    );
    expect(destination.ErrorOutputPrefix).toMatch(/^errors\/!\{firehose:error-output-type\}\//);
    expect(destination.BufferingHints).toEqual({ IntervalInSeconds: 120, SizeInMBs: 64 });
    expect(destination.DynamicPartitioningConfiguration.Enabled).toBe(true);
    const parameters = destination.ProcessingConfiguration.Processors[0].Parameters;
    expect(parameters).toContainEqual({
      ParameterName: 'MetadataExtractionQuery',
      ParameterValue: '{event_type: .eventType, dt: .receivedAt[0:10], hour: .receivedAt[11:13]}',
    });
    const conversion = destination.DataFormatConversionConfiguration;
    expect(conversion.Enabled).toBe(true);
    expect(conversion.OutputFormatConfiguration.Serializer.ParquetSerDe.Compression).toBe('SNAPPY');
    expect(conversion.InputFormatConfiguration.Deserializer.OpenXJsonSerDe.CaseInsensitive).toBe(false);
    expect(conversion.SchemaConfiguration.TableName).toBe(table.Name);
    expect(table.PartitionKeys.map((key: { Name: string }) => key.Name)).toEqual([
      'event_type',
      'dt',
      'hour',
    ]);
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toContain('ParquetHiveSerDe');
    expect(table.Parameters['projection.enabled']).toBe('true');
    expect(table.Parameters['projection.event_type.values']).toBe(EVENT_TYPES.join(','));
  });

  it('has a Glue column (or partition) for every field of the published message, each of a fitting type', () => {
    const { template } = build();
    const stream = onlyResource(template, 'AWS::KinesisFirehose::DeliveryStream').properties;
    const conversion = stream.ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration;
    const mappings: Record<string, string> =
      conversion.InputFormatConfiguration.Deserializer.OpenXJsonSerDe.ColumnToJsonKeyMappings;
    const columns: Array<{ Name: string; Type: string }> = onlyResource(template, 'AWS::Glue::Table')
      .properties.TableInput.StorageDescriptor.Columns;
    const body = publishedBody();
    const columnOfField = new Map(columns.map((column) => [mappings[column.Name] ?? column.Name, column]));
    // eventType is the event_type partition; receivedAt also gives dt and hour.
    const fields = Object.keys(body).filter((field) => field !== 'eventType');
    expect([...columnOfField.keys()].sort()).toEqual(fields.sort());
    for (const field of fields) {
      const column = columnOfField.get(field) as { Name: string; Type: string };
      expect({ field, fits: fitsGlueType(body[field], column.Type) }).toEqual({ field, fits: true });
    }
  });

  it('keeps the bucket private, encrypted with the key, TLS-only, access-logged and expiring', () => {
    const { template, stack } = build({ retentionDays: 400 });
    const keyId = stack.getLogicalId(stack.node.findChild('Key').node.defaultChild as never);
    const buckets = template.findResources('AWS::S3::Bucket');
    const archive = Object.entries(buckets).find(([id]) =>
      id.startsWith('ArchiveBucket'),
    )?.[1] as TemplateJson;
    expect(archive.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
      ServerSideEncryptionByDefault: {
        SSEAlgorithm: 'aws:kms',
        KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
      },
      BucketKeyEnabled: true,
    });
    expect(archive.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(archive.Properties.LoggingConfiguration.DestinationBucketName).toEqual({
      Ref: expect.stringMatching(/^ArchiveAccessLogs/),
    });
    expect(archive.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(400);
    for (const policy of Object.values(template.findResources('AWS::S3::BucketPolicy')) as TemplateJson[]) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('runs the reports in an Athena workgroup with encrypted results and a per-query scan limit', () => {
    const { template, construct } = build({ bytesScannedCutoffPerQueryMiB: 2048 });
    const workGroup = onlyResource(template, 'AWS::Athena::WorkGroup').properties;
    expect(workGroup.WorkGroupConfiguration).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      BytesScannedCutoffPerQuery: 2048 * 1024 * 1024,
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS' } },
    });
    const queries = Object.values(template.findResources('AWS::Athena::NamedQuery')) as TemplateJson[];
    expect(queries.map((query) => query.Properties.Name).sort()).toEqual([...REPORT_NAMES].sort());
    for (const query of queries) {
      expect(query.Properties.QueryString).toBe(athenaQueryText(query.Properties.Name));
      expect(query.Properties.Database).toBe(construct.databaseName);
    }
  });

  it('routes a failed-delivery and a failed-records alarm', () => {
    const { routed, construct } = build();
    expect(routed).toHaveLength(2);
    const slugs = construct.alarms.map((alarm) => {
      const template = Template.fromStack(Stack.of(alarm));
      const alarms = template.findResources('AWS::CloudWatch::Alarm');
      const id = Stack.of(alarm).getLogicalId(alarm.node.defaultChild as never);
      return parseAlarmName((alarms[id] as TemplateJson).Properties.AlarmName)?.slug;
    });
    expect(slugs.sort()).toEqual(['archive-delivery-failed', 'archive-records-failed']);
  });

  it('is cdk-nag clean on its own stack', () => {
    expect(nagFindings((app) => build({}, app).stack)).toEqual([]);
  });
});

describe('archive in the stack', () => {
  it('is off by default: no stream, bucket or workgroup', () => {
    const { template } = synthStack();
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    // The only bucket is the ingest's large-event bucket (the claim check), not an archive's.
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket'));
    expect(buckets.filter((logicalId) => !logicalId.includes('LargeEvents'))).toEqual([]);
    template.resourceCountIs('AWS::Athena::WorkGroup', 0);
  });

  it('when on, archives every configured type and alarms its subscription dead-letter queue', () => {
    const { template } = synthStack({ eventTypes: ['sent', 'open'], archive: { enabled: true } });
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'firehose' }, 2);
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm: TemplateJson) => parseAlarmName(alarm.Properties.AlarmName)?.slug,
    );
    expect(names).toEqual(expect.arrayContaining(['archive-delivery-failed', 'archive-records-failed']));
    expect(names.some((slug) => slug?.includes('archive') && slug.includes('dlq'))).toBe(true);
  });
});

/** What the OpenX JSON deserializer reads into a column of the Glue type (an object as its JSON text). */
function fitsGlueType(value: unknown, type: string): boolean {
  if (type === 'string') return typeof value === 'string' || (typeof value === 'object' && value !== null);
  if (type === 'bigint') return typeof value === 'number' && Number.isSafeInteger(value);
  if (type === 'timestamp') {
    return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value);
  }
  return false;
}

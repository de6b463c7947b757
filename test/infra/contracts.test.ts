import { describe, expect, it } from 'vitest';
import { createEventReader } from '../../functions/ingest/event-reader.js';
import { classifyBatch } from '../../functions/ingest/ingest-batch.js';
import { CAMPAIGN_EVENT_TYPES } from '../../functions/shared/campaign-event-types.js';
import { readEnvironment, variableNames } from '../../functions/shared/contracts/env.js';
import {
  FUNCTION_ENVIRONMENTS,
  FUNCTION_SERVICES,
  type FunctionService,
  INGEST_ENV,
  RUNTIME_ENV,
} from '../../functions/shared/contracts/environment.js';
import { CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import { compileFilterCriteria } from '../../local/pipeline/lambda-event-filter.js';
import { receivedEvents } from '../support/stored-events.js';
import { synthStack } from '../support/synth.js';

/**
 * The contracts between the stack and the functions, checked on the synthesized template: a variable or
 * table attribute renamed on one side only fails here, not in production.
 */

const config = {
  retentionDays: 9,
  api: { maxBodyBytes: 123_456, maxEventsPerBatch: 77 },
  eventTypes: ['sent', 'bounce', 'open'] as const,
  alerts: { slackWebhookSecretName: 'ops/slack' },
};
const { template } = synthStack({ ...config, eventTypes: [...config.eventTypes] });

interface FunctionResource {
  Properties: { Handler: string; Environment?: { Variables?: Record<string, unknown> } };
}

/** A CloudFormation value with its intrinsics replaced by dummies of the shape they resolve to (ARN-like). */
function resolved(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return `arn:aws:dummy:eu-central-1:123456789012:${String(intrinsic.Ref)}`;
  if ('Fn::GetAtt' in intrinsic) {
    return `arn:aws:dummy:eu-central-1:123456789012:${(intrinsic['Fn::GetAtt'] as string[]).join('.')}`;
  }
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(resolved).join(separator);
  }
  throw new Error(`No dummy for ${JSON.stringify(value)}`);
}

function projectFunctions(): Map<FunctionService, Record<string, string>> {
  const functions = new Map<FunctionService, Record<string, string>>();
  const resources = template.findResources('AWS::Lambda::Function') as Record<string, FunctionResource>;
  for (const [logicalId, resource] of Object.entries(resources)) {
    // The custom resource provider framework's own relay function is aws-cdk-lib's, not ours.
    if (resource.Properties.Handler === 'framework.onEvent') continue;
    const variables = resource.Properties.Environment?.Variables ?? {};
    const environment = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [name, resolved(value)]),
    );
    const service = environment[RUNTIME_ENV.serviceName.name] as FunctionService;
    expect(Object.values(FUNCTION_SERVICES), `${logicalId}'s service`).toContain(service);
    expect(functions.has(service), `${service} appears once`).toBe(false);
    functions.set(service, environment);
  }
  return functions;
}

describe('function environments', () => {
  const functions = projectFunctions();

  it('the stack has every function a spec exists for', () => {
    expect([...functions.keys()].sort()).toEqual(Object.values(FUNCTION_SERVICES).sort());
  });

  it.each(Object.values(FUNCTION_SERVICES))(
    '%s: every variable its spec reads is set and parses, and none is set that no spec reads',
    (service) => {
      const environment = functions.get(service) ?? {};
      const spec = FUNCTION_ENVIRONMENTS[service];
      expect(() => readEnvironment(spec, environment)).not.toThrow();
      expect(() => readEnvironment(RUNTIME_ENV, environment)).not.toThrow();
      const read = new Set([...variableNames(spec), ...variableNames(RUNTIME_ENV)]);
      expect(Object.keys(environment).filter((name) => !read.has(name))).toEqual([]);
    },
  );

  it('the ingest reads the configured values', () => {
    const settings = readEnvironment(INGEST_ENV, functions.get(FUNCTION_SERVICES.ingest) ?? {});
    expect(settings).toMatchObject({
      retentionDays: config.retentionDays,
      maxBodyBytes: config.api.maxBodyBytes,
      maxEventsPerBatch: config.api.maxEventsPerBatch,
      eventTypes: config.eventTypes,
    });
  });

  it('the fan-out gets one topic per configured type, and the slack notifier the configured secret', () => {
    const fanOut = readEnvironment(FUNCTION_ENVIRONMENTS['fan-out'], functions.get('fan-out') ?? {});
    expect([...(fanOut.topicArns as Map<string, string>).keys()]).toEqual(config.eventTypes);
    const slack = readEnvironment(
      FUNCTION_ENVIRONMENTS['slack-notifier'],
      functions.get('slack-notifier') ?? {},
    );
    expect(slack).toEqual({ slackWebhookSecretName: 'ops/slack' });
  });
});

describe('the events table and the items the ingest stores', () => {
  const receivedAt = new Date('2025-03-01T10:00:00.000Z');
  const factory = new CampaignEventFactory({ seed: 8, now: () => receivedAt });
  const events = [
    ...CAMPAIGN_EVENT_TYPES.map((type) => factory.event(type)),
    { type: 'open' },
    'not an event',
    // A Campaign verify test event: stored, never published.
    { ...factory.event('sent'), mailingId: 900001 },
  ];
  const { entries } = classifyBatch(receivedEvents(events), {
    read: createEventReader({ eventTypes: CAMPAIGN_EVENT_TYPES, verifyMailingId: 900001 }),
    retentionDays: 30,
    receivedAt,
    bucket: 'large-events',
  });
  const items = entries.map((entry) => entry.item);
  const stored = items.map((item) => ({ item, attributes: item.attributes }));
  const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
  const tableProperties = table?.Properties as {
    KeySchema: Array<{ AttributeName: string; KeyType: string }>;
    AttributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
    TimeToLiveSpecification: { AttributeName: string; Enabled: boolean };
  };

  it('every item has the partition key the table is keyed on, of its type', () => {
    const [key] = tableProperties.KeySchema;
    expect(tableProperties.KeySchema).toHaveLength(1);
    const type = tableProperties.AttributeDefinitions.find((d) => d.AttributeName === key?.AttributeName);
    for (const { attributes } of stored) {
      expect(Object.keys(attributes[key?.AttributeName ?? ''] ?? {})).toEqual([type?.AttributeType]);
    }
  });

  it('every item expires by the TTL attribute the table sets (epoch seconds)', () => {
    const ttl = tableProperties.TimeToLiveSpecification;
    expect(ttl.Enabled).toBe(true);
    for (const { attributes } of stored) {
      expect(Number(attributes[ttl.AttributeName]?.N)).toBe(
        Math.floor(receivedAt.getTime() / 1000) + 30 * 86_400,
      );
    }
  });

  it("accepted items, and only they, pass the fan-out's stream filter", () => {
    const [mapping] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as Array<{
      Properties: { FilterCriteria: { Filters: Array<{ Pattern: string }> } };
    }>;
    const filters = mapping?.Properties.FilterCriteria.Filters ?? [];
    const passes = compileFilterCriteria(filters.map((filter) => filter.Pattern));
    const passed = stored.filter(({ attributes }) =>
      passes({ eventName: 'INSERT', dynamodb: { NewImage: attributes } }),
    );
    expect(passed.map(({ item }) => item.eventKey)).toEqual(
      items.filter((item) => item.status === 'accepted').map((item) => item.eventKey),
    );
    expect(passed).toHaveLength(CAMPAIGN_EVENT_TYPES.length);
  });
});

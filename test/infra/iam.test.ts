import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_SERVICES } from '../../functions/shared/contracts/environment.js';
import type { ConfigInput } from '../../infra/config.js';
import { synthStack } from '../support/synth.js';
import {
  ACCOUNT,
  ADMINISTRATOR_POLICY,
  type CfnTemplate,
  IamModel,
  OTHER_ACCOUNT,
  type RoleModel,
  viaService,
} from './iam-model.js';

/**
 * Every role of the synthesized stack, evaluated with a real policy evaluator against every rule below:
 * a role not listed for a capability must be denied it. A new role (any construct's) is covered as it
 * is added: it may do none of these things until a rule lists it.
 */

const FULL: Partial<ConfigInput> = {
  alerts: { emails: ['oncall@example.com'], slackWebhookSecretName: 'campaign-events/slack' },
  archive: { enabled: true },
};
/** Roles of the project functions (found by their Powertools service) and of the archive (by logical id). */
const FUNCTION_OWNERS = ['ingest', 'fanOut', 'alarmFormatter', 'slackNotifier', 'webhookReconciler'] as const;
const ROLE_ID_PREFIXES = {
  archiveDelivery: 'ArchiveDeliveryRole',
  archiveSubscription: 'ArchiveSubscriptionRole',
  /** API Gateway's account-wide access-log role (AWS-managed AmazonAPIGatewayPushToCloudWatchLogs; only apigateway.amazonaws.com assumes it). */
  apiGatewayLogging: 'IngestApiRestApiCloudWatchRole',
};
type Owner = (typeof FUNCTION_OWNERS)[number] | keyof typeof ROLE_ID_PREFIXES;

interface Rule {
  readonly what: string;
  readonly action: string;
  readonly resources: (model: IamModel) => string[];
  readonly context?: Record<string, string>;
  /** The only roles allowed; every other role must be denied. */
  readonly allowed: readonly Owner[];
}

const only =
  (type: string, filter: (id: string) => boolean = () => true) =>
  (model: IamModel) =>
    model
      .logicalIdsOfType(type)
      .filter(filter)
      .map((id) => model.arn(id));
const table = only('AWS::DynamoDB::GlobalTable');
const stream = (model: IamModel) =>
  model.logicalIdsOfType('AWS::DynamoDB::GlobalTable').map((id) => model.arn(id, 'StreamArn'));
const eventTopics = only('AWS::SNS::Topic', (id) => id.startsWith('EventTopics'));
const alertsTopic = only('AWS::SNS::Topic', (id) => id.startsWith('AlertingAlertsTopic'));
const internalAlertingTopics = only(
  'AWS::SNS::Topic',
  (id) => id.startsWith('Alerting') && !id.startsWith('AlertingAlertsTopic'),
);
const endpointKeySecret = only('AWS::SecretsManager::Secret', (id) => id.startsWith('EndpointKey'));
const fanOutDeadLetterQueue = only('AWS::SQS::Queue', (id) => id.startsWith('FanOutDeadLetterQueue'));
const parkedEventsQueue = only('AWS::SQS::Queue', (id) => id.startsWith('FanOutParkedEventsQueue'));
const heldEventsQueue = only('AWS::SQS::Queue', (id) => id.startsWith('FanOutHeldEventsQueue'));
const fanOutLogGroup = only('AWS::Logs::LogGroup', (id) => id.startsWith('FanOutFanOutFunctionLogs'));
const otherLogGroups = only('AWS::Logs::LogGroup', (id) => !id.startsWith('FanOutFanOutFunctionLogs'));
const dataKey = only('AWS::KMS::Key', (id) => id.startsWith('DataKey'));
const alertingKey = only('AWS::KMS::Key', (id) => id.startsWith('Alerting'));
const everyKey = only('AWS::KMS::Key');
const archiveStream = only('AWS::KinesisFirehose::DeliveryStream');
const archiveObjects = (model: IamModel) =>
  only('AWS::S3::Bucket', (id) => id.startsWith('ArchiveBucket'))(model).map(
    (arn) => `${arn}/events/x.parquet`,
  );

const DATA_RULES: Rule[] = [
  { what: 'write events', action: 'dynamodb:BatchWriteItem', resources: table, allowed: ['ingest'] },
  ...['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].map(
    (action): Rule => ({ what: 'change stored events', action, resources: table, allowed: [] }),
  ),
  ...['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'].map(
    (action): Rule => ({ what: 'read the table', action, resources: table, allowed: [] }),
  ),
  { what: 'read the stream', action: 'dynamodb:GetRecords', resources: stream, allowed: ['fanOut'] },
  { what: 'publish events', action: 'sns:Publish', resources: eventTopics, allowed: ['fanOut'] },
  { what: 'subscribe to event topics', action: 'sns:Subscribe', resources: eventTopics, allowed: [] },
  { what: 'publish alerts', action: 'sns:Publish', resources: alertsTopic, allowed: ['alarmFormatter'] },
  {
    what: 'publish to the alarm and health topics (CloudWatch does)',
    action: 'sns:Publish',
    resources: internalAlertingTopics,
    allowed: [],
  },
  {
    what: 'read the endpoint key',
    action: 'secretsmanager:GetSecretValue',
    resources: endpointKeySecret,
    allowed: ['ingest', 'webhookReconciler'],
  },
  {
    what: 'change the endpoint key',
    action: 'secretsmanager:PutSecretValue',
    resources: endpointKeySecret,
    allowed: [],
  },
  {
    what: 'park failed batches',
    action: 'sqs:SendMessage',
    resources: fanOutDeadLetterQueue,
    allowed: ['fanOut'],
  },
  {
    what: 'read parked batches',
    action: 'sqs:ReceiveMessage',
    resources: fanOutDeadLetterQueue,
    allowed: [],
  },
  { what: 'park events', action: 'sqs:SendMessage', resources: parkedEventsQueue, allowed: ['fanOut'] },
  ...['sqs:ReceiveMessage', 'sqs:DeleteMessage'].map(
    (action): Rule => ({ what: 'take parked events', action, resources: parkedEventsQueue, allowed: [] }),
  ),
  { what: 'hold events', action: 'sqs:SendMessage', resources: heldEventsQueue, allowed: ['fanOut'] },
  ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'].map(
    (action): Rule => ({
      what: 'consume held events',
      action,
      resources: heldEventsQueue,
      allowed: ['fanOut'],
    }),
  ),
  ...['sqs:PurgeQueue', 'sqs:SetQueueAttributes', 'sqs:DeleteQueue'].map(
    (action): Rule => ({
      what: 'empty or change the fan-out queues',
      action,
      resources: (model: IamModel) => [
        ...fanOutDeadLetterQueue(model),
        ...parkedEventsQueue(model),
        ...heldEventsQueue(model),
      ],
      allowed: [],
    }),
  ),
  {
    what: "search the fan-out's log (parked events for the alert)",
    action: 'logs:FilterLogEvents',
    resources: fanOutLogGroup,
    allowed: ['alarmFormatter', 'apiGatewayLogging'],
  },
  {
    what: 'search any other log',
    action: 'logs:FilterLogEvents',
    resources: otherLogGroups,
    allowed: ['apiGatewayLogging'],
  },
  {
    what: 'deliver to the archive stream',
    action: 'firehose:PutRecordBatch',
    resources: archiveStream,
    allowed: ['archiveSubscription'],
  },
  {
    what: 'write the archive',
    action: 's3:PutObject',
    resources: archiveObjects,
    allowed: ['archiveDelivery'],
  },
  {
    what: 'read the archive',
    action: 's3:GetObject',
    resources: archiveObjects,
    allowed: ['archiveDelivery'],
  },
  {
    what: 'delete from the archive',
    action: 's3:DeleteObject',
    resources: archiveObjects,
    allowed: [],
  },
];

const keyUse = (
  keys: (model: IamModel) => string[],
  service: string,
  decrypt: readonly Owner[],
  generateDataKey: readonly Owner[],
): Rule[] => [
  {
    what: `decrypt via ${service}`,
    action: 'kms:Decrypt',
    resources: keys,
    context: viaService(service),
    allowed: decrypt,
  },
  {
    what: `generate data keys via ${service}`,
    action: 'kms:GenerateDataKey',
    resources: keys,
    context: viaService(service),
    allowed: generateDataKey,
  },
];

const KEY_RULES: Rule[] = [
  ...keyUse(dataKey, 'dynamodb', ['ingest', 'fanOut'], []),
  ...keyUse(dataKey, 'sns', ['fanOut'], ['fanOut']),
  ...keyUse(dataKey, 'sqs', ['fanOut'], ['fanOut']),
  ...keyUse(dataKey, 'secretsmanager', ['ingest', 'webhookReconciler'], []),
  ...keyUse(dataKey, 's3', ['archiveDelivery'], ['archiveDelivery']),
  ...keyUse(alertingKey, 'dynamodb', [], []),
  ...keyUse(alertingKey, 'sns', ['alarmFormatter'], ['alarmFormatter']),
  ...keyUse(alertingKey, 'sqs', ['alarmFormatter', 'slackNotifier'], ['alarmFormatter', 'slackNotifier']),
  { what: 'decrypt outside a service', action: 'kms:Decrypt', resources: everyKey, allowed: [] },
  ...[
    'kms:Encrypt',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:CreateGrant',
  ].flatMap((action) =>
    ['dynamodb', 'sns', 'sqs', 'secretsmanager'].map(
      (service): Rule => ({
        what: `${action} via ${service}`,
        action,
        resources: everyKey,
        context: viaService(service),
        allowed: [],
      }),
    ),
  ),
  ...['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey'].map(
    (action): Rule => ({ what: 'administer a key', action, resources: everyKey, allowed: [] }),
  ),
];

function ownersByRole(model: IamModel): Map<string, Owner> {
  const owners = new Map<string, Owner>();
  for (const id of model.logicalIdsOfType('AWS::Lambda::Function')) {
    const props = model.template.Resources[id]?.Properties as {
      Role: { 'Fn::GetAtt': [string, string] };
      Environment?: { Variables?: Record<string, unknown> };
    };
    const service = props.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
    const owner = FUNCTION_OWNERS.find((key) => FUNCTION_SERVICES[key] === service);
    if (owner) owners.set(props.Role['Fn::GetAtt'][0], owner);
  }
  for (const [owner, prefix] of Object.entries(ROLE_ID_PREFIXES) as [Owner, string][]) {
    for (const id of model.logicalIdsOfType('AWS::IAM::Role').filter((roleId) => roleId.startsWith(prefix)))
      owners.set(id, owner);
  }
  return owners;
}

async function decisions(model: IamModel, role: RoleModel, rule: Rule): Promise<string[]> {
  return Promise.all(
    rule.resources(model).map((resource) =>
      model.decide({
        principal: role.sessionArn,
        identityPolicies: role.policies,
        action: rule.action,
        resource,
        ...(rule.context && { context: rule.context }),
      }),
    ),
  );
}

describe('IAM, evaluated (every role of the stack against every rule)', () => {
  let model: IamModel;
  let owners: Map<string, Owner>;
  beforeAll(() => {
    model = new IamModel(synthStack(FULL).template.toJSON() as CfnTemplate);
    owners = ownersByRole(model);
  });

  it('knows the role of each project function', () => {
    expect([...owners.values()].sort()).toEqual(
      [...FUNCTION_OWNERS, ...Object.keys(ROLE_ID_PREFIXES)].sort(),
    );
    expect(model.roles.length).toBeGreaterThan(owners.size);
  });

  for (const rule of [...DATA_RULES, ...KEY_RULES]) {
    it(`${rule.what} (${rule.action}): ${rule.allowed.join(', ') || 'no role'}`, async () => {
      const summary: Record<string, string[]> = {};
      const expected: Record<string, string[]> = {};
      for (const role of model.roles) {
        const owner = owners.get(role.logicalId);
        const results = await decisions(model, role, rule);
        expect(results.length, `${rule.what}: no resource to check`).toBeGreaterThan(0);
        summary[owner ?? role.logicalId] = [...new Set(results)];
        expected[owner ?? role.logicalId] = [owner && rule.allowed.includes(owner) ? 'Allowed' : 'denied'];
      }
      const normalised = Object.fromEntries(
        Object.entries(summary).map(([who, results]) => [
          who,
          results.map((result) => (result === 'Allowed' ? 'Allowed' : 'denied')),
        ]),
      );
      expect(normalised).toEqual(expected);
    });
  }
});

describe('event topic subscriptions, evaluated', () => {
  let model: IamModel;
  const admin = `arn:aws:sts::${ACCOUNT}:assumed-role/Administrator/session`;
  const otherAdmin = `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/Administrator/session`;
  const subscribe = (principal: string, protocol: string, endpoint: string, m = model) =>
    Promise.all(
      eventTopics(m).map((topic) =>
        m.decide({
          principal,
          identityPolicies: ADMINISTRATOR_POLICY,
          action: 'sns:Subscribe',
          resource: topic,
          context: { 'sns:Protocol': protocol, 'sns:Endpoint': endpoint },
        }),
      ),
    ).then((results) => [...new Set(results)]);
  const queueIn = (account: string) => `arn:aws:sqs:eu-central-1:${account}:downstream`;
  beforeAll(() => {
    model = new IamModel(synthStack(FULL).template.toJSON() as CfnTemplate);
  });

  it('lets the account subscribe its own queues, functions, delivery streams and HTTPS endpoints', async () => {
    expect(await subscribe(admin, 'sqs', queueIn(ACCOUNT))).toEqual(['Allowed']);
    expect(await subscribe(admin, 'lambda', `arn:aws:lambda:eu-central-1:${ACCOUNT}:function:f`)).toEqual([
      'Allowed',
    ]);
    expect(
      await subscribe(admin, 'firehose', `arn:aws:firehose:eu-central-1:${ACCOUNT}:deliverystream/d`),
    ).toEqual(['Allowed']);
    expect(await subscribe(admin, 'https', 'https://hooks.example.com/events')).toEqual(['Allowed']);
  });

  it('denies e-mail, plain HTTP, SMS and mobile push by default, even to an administrator', async () => {
    for (const [protocol, endpoint] of [
      ['email', 'someone@example.com'],
      ['email-json', 'someone@example.com'],
      ['http', 'http://hooks.example.com/events'],
      ['sms', '+15555550100'],
      ['application', `arn:aws:sns:eu-central-1:${ACCOUNT}:endpoint/APNS/app/1`],
    ]) {
      expect(await subscribe(admin, protocol as string, endpoint as string), protocol).toEqual([
        'ExplicitlyDenied',
      ]);
    }
  });

  it("denies another account's principals, and endpoints in another account", async () => {
    expect(await subscribe(otherAdmin, 'sqs', queueIn(OTHER_ACCOUNT))).not.toContain('Allowed');
    expect(await subscribe(admin, 'sqs', queueIn(OTHER_ACCOUNT))).toEqual(['ExplicitlyDenied']);
    expect(
      await subscribe(admin, 'lambda', `arn:aws:lambda:eu-central-1:${OTHER_ACCOUNT}:function:f`),
    ).toEqual(['ExplicitlyDenied']);
  });

  it('allows the stack’s own subscriptions to the event topics (e.g. archive delivery streams)', async () => {
    const topics = new Set(eventTopics(model));
    for (const id of model.logicalIdsOfType('AWS::SNS::Subscription')) {
      const props = model.resolved(model.template.Resources[id]?.Properties) as Record<string, string>;
      if (!topics.has(props.TopicArn as string)) continue;
      const decision = await model.decide({
        principal: admin,
        identityPolicies: ADMINISTRATOR_POLICY,
        action: 'sns:Subscribe',
        resource: props.TopicArn as string,
        context: { 'sns:Protocol': props.Protocol as string, 'sns:Endpoint': props.Endpoint as string },
      });
      expect(decision, id).toBe('Allowed');
    }
  });

  it('lets listed principals of other accounts subscribe with the listed protocols, and nobody else there', async () => {
    const listedRole = `arn:aws:iam::${OTHER_ACCOUNT}:role/analytics-ingest`;
    const configured = new IamModel(
      synthStack({
        ...FULL,
        eventTopics: {
          subscribers: [`arn:aws:iam::${OTHER_ACCOUNT}:role/analytics-*`],
          subscriptionProtocols: ['sqs', 'email'],
        },
      }).template.toJSON() as CfnTemplate,
    );
    const listed = `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/analytics-ingest/session`;
    expect(listedRole).toContain('analytics-');
    expect(await subscribe(listed, 'sqs', queueIn(OTHER_ACCOUNT), configured)).toEqual(['Allowed']);
    expect(await subscribe(listed, 'email', 'team@example.com', configured)).toEqual(['Allowed']);
    expect(await subscribe(listed, 'https', 'https://hooks.example.com', configured)).toEqual([
      'ExplicitlyDenied',
    ]);
    expect(await subscribe(otherAdmin, 'sqs', queueIn(OTHER_ACCOUNT), configured)).toEqual([
      'ExplicitlyDenied',
    ]);
    expect(await subscribe(admin, 'sqs', queueIn('333344445555'), configured)).toEqual(['ExplicitlyDenied']);
  });
});

describe('key policies, evaluated for people', () => {
  let model: IamModel;
  const admin = `arn:aws:sts::${ACCOUNT}:assumed-role/Administrator/session`;
  const decide = (
    principal: string,
    action: string,
    key: string,
    context?: Record<string, string>,
    m = model,
  ) =>
    m.decide({
      principal,
      identityPolicies: ADMINISTRATOR_POLICY,
      action,
      resource: key,
      ...(context && { context }),
    });
  beforeAll(() => {
    model = new IamModel(synthStack(FULL).template.toJSON() as CfnTemplate);
  });

  it('lets an account administrator administer both keys, including the key policy (break-glass)', async () => {
    for (const key of everyKey(model)) {
      for (const action of [
        'kms:DescribeKey',
        'kms:PutKeyPolicy',
        'kms:EnableKeyRotation',
        'kms:ScheduleKeyDeletion',
      ])
        expect(await decide(admin, action, key), action).toBe('Allowed');
    }
  });

  it('gives an account administrator no use of either key on data, and no grant', async () => {
    for (const key of everyKey(model)) {
      for (const service of ['dynamodb', 'sns', 'sqs']) {
        for (const action of ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'])
          expect(await decide(admin, action, key, viaService(service)), `${action} via ${service}`).not.toBe(
            'Allowed',
          );
      }
      expect(await decide(admin, 'kms:CreateGrant', key)).not.toBe('Allowed');
    }
  });

  it("lets CloudFormation's role create the table's DynamoDB grant on the data key only", async () => {
    const forTable = { ...viaService('dynamodb'), 'kms:GrantIsForAWSResource': 'true' };
    expect(await decide(admin, 'kms:CreateGrant', dataKey(model)[0] as string, forTable)).toBe('Allowed');
    expect(await decide(admin, 'kms:CreateGrant', alertingKey(model)[0] as string, forTable)).not.toBe(
      'Allowed',
    );
  });

  it('lets configured operators read and replay through the services, nothing else', async () => {
    const operator = `arn:aws:iam::${ACCOUNT}:role/oncall-replay`;
    const configured = new IamModel(
      synthStack({ ...FULL, dataKeyOperators: [operator] }).template.toJSON() as CfnTemplate,
    );
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/oncall-replay/session`;
    const key = dataKey(configured)[0] as string;
    expect(await decide(session, 'kms:Decrypt', key, viaService('dynamodb'), configured)).toBe('Allowed');
    expect(await decide(session, 'kms:Decrypt', key, viaService('sqs'), configured)).toBe('Allowed');
    expect(await decide(session, 'kms:GenerateDataKey', key, viaService('sns'), configured)).toBe('Allowed');
    expect(await decide(session, 'kms:Decrypt', key, undefined, configured)).not.toBe('Allowed');
    expect(await decide(session, 'kms:Encrypt', key, viaService('sns'), configured)).not.toBe('Allowed');
    expect(await decide(admin, 'kms:Decrypt', key, viaService('dynamodb'), configured)).not.toBe('Allowed');
  });
});

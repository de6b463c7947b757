import { runSimulation } from '@cloud-copilot/iam-simulate';

/**
 * The synthesized template's policies with every intrinsic resolved to a concrete ARN (test account and
 * region, each resource named after its logical id), evaluated by a real IAM policy evaluator
 * (@cloud-copilot/iam-simulate): identity policies of each role, key policies, topic and queue policies.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';
export const OTHER_ACCOUNT = '210987654321';

type Json = unknown;
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}
interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Record<string, Json>[];
}

const ARN_ATTRIBUTES: Record<string, (id: string) => string> = {
  'AWS::SNS::Topic': (id) => `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`,
  'AWS::SQS::Queue': (id) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`,
  'AWS::DynamoDB::GlobalTable': (id) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`,
  'AWS::DynamoDB::Table': (id) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`,
  'AWS::KMS::Key': (id) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`,
  'AWS::IAM::Role': (id) => `arn:aws:iam::${ACCOUNT}:role/${id}`,
  'AWS::Lambda::Function': (id) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`,
  'AWS::SecretsManager::Secret': (id) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`,
  'AWS::Logs::LogGroup': (id) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`,
  'AWS::KinesisFirehose::DeliveryStream': (id) =>
    `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${id}`,
  'AWS::S3::Bucket': (id) => `arn:aws:s3:::${id.toLowerCase()}`,
};
/** Resource types whose Ref is their ARN; for the others Ref is the (physical) name, here the logical id. */
const REF_IS_ARN = new Set(['AWS::SNS::Topic', 'AWS::SecretsManager::Secret']);

function arnOf(template: CfnTemplate, id: string, attribute = 'Arn'): string {
  const type = template.Resources[id]?.Type ?? '';
  const arn =
    ARN_ATTRIBUTES[type]?.(id) ?? `arn:aws:${type.split('::')[1]?.toLowerCase()}:${REGION}:${ACCOUNT}:${id}`;
  if (attribute === 'StreamArn') return `${arn}/stream/2026-01-01T00:00:00.000`;
  return arn;
}

function ref(template: CfnTemplate, id: string): string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': REGION,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'TestStack',
  };
  if (pseudo[id]) return pseudo[id];
  const type = template.Resources[id]?.Type;
  if (type === undefined) throw new Error(`Ref to unknown resource ${id}`);
  if (type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
  return REF_IS_ARN.has(type) ? arnOf(template, id) : id;
}

/** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Split, Fn::Select everywhere in a value. */
export function resolve(template: CfnTemplate, value: Json): Json {
  if (Array.isArray(value)) return value.map((item) => resolve(template, item));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, Json>;
  const [key] = Object.keys(object);
  if (key === 'Ref') return ref(template, object.Ref as string);
  if (key === 'Fn::GetAtt') {
    const [id, attribute] = object[key] as [string, string];
    return arnOf(template, id, attribute);
  }
  if (key === 'Fn::Join') {
    const [separator, parts] = object[key] as [string, Json[]];
    return (resolve(template, parts) as string[]).join(separator);
  }
  if (key === 'Fn::Split') {
    const [separator, source] = object[key] as [string, Json];
    return (resolve(template, source) as string).split(separator);
  }
  if (key === 'Fn::Select') {
    const [index, list] = object[key] as [number | string, Json];
    return (resolve(template, list) as Json[])[Number(index)];
  }
  if (key === 'Fn::Sub' && typeof object[key] === 'string') {
    return (object[key] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const [id = '', attribute] = name.split('.');
      return attribute ? arnOf(template, id, attribute) : ref(template, id);
    });
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolve(template, v)]));
}

/**
 * The AWS-managed policies roles of this stack may carry, with their published content (they cannot be
 * read from the template). A role with any other managed policy fails the model.
 */
const AWS_MANAGED_POLICIES: Record<string, PolicyDocument> = {
  'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:DescribeLogGroups',
          'logs:DescribeLogStreams',
          'logs:PutLogEvents',
          'logs:GetLogEvents',
          'logs:FilterLogEvents',
        ],
        Resource: '*',
      },
    ],
  },
};

export interface RoleModel {
  readonly logicalId: string;
  readonly arn: string;
  /** The principal of the role's sessions (what a Lambda function calls AWS as). */
  readonly sessionArn: string;
  readonly policies: readonly { name: string; policy: PolicyDocument }[];
}

export class IamModel {
  readonly template: CfnTemplate;
  readonly roles: readonly RoleModel[];
  private readonly resourcePolicies = new Map<string, PolicyDocument>();

  constructor(rawTemplate: CfnTemplate) {
    this.template = rawTemplate;
    const resolved = resolve(rawTemplate, rawTemplate.Resources) as Record<string, CfnResource>;
    this.roles = Object.entries(resolved)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
      .map(([id, role]) => this.roleModel(id, role, resolved));
    for (const [id, resource] of Object.entries(resolved)) this.collectResourcePolicy(id, resource);
  }

  arn(logicalId: string, attribute = 'Arn'): string {
    return arnOf(this.template, logicalId, attribute);
  }

  logicalIdsOfType(type: string): string[] {
    return Object.entries(this.template.Resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id]) => id);
  }

  resolved(value: Json): Json {
    return resolve(this.template, value);
  }

  /** Evaluates one request: 'Allowed', 'ExplicitlyDenied' or 'ImplicitlyDenied'. */
  async decide(request: {
    principal: string;
    identityPolicies: readonly { name: string; policy: PolicyDocument }[];
    action: string;
    resource: string;
    context?: Record<string, string | string[]>;
  }): Promise<string> {
    const principalAccount = request.principal.split(':')[4] ?? '';
    const resourcePolicy = this.resourcePolicies.get(request.resource);
    const result = await runSimulation(
      {
        request: {
          principal: request.principal,
          action: request.action,
          resource: { resource: request.resource, accountId: ACCOUNT },
          contextVariables: {
            'aws:SecureTransport': 'true',
            'aws:PrincipalAccount': principalAccount,
            'aws:PrincipalArn': principalArnOf(request.principal),
            ...request.context,
          },
        },
        identityPolicies: request.identityPolicies.map((policy) => ({ ...policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy && { resourcePolicy }),
      },
      {},
    );
    if (result.resultType === 'error') {
      throw new Error(`Simulation of ${request.action} failed: ${JSON.stringify(result.errors)}`);
    }
    return result.overallResult;
  }

  private roleModel(id: string, role: CfnResource, resources: Record<string, CfnResource>): RoleModel {
    const inline = (
      (role.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: PolicyDocument }[]
    ).map((policy) => ({ name: policy.PolicyName, policy: policy.PolicyDocument }));
    const attached = Object.entries(resources)
      .filter(
        ([, resource]) =>
          resource.Type === 'AWS::IAM::Policy' &&
          ((resource.Properties?.Roles ?? []) as string[]).includes(id),
      )
      .map(([policyId, resource]) => ({
        name: policyId,
        policy: resource.Properties?.PolicyDocument as PolicyDocument,
      }));
    const managed = ((role.Properties?.ManagedPolicyArns ?? []) as string[]).map((arn) => {
      const policy = AWS_MANAGED_POLICIES[arn];
      if (!policy) throw new Error(`Role ${id} has managed policy ${arn}, which the IAM model does not know`);
      return { name: arn, policy };
    });
    return {
      logicalId: id,
      arn: arnOf(this.template, id),
      sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${id}/session`,
      policies: [...inline, ...attached, ...managed],
    };
  }

  private collectResourcePolicy(id: string, resource: CfnResource): void {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::KMS::Key')
      this.resourcePolicies.set(this.arn(id), props.KeyPolicy as PolicyDocument);
    if (resource.Type === 'AWS::SNS::TopicPolicy')
      for (const topic of props.Topics as string[])
        this.resourcePolicies.set(topic, props.PolicyDocument as PolicyDocument);
    if (resource.Type === 'AWS::SQS::QueuePolicy')
      for (const queueUrl of props.Queues as string[])
        this.resourcePolicies.set(queueArnFromUrl(queueUrl), props.PolicyDocument as PolicyDocument);
  }
}

function principalArnOf(principal: string): string {
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(principal);
  return session ? `arn:aws:iam::${session[1]}:role/${session[2]}` : principal;
}

function queueArnFromUrl(url: string): string {
  const [, , , account, name] = url.split('/');
  return `arn:aws:sqs:${REGION}:${account}:${name}`;
}

/** An account administrator: `*` on `*` in its identity policy. */
export const ADMINISTRATOR_POLICY = [
  {
    name: 'AdministratorAccess',
    policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  },
];

export function viaService(service: string): Record<string, string> {
  return { 'kms:ViaService': `${service}.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT };
}

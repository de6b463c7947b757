import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * What the account (IAM) may do with a key without being named in its policy: administer it, never use
 * it on data. `kms:PutKeyPolicy` is here, so an account administrator can always change the policy: the
 * break-glass path (docs/SECURITY.md). No `kms:CreateGrant`: a grant would be a way around the policy.
 */
export const KEY_ADMINISTRATION_ACTIONS = [
  'kms:Describe*',
  'kms:Get*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Enable*',
  'kms:Disable*',
  'kms:Revoke*',
  'kms:Delete*',
  'kms:CreateAlias',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
] as const;

/** The services that encrypt the stack's data with its keys; each use of a key goes through one of them. */
export type KeyService = 'dynamodb' | 'sns' | 'sqs' | 'secretsmanager' | 's3' | 'firehose';

/**
 * What a caller of each service needs on the key: DynamoDB decrypts the table key (reads and writes
 * alike; the table key itself was generated at table creation); SNS publishers and SQS senders need a data
 * key and its decryption (SNS/SQS reuse data keys); Secrets Manager readers only decrypt.
 */
export const KEY_USE_ACTIONS = {
  decrypt: ['kms:Decrypt'],
  encryptAndDecrypt: ['kms:Decrypt', 'kms:GenerateDataKey'],
} as const;

/**
 * A customer-managed key whose policy lets the account administer it and nothing more: data use is
 * added per role and service with {@link grantKeyUse}, and per service principal by the constructs that
 * need one (Alerting). Replaces the CDK default, which gives the account root `kms:*`.
 */
export function administeredKey(
  scope: Construct,
  id: string,
  description: string,
  options: { readonly serviceGrants?: readonly KeyService[] } = {},
): kms.Key {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    policy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AccountAdministersKeyNoDataUse',
          principals: [new iam.AccountRootPrincipal()],
          actions: [...KEY_ADMINISTRATION_ACTIONS],
          resources: ['*'],
        }),
      ],
    }),
  });
  for (const service of options.serviceGrants ?? []) allowServiceGrants(key, service);
  return key;
}

/**
 * Lets the deploying role (through IAM) create the grant a service keeps for its own use of the key, as
 * DynamoDB does for a table and Firehose for an encrypted delivery stream: CreateGrant through that
 * service, for an AWS resource only.
 */
export function allowServiceGrants(key: kms.IKey, service: KeyService): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: `AccountCreatesGrantsThrough${service.charAt(0).toUpperCase()}${service.slice(1)}`,
      principals: [new iam.AccountRootPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'kms:ViaService': viaService(Stack.of(key), service) },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    }),
  );
}

/**
 * Lets a role use a key through one service only, in both places KMS checks: the key policy names the
 * role (the account-level statement allows no data use) and the role's own policy holds the same
 * actions. Both carry `kms:ViaService`, so the role cannot call KMS directly with them.
 */
export function grantKeyUse(
  key: kms.IKey,
  grantee: iam.IGrantable,
  service: KeyService,
  actions: readonly string[],
): void {
  const stack = Stack.of(key);
  const conditions = { StringEquals: { 'kms:ViaService': viaService(stack, service) } };
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: [...actions], resources: [key.keyArn], conditions }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [grantee.grantPrincipal],
      actions: [...actions],
      resources: ['*'],
      conditions,
    }),
  );
}

/**
 * The queue as a send-only destination (a Lambda on-failure destination, a stream DLQ). CDK's own
 * `grantSendMessages` on an encrypted queue also grants kms:Encrypt and kms:ReEncrypt*, which SQS never
 * needs; this view grants the SQS actions alone, and the key use is granted narrowly here.
 */
export function sendOnlyDestination(
  scope: Construct,
  id: string,
  queue: sqs.Queue,
  sender: iam.IGrantable,
): sqs.IQueue {
  if (queue.encryptionMasterKey) {
    grantKeyUse(queue.encryptionMasterKey, sender, 'sqs', KEY_USE_ACTIONS.encryptAndDecrypt);
  }
  return sqs.Queue.fromQueueAttributes(scope, id, { queueArn: queue.queueArn, queueUrl: queue.queueUrl });
}

/**
 * Operators named in the configuration (the replay, the archive reports): read the table, stream,
 * dead-letter queue and archive, publish to the topics, through those services only. Their own IAM policy must allow it as well.
 */
export function grantOperatorsDataKeyUse(key: kms.IKey, operatorArns: readonly string[]): void {
  if (operatorArns.length === 0) return;
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'ConfiguredOperatorsReadAndReplay',
      principals: operatorArns.map((arn) => new iam.ArnPrincipal(arn)),
      actions: [...KEY_USE_ACTIONS.encryptAndDecrypt],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'kms:ViaService': (['dynamodb', 'sqs', 'sns'] as const).map((service) =>
            viaService(stack, service),
          ),
        },
      },
    }),
  );
}

export function viaService(stack: Stack, service: KeyService): string {
  return `${service}.${stack.region}.amazonaws.com`;
}

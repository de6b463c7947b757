import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/contracts/environment.js';
import { setEnvironment } from './project-function.js';

/** Prefix of every object the ingest writes (see functions/ingest/event-items.ts objectKeyFor). */
export const LARGE_EVENT_PREFIX = 'events/';

export interface LargeEventBucketProps {
  /** Customer-managed key that encrypts the objects (the table's key). */
  readonly encryptionKey: kms.IKey;
  /** Days an object is kept: the table's retention, so an item never outlives what it points to by design. */
  readonly retentionDays: number;
  /** Keep the bucket (and its objects) when the stack is deleted. @default true */
  readonly retainData?: boolean;
}

/**
 * The claim-check store: an event too large (or too unusual) for a DynamoDB item is kept here whole, and
 * its item points to the object. Private, KMS-encrypted with the stack's key, TLS only, objects expired
 * after the table's retention.
 */
export class LargeEventBucket extends Construct {
  readonly bucket: s3.Bucket;
  private readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: LargeEventBucketProps) {
    super(scope, id);
    const retainData = props.retainData ?? true;
    this.encryptionKey = props.encryptionKey;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'same-retention-as-the-table',
          expiration: Duration.days(props.retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the ingest function writes here (PutObject under events/, its role alone); object access ' +
        'can be audited with CloudTrail data events, which the platform team enables account-wide.',
    });
  }

  /** Lets a function write event objects: s3:PutObject under events/ only, plus LARGE_EVENT_BUCKET. */
  bindWriter(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${LARGE_EVENT_PREFIX}*`)],
      }),
    );
    // A data key only for S3 to encrypt the object with, never for the function to use directly.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    setEnvironment(fn, ENV.largeEventBucket, this.bucket.bucketName);
    Validations.of(fn.role as iam.Role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf()}.Arn>/${LARGE_EVENT_PREFIX}*]`,
      reason:
        'Object keys are derived from event keys at run time; the grant covers only the events/ prefix.',
    });
  }

  /** Lets a subscriber read the objects that messages point to (s3:GetObject and kms:Decrypt). */
  grantRead(grantee: iam.IGrantable): void {
    this.bucket.grantRead(grantee, `${LARGE_EVENT_PREFIX}*`);
  }

  private logicalIdOf(): string {
    return Stack.of(this).resolve((this.bucket.node.defaultChild as s3.CfnBucket).logicalId) as string;
  }
}

import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/contracts/environment.js';
import { EVENT_TABLE_ATTRIBUTES } from '../../functions/shared/contracts/event-table.js';
import { grantKeyUse, KEY_USE_ACTIONS } from './key-access.js';
import { setEnvironment } from './project-function.js';

export interface EventTableProps {
  /** Customer-managed key that encrypts the table and its stream. */
  readonly encryptionKey: kms.IKey;
  /**
   * Keep the table (and its data) when the stack is deleted, and turn on deletion protection.
   * @default true
   */
  readonly retainData?: boolean;
}

/**
 * The event store: one item per event (accepted or quarantined), keyed by a content-derived event key,
 * expired by TTL, with a NEW_IMAGE stream that feeds the fan-out (a transactional outbox).
 */
export class EventTable extends Construct {
  readonly table: dynamodb.TableV2;
  /** The key that encrypts the table, its stream, and what else holds its events (the large-event bucket). */
  readonly encryptionKey: kms.IKey;
  /** Whether the table and its data outlive the stack. */
  readonly retainData: boolean;

  constructor(scope: Construct, id: string, props: EventTableProps) {
    super(scope, id);
    const retainData = props.retainData ?? true;
    this.encryptionKey = props.encryptionKey;
    this.retainData = retainData;
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: EVENT_TABLE_ATTRIBUTES.partitionKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: EVENT_TABLE_ATTRIBUTES.timeToLive,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey),
      dynamoStream: dynamodb.StreamViewType.NEW_IMAGE,
      deletionProtection: retainData,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }

  /** Lets a function write events: BatchWriteItem only (no reads, no deletes), plus TABLE_NAME. */
  bindWriter(fn: lambda.Function): void {
    this.table.grant(fn, 'dynamodb:BatchWriteItem');
    if (this.table.encryptionKey)
      grantKeyUse(this.table.encryptionKey, fn, 'dynamodb', KEY_USE_ACTIONS.decrypt);
    setEnvironment(fn, ENV.tableName, this.table.tableName);
  }
}

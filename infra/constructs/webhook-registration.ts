import {
  ArnFormat,
  type CfnElement,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IDependable } from 'constructs';
import { type CampaignEventType, isCampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { FUNCTION_SERVICES } from '../../functions/shared/contracts/environment.js';
import {
  formatResourceProperties,
  WEBHOOK_ATTRIBUTES,
  WEBHOOK_RESOURCE_TYPE,
} from '../../functions/shared/contracts/webhook-resource.js';
import { retentionFromDays } from '../log-retention.js';
import { ProjectFunction } from './project-function.js';

export interface WebhookRegistrationProps {
  /** Campaign client ids; each gets its own custom resource owning that client's webhooks. */
  readonly clientIds: readonly number[];
  /** One webhook per client and type. */
  readonly eventTypes: readonly CampaignEventType[];
  /** The deployed events POST URL (a token is fine): the webhooks' target. */
  readonly endpointUrl: string;
  /** Header carrying the endpoint key (the webhooks' keyAuth `key`). */
  readonly authHeaderName: string;
  /** Secret `{"current", "previous"}` whose `current` key the webhooks send; only its ARN reaches the template. */
  readonly endpointKeySecret: secretsmanager.ISecret;
  /** Name of the Campaign API credentials secret (`{"username", "password"}`), created outside the stack. */
  readonly credentialsSecretName: string;
  /** The API stage serving `endpointUrl`: registration (and verification) waits for it. */
  readonly apiStage: apigateway.IStage;
  /**
   * Further resources that must exist before Campaign can reach the endpoint: the ingest construct (its
   * function, permissions and role policies are in place when verification posts test events), and the
   * fan-out and event topics (a newly added type's topic exists and the fan-out publishes to it before
   * Campaign sends events of that type).
   * @default - only the API stage
   */
  readonly waitFor?: readonly IDependable[];
  /** Base URL of the Campaign REST API (config `campaign.apiBaseUrl`). */
  readonly apiBaseUrl: string;
  /** Mailing id Campaign verifies each webhook with. @default - verification skipped (said so in the output) */
  readonly verifyMailingId?: number;
  /** Bump to push the endpoint-key secret's current key to every webhook on the next deploy. @default 0 */
  readonly endpointKeyRotation?: number;
  /** Powertools metrics namespace of the function. */
  readonly metricsNamespace: string;
  /** @default 30 */
  readonly logRetentionDays?: number;
}

/** The custom resource of one Campaign client, with the attributes operators want to see. */
export interface ClientWebhookRegistration {
  readonly clientId: number;
  readonly resource: CustomResource;
  /** "sent=123,bounce=124,..." */
  readonly webhookIds: string;
  /** "verified N webhooks with mailing M" or "skipped: no verifyMailingId configured". */
  readonly verification: string;
}

/** Most time one reconcile may take; the handler stops retrying 20 s before it. */
const HANDLER_TIMEOUT = Duration.minutes(5);
/** How long CloudFormation waits for the custom resource's answer before failing it (default would be 1 h). */
const SERVICE_TIMEOUT = Duration.minutes(10);

/**
 * Deploy-time webhook lifecycle: a custom resource per Campaign client (aws-cdk-lib Provider framework,
 * onEvent Lambda `functions/webhook-reconciler`) that registers, activates, verifies, updates and on
 * delete retires the client's webhooks for the deployed endpoint. Its role can read exactly the two
 * secrets it needs.
 */
export class WebhookRegistration extends Construct {
  readonly onEventFunction: ProjectFunction;
  readonly provider: cr.Provider;
  /** One per client id, in the configured order. */
  readonly registrations: readonly ClientWebhookRegistration[];
  /** The first client's custom resource (the only one in a single-client deployment). */
  readonly customResource: CustomResource;

  constructor(scope: Construct, id: string, props: WebhookRegistrationProps) {
    super(scope, id);
    validate(props);

    this.onEventFunction = new ProjectFunction(this, 'OnEventFunction', {
      service: FUNCTION_SERVICES.webhookReconciler,
      description:
        'Custom resource: registers, activates, verifies, updates and removes the Campaign webhooks',
      metricsNamespace: props.metricsNamespace,
      logRetentionDays: props.logRetentionDays ?? 30,
      // Kept after a destroy: it is where a delete that could not reach Campaign lists what is left.
      logRemovalPolicy: RemovalPolicy.RETAIN,
      timeout: HANDLER_TIMEOUT,
    });
    this.grantSecretReads(props);

    const providerLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention: retentionFromDays(props.logRetentionDays ?? 30),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The framework's own function gets a role that can write its logs and (added by the Provider) invoke
    // the onEvent function; nothing else, and no AWS-managed policy.
    const providerRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'Custom resource provider framework: relays CloudFormation events to the webhook reconciler',
      inlinePolicies: {
        WriteOwnLogs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [providerLogs.logGroupArn],
            }),
          ],
        }),
      },
    });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.onEventFunction,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
    });

    this.registrations = props.clientIds.map((clientId) => {
      const resource = new CustomResource(this, `Client${clientId}`, {
        serviceToken: this.provider.serviceToken,
        resourceType: WEBHOOK_RESOURCE_TYPE,
        serviceTimeout: SERVICE_TIMEOUT,
        properties: formatResourceProperties({
          clientId,
          eventTypes: props.eventTypes,
          targetUrl: props.endpointUrl,
          authHeaderName: props.authHeaderName,
          endpointKeySecretArn: props.endpointKeySecret.secretArn,
          credentialsSecretName: props.credentialsSecretName,
          apiBaseUrl: props.apiBaseUrl,
          verifyMailingId: props.verifyMailingId,
          endpointKeyRotation: props.endpointKeyRotation ?? 0,
        }),
      });
      resource.node.addDependency(props.apiStage, ...(props.waitFor ?? []));
      return {
        clientId,
        resource,
        webhookIds: resource.getAttString(WEBHOOK_ATTRIBUTES.webhookIds),
        verification: resource.getAttString(WEBHOOK_ATTRIBUTES.verification),
      };
    });
    this.customResource = (this.registrations[0] as ClientWebhookRegistration).resource;
    this.acknowledgeNagFindings(providerRole);
  }

  /** GetSecretValue on the two secrets only; kms:Decrypt on the endpoint key's CMK only through Secrets Manager. */
  private grantSecretReads(props: WebhookRegistrationProps): void {
    const stack = Stack.of(this);
    const credentialsSecretArn = props.credentialsSecretName.startsWith('arn:')
      ? props.credentialsSecretName
      : stack.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          // Secrets Manager appends "-" and six random characters to the name in the ARN.
          resourceName: `${props.credentialsSecretName}-??????`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
    this.onEventFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadEndpointKeyAndCampaignCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.endpointKeySecret.secretArn, credentialsSecretArn],
      }),
    );
    const key = props.endpointKeySecret.encryptionKey;
    if (key) {
      this.onEventFunction.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DecryptEndpointKeyThroughSecretsManager',
          actions: ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
        }),
      );
    }
  }

  private acknowledgeNagFindings(providerRole: iam.Role): void {
    Validations.of(this.onEventFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by the custom resource provider framework, which reports failures to ' +
        'CloudFormation; there is no asynchronous event to park in a DLQ.',
    });
    const frameworkFunction = this.provider.node.findChild('framework-onEvent');
    Validations.of(frameworkFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The provider framework function is invoked synchronously by CloudFormation and answers it with ' +
        'SUCCESS or FAILED itself; a DLQ would hold nothing.',
    });
    Validations.of(frameworkFunction).acknowledge({
      id: 'Serverless-LambdaDefaultMemorySize',
      reason:
        "The aws-cdk-lib provider framework does not expose its relay function's memory; it only forwards " +
        'the event to the (explicitly sized) webhook reconciler.',
    });
    Validations.of(frameworkFunction).acknowledge({
      id: 'Serverless-LambdaTracing',
      reason:
        'The aws-cdk-lib provider framework does not expose tracing for its relay function; the webhook ' +
        'reconciler that does the work runs with active X-Ray tracing.',
    });
    Validations.of(providerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.onEventFunction.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        "The provider framework's grantInvoke covers the reconciler function's versions and aliases " +
        '(function ARN + ":*"); it is that one function, nothing else.',
    });
  }
}

function validate(props: WebhookRegistrationProps): void {
  const problems: string[] = [];
  if (props.clientIds.length === 0) problems.push('clientIds must list at least one Campaign client id');
  for (const clientId of props.clientIds) {
    if (!Number.isInteger(clientId) || clientId < 1)
      problems.push(`client id ${clientId} is not a positive integer`);
  }
  if (new Set(props.clientIds).size !== props.clientIds.length)
    problems.push('clientIds must not repeat an id');
  if (props.eventTypes.length === 0) problems.push('eventTypes must list at least one event type');
  for (const type of props.eventTypes) {
    if (!isCampaignEventType(type)) problems.push(`"${type}" is not a Campaign event type`);
  }
  if (new Set(props.eventTypes).size !== props.eventTypes.length)
    problems.push('eventTypes must not repeat a type');
  if (
    props.verifyMailingId !== undefined &&
    !(Number.isInteger(props.verifyMailingId) && props.verifyMailingId > 0)
  ) {
    problems.push(`verifyMailingId ${props.verifyMailingId} is not a positive integer`);
  }
  const rotation = props.endpointKeyRotation ?? 0;
  if (!Number.isInteger(rotation) || rotation < 0)
    problems.push(`endpointKeyRotation ${rotation} must be an integer >= 0`);
  if (!/^[A-Za-z0-9-]+$/.test(props.authHeaderName))
    problems.push(`authHeaderName "${props.authHeaderName}" is not a header name`);
  if (props.credentialsSecretName.trim() === '') problems.push('credentialsSecretName must not be empty');
  if (!Token.isUnresolved(props.endpointUrl) && !/^https?:\/\//.test(props.endpointUrl)) {
    problems.push(`endpointUrl "${props.endpointUrl}" is not an http(s) URL`);
  }
  if (problems.length > 0) throw new Error(`WebhookRegistration: ${problems.join('; ')}`);
}

import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { CampaignApiClient } from '../shared/campaign-api/client.js';
import { loadCredentials } from '../shared/campaign-api/credentials.js';
import { parseEndpointKeySecret } from '../shared/endpoint-key-secret.js';
import type { ReconcileLogger } from './execute.js';
import { handleLifecycleEvent, type LifecycleResponse } from './lifecycle.js';

/**
 * onEvent handler of the webhook-registration custom resource (aws-cdk-lib Provider framework).
 * Reads the two secrets it needs, then hands over to the lifecycle; nothing secret is logged.
 */

const logger = new Logger();
const reconcileLogger: ReconcileLogger = {
  info: (message, details) => logger.info(message, details ?? {}),
  warn: (message, details) => logger.warn(message, details ?? {}),
  error: (message, details) => logger.error(message, details ?? {}),
};
const secrets = new SecretsManagerClient({});

/** Time kept back from the Lambda timeout so the handler answers (and reports) before being killed. */
const DEADLINE_MARGIN_MS = 20_000;

export async function handler(
  event: CloudFormationCustomResourceEvent,
  context: Context,
): Promise<LifecycleResponse> {
  logger.addContext(context);
  logger.info('Custom resource event', {
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
  });
  const deadline = AbortSignal.timeout(
    Math.max(10_000, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS),
  );
  return handleLifecycleEvent(event, {
    logger: reconcileLogger,
    logGroupName: context.logGroupName,
    endpointKey: async (secretArn) => {
      const response = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }), {
        abortSignal: deadline,
      });
      return parseEndpointKeySecret(response.SecretString, secretArn).current;
    },
    campaignClient: async (props) =>
      new CampaignApiClient({
        credentials: await loadCredentials(secrets, props.credentialsSecretName),
        baseUrl: props.apiBaseUrl,
        signal: deadline,
        onRetry: (retry) => logger.warn('Retrying a Campaign API call', { ...retry }),
      }),
  });
}

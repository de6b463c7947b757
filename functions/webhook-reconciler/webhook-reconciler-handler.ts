import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { CampaignApiClient } from '../shared/campaign-api/client.js';
import { loadCredentials } from '../shared/campaign-api/credentials.js';
import { parseEndpointKeySecret } from '../shared/endpoint-key-secret.js';
import { failInvocation } from '../shared/error-policy.js';
import { METRICS } from '../shared/metrics-catalog.js';
import { traceFetch } from '../shared/tracing/http-calls.js';
import { captureLambdaHandler } from '../shared/tracing/middleware.js';
import type { Tracer } from '../shared/tracing/tracer.js';
import { handleLifecycleEvent, type LifecycleResponse } from './lifecycle.js';

export interface WebhookReconcilerDeps {
  /** Reads the endpoint-key secret and the Campaign API credentials; nothing secret is logged. */
  readonly secrets: SecretsManagerClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/** Time kept back from the Lambda timeout so the handler answers (and reports) before being killed. */
const DEADLINE_MARGIN_MS = 20_000;

/**
 * onEvent handler of the Campaign webhooks custom resource (aws-cdk-lib Provider framework): reads the two
 * secrets it needs, then hands over to the lifecycle, which answers CloudFormation.
 */
export function createWebhookReconcilerHandler(deps: WebhookReconcilerDeps) {
  const { logger, metrics, tracer, secrets } = deps;
  return middy<CloudFormationCustomResourceEvent, LifecycleResponse>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(failInvocation(logger, 'Custom resource request failed; CloudFormation gets the reason'))
    .handler(async (event, context) => {
      const clientId = String(event.ResourceProperties?.clientId ?? '-');
      tracer.putAnnotation('requestType', event.RequestType);
      tracer.putAnnotation('clientId', clientId);
      logger.appendKeys({ clientId });
      logger.info('Custom resource event', {
        requestType: event.RequestType,
        logicalResourceId: event.LogicalResourceId,
        physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
      });
      const deadline = AbortSignal.timeout(
        Math.max(10_000, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS),
      );
      return handleLifecycleEvent(event, {
        logger,
        logGroupName: context.logGroupName,
        recordChanges: (count) => metrics.addMetric(METRICS.webhookChanges, MetricUnit.Count, count),
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
            fetch: traceFetch(tracer, globalThis.fetch),
            onRetry: (retry) => logger.warn('Retrying a Campaign API call', { ...retry }),
          }),
      });
    });
}

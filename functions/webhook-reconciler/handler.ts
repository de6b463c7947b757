import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createObservability, traced } from '../shared/observability.js';
import { createWebhookReconcilerHandler } from './webhook-reconciler-handler.js';

const { logger, metrics, tracer } = createObservability();
const secrets = traced(tracer, new SecretsManagerClient({}));

export const handler = createWebhookReconcilerHandler({ secrets, logger, metrics, tracer });

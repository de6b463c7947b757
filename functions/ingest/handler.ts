import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readEnvironment } from '../shared/contracts/env.js';
import { INGEST_ENV } from '../shared/contracts/environment.js';
import { createObservability, traced } from '../shared/observability.js';
import { createEndpointKeyVerifier } from './endpoint-keys.js';
import { createEventStore } from './event-store.js';
import { createIngestHandler } from './ingest-handler.js';
import { s3ObjectWriter } from './large-event-objects.js';

/** Seconds Powertools caches the endpoint key secret (a rotation is picked up sooner, see endpoint-keys.ts). */
const SECRET_CACHE_SECONDS = 300;

const config = readEnvironment(INGEST_ENV);
const { logger, metrics, tracer } = createObservability();
const dynamodb = traced(tracer, new DynamoDBClient({}));
const secrets = new SecretsProvider({ awsSdkV3Client: traced(tracer, new SecretsManagerClient({})) });

export const handler = createIngestHandler({
  config,
  logger,
  metrics,
  tracer,
  store: createEventStore({
    client: dynamodb,
    tableName: config.tableName,
    writeObject: s3ObjectWriter(config.largeEventBucket, (s3) => traced(tracer, new s3.S3Client({}))),
  }),
  keyVerifier: createEndpointKeyVerifier({
    load: ({ forceFetch }) =>
      secrets.get(config.endpointKeySecretId, {
        transform: 'json',
        maxAge: SECRET_CACHE_SECONDS,
        forceFetch,
      }),
  }),
});

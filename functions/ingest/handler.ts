import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readEnvironment } from '../shared/contracts/env.js';
import { INGEST_ENV } from '../shared/contracts/environment.js';
import { createEndpointKeyVerifier } from './endpoint-keys.js';
import { createEventStore } from './event-store.js';
import { createIngestHandler } from './ingest-handler.js';

/** Seconds Powertools caches the endpoint key secret (a rotation is picked up sooner, see endpoint-keys.ts). */
const SECRET_CACHE_SECONDS = 300;

const config = readEnvironment(INGEST_ENV);
const logger = new Logger();
const metrics = new Metrics();
const dynamodb = new DynamoDBClient({});
const s3 = new S3Client({});

export const handler = createIngestHandler({
  config,
  logger,
  metrics,
  store: createEventStore({
    client: dynamodb,
    tableName: config.tableName,
    writeObject: async (key, body, abortSignal) => {
      await s3.send(
        new PutObjectCommand({
          Bucket: config.largeEventBucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
        }),
        { abortSignal },
      );
    },
  }),
  keyVerifier: createEndpointKeyVerifier({
    load: ({ forceFetch }) =>
      getSecret(config.endpointKeySecretId, { transform: 'json', maxAge: SECRET_CACHE_SECONDS, forceFetch }),
  }),
});

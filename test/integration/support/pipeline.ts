import { createServer } from 'node:net';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { vi } from 'vitest';
import {
  CAMPAIGN_EVENT_TYPES,
  type CampaignEventType,
} from '../../../functions/shared/campaign-event-types.js';
import { fromAttributeMap } from '../../../functions/shared/events/attribute-values.js';
import { startApiGatewayAdapter } from '../../../local/api-gateway-adapter.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb-local.js';
import { createEventTable } from '../../../local/event-table.js';
import { closeServer, LOOPBACK_HOST, listen } from '../../../local/free-port.js';
import {
  type SecretsManagerStandIn,
  startSecretsManagerStandIn,
} from '../../../local/secrets-manager-stand-in.js';
import { type SnsStandIn, startSnsStandIn } from '../../../local/sns-stand-in.js';
import { type StreamDriver, startStreamDriver } from '../../../local/stream-driver.js';

/**
 * The local pipeline for integration tests: the real ingest and fan-out handler modules, loaded
 * unchanged with the environment the stack gives them, against DynamoDB Local (table and stream), the
 * SNS stand-in and the Secrets Manager stand-in, reached by the SDK through AWS_ENDPOINT_URL_* only.
 *
 * The emulators start once per test file ({@link startEmulators}); each test gets its own table,
 * topics, secret and freshly imported handlers ({@link startPipeline}).
 */
export interface Emulators {
  dynamo: DynamoDbLocal;
  sns: SnsStandIn;
  secrets: SecretsManagerStandIn;
  dynamoClient: DynamoDBClient;
  stop(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const [dynamo, sns, secrets] = await Promise.all([
    startDynamoDbLocal(),
    startSnsStandIn(),
    startSecretsManagerStandIn(),
  ]);
  const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint });
  return {
    dynamo,
    sns,
    secrets,
    dynamoClient,
    async stop() {
      dynamoClient.destroy();
      await Promise.all([dynamo.stop(), sns.stop(), secrets.stop()]);
    },
  };
}

export const AUTH_HEADER = 'X-Campaign-Webhook-Key';
export const INGEST_PATH = '/events';

export interface PipelineOptions {
  /** @default every Campaign type */
  eventTypes?: readonly CampaignEventType[];
  /** @default a generated key, previous empty */
  secret?: { current: string; previous: string };
  /** Point the ingest at this DynamoDB endpoint instead (e.g. one where nothing listens). */
  dynamoEndpoint?: string;
  /** @default 2, the stream driver's default */
  maxRetries?: number;
  /**
   * Do not consume the stream until `startFanOut()`: what was written before is then read in large
   * batches, which makes the batch composition of a test independent of timing.
   */
  deferFanOut?: boolean;
}

export interface Pipeline {
  url: string;
  tableName: string;
  secretName: string;
  key: string;
  topicArns: Record<string, string>;
  /** The stream consumer; starting it is deferred with `deferFanOut`. */
  readonly driver: StreamDriver;
  startFanOut(): void;
  /** The records of each fan-out invocation, in the order of `driver.invocations`. */
  fanOutBatches: DynamoDBRecord[][];
  /** POSTs a batch (serialized unless already a string) with the current key and JSON content type. */
  post(
    body: unknown,
    options?: { key?: string | null; contentType?: string },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Every item in the table, as plain JSON values. */
  items(): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

let pipelines = 0;

export async function startPipeline(emulators: Emulators, options: PipelineOptions = {}): Promise<Pipeline> {
  pipelines++;
  const id = `${process.pid}-${pipelines}`;
  const eventTypes = options.eventTypes ?? CAMPAIGN_EVENT_TYPES;
  const { tableName, streamArn } = await createEventTable(emulators.dynamoClient, `events-${id}`);
  const topicArns: Record<string, string> = {};
  for (const type of eventTypes) topicArns[type] = await emulators.sns.createTopic(`events-${id}-${type}`);
  const secretName = `endpoint-key-${id}`;
  const secret = options.secret ?? {
    current: `key-${id}-${Math.random().toString(36).slice(2)}`,
    previous: '',
  };
  const secretArn = emulators.secrets.putSecret(secretName, secret);

  const env: Record<string, string> = {
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamoEndpoint ?? emulators.dynamo.endpoint,
    AWS_ENDPOINT_URL_SNS: emulators.sns.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: emulators.secrets.endpoint,
    TABLE_NAME: tableName,
    ENDPOINT_KEY_SECRET_ID: secretArn,
    AUTH_HEADER_NAME: AUTH_HEADER,
    MAX_BODY_BYTES: '1000000',
    MAX_EVENTS_PER_BATCH: '1000',
    RETENTION_DAYS: '30',
    EVENT_TYPES: eventTypes.join(','),
    TOPIC_ARNS: JSON.stringify(topicArns),
    // The ingest's newer variables (the stack-derived assembler, which replaces this file, takes them from the stack).
    REQUIRED_FIELDS: '{}',
    VERIFY_MAILING_ID: 'none',
    PUBLISH_VERIFICATION_EVENTS: 'false',
    LARGE_EVENT_BUCKET: `large-events-${id}`,
  };
  const { ingest, fanOut } = await importHandlers(env);

  const fanOutBatches: DynamoDBRecord[][] = [];
  let driver: StreamDriver | undefined;
  const startFanOut = () => {
    driver ??= startStreamDriver({
      dynamoEndpoint: emulators.dynamo.endpoint,
      streamArn,
      handler: (event, context) => {
        fanOutBatches.push(event.Records);
        return fanOut(event, context);
      },
      batchSize: 100,
      maxRetries: options.maxRetries ?? 2,
      pollIntervalMs: 50,
    });
  };
  if (!options.deferFanOut) startFanOut();
  const adapter = await startApiGatewayAdapter({
    path: INGEST_PATH,
    handler: ingest,
    functionName: 'ingest',
  });

  return {
    url: adapter.url,
    tableName,
    secretName,
    key: secret.current,
    topicArns,
    get driver() {
      if (driver === undefined) throw new Error('The fan-out has not been started (deferFanOut)');
      return driver;
    },
    startFanOut,
    fanOutBatches,
    async post(body, postOptions = {}) {
      const key = postOptions.key === undefined ? secret.current : postOptions.key;
      const response = await fetch(adapter.url, {
        method: 'POST',
        headers: {
          'Content-Type': postOptions.contentType ?? 'application/json',
          ...(key === null ? {} : { [AUTH_HEADER]: key }),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async items() {
      const items: Array<Record<string, unknown>> = [];
      let ExclusiveStartKey: ScanCommand['input']['ExclusiveStartKey'];
      do {
        const page = await emulators.dynamoClient.send(
          new ScanCommand({ TableName: tableName, ExclusiveStartKey }),
        );
        items.push(...(page.Items ?? []).map((item) => fromAttributeMap(item)));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items;
    },
    async stop() {
      await Promise.all([adapter.stop(), driver?.stop()]);
      vi.unstubAllEnvs();
    },
  };
}

type IngestHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type FanOutHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/**
 * Imports fresh copies of the handler modules with `env` set, as a cold start would: they read their
 * environment and build their SDK clients at module scope. The environment stays set until the pipeline
 * stops, because the SDK reads AWS_ENDPOINT_URL_* at a client's first request.
 */
async function importHandlers(
  env: Record<string, string>,
): Promise<{ ingest: IngestHandler; fanOut: FanOutHandler }> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const ingest = await import('../../../functions/ingest/handler.js');
  const fanOut = await import('../../../functions/fan-out/handler.js');
  return { ingest: ingest.handler as IngestHandler, fanOut: fanOut.handler as FanOutHandler };
}

/**
 * An endpoint for "DynamoDB is down": it accepts each connection and drops it at once. Bound to port 0
 * and held until closed, so no other process can take the port and answer in its place.
 */
export async function deadEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((socket) => socket.destroy());
  const port = await listen(server, 0, LOOPBACK_HOST);
  return { url: `http://${LOOPBACK_HOST}:${port}`, close: () => closeServer(server) };
}

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { type DynamoDbLocal, startDynamoDbLocal } from '../dynamodb-local.js';
import { LOOPBACK_HOST } from '../free-port.js';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../secrets-manager-stand-in.js';
import { type PublishedMessage, type SnsStandIn, startSnsStandIn } from '../sns-stand-in.js';
import { type SqsStandIn, startSqsStandIn } from '../sqs-stand-in.js';
import { onPort } from './ports.js';
import { startTcpGate, type TcpGate } from './tcp-gate.js';

/**
 * The AWS services the pipeline runs on, all on this machine: DynamoDB Local (the real engine, with
 * streams) behind a TCP gate, the SNS, SQS and Secrets Manager stand-ins, and s3rver for S3. The handlers
 * reach them only through AWS_ENDPOINT_URL_* (see {@link handlerEndpoints}); started once, they can carry
 * several pipelines (each under its own stack name).
 */

/**
 * The fake credentials the pipeline's SDK clients sign with: every local service accepts any key except
 * s3rver, which knows only its own key pair.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface ServiceEndpoints {
  /** The gate in front of DynamoDB Local, for DynamoDB and DynamoDB Streams. */
  readonly dynamodb: string;
  readonly sns: string;
  readonly sqs: string;
  readonly secretsManager: string;
  readonly s3: string;
}

/** An SNS message as one subscription receives it. */
export interface SnsDelivery {
  readonly topicArn: string;
  readonly messageId: string;
  readonly subject?: string;
  /** The message for the subscription's protocol (a `MessageStructure: json` message already picked). */
  readonly message: string;
  readonly attributes: Readonly<Record<string, { dataType: string; stringValue?: string }>>;
  readonly timestamp: string;
}

/** `tap` is the local run's own observer of a topic (like an SQS subscription: the default message). */
export type SubscriptionProtocol = 'lambda' | 'email' | 'tap';

/** DynamoDB Local with its gates: the handlers' gate can be faulted, the harness's only follows restarts. */
export interface LocalDynamoDb {
  readonly jvm: DynamoDbLocal;
  readonly dataDir: string | undefined;
  /** What the handlers reach (AWS_ENDPOINT_URL_DYNAMODB): faults go here. */
  readonly handlerGate: TcpGate;
  /** What the harness reaches (the stream driver, table set-up, items()). */
  readonly harnessGate: TcpGate;
  /** Kills the JVM (SIGKILL) and, after `downMs`, starts it again on the same data directory. */
  restart(downMs?: number): Promise<void>;
}

export interface LocalServices {
  readonly region: string;
  readonly endpoints: ServiceEndpoints;
  readonly dynamodb: LocalDynamoDb;
  readonly sns: SnsStandIn;
  readonly sqs: SqsStandIn;
  readonly secrets: SecretsManagerStandIn;
  createTopic(name: string): Promise<string>;
  /** Creates or replaces a secret; resolves to its ARN. */
  putSecret(name: string, value: string | object): Promise<string>;
  subscribe(
    topicArn: string,
    protocol: SubscriptionProtocol,
    listener: (delivery: SnsDelivery) => Promise<void> | void,
    filterPolicy?: object,
  ): Promise<void>;
  /** Resolves when no delivery to a local subscriber is pending, deliveries that published again included. */
  deliveriesSettled(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalServiceOptions {
  readonly region: string;
  /** Keep DynamoDB Local's database (and S3's objects) in this directory. @default in memory / a temp dir */
  readonly dataDir?: string;
  readonly ports?: {
    readonly dynamodb?: number;
    readonly sns?: number;
    readonly secretsManager?: number;
    readonly sqs?: number;
    readonly s3?: number;
  };
  /** Kill the JVM on SIGINT/SIGTERM (off for npm start, which drains the stream first). @default true */
  readonly stopDynamoDbOnSignal?: boolean;
}

export async function startLocalServices(opts: LocalServiceOptions): Promise<LocalServices> {
  const ports = opts.ports ?? {};
  const started: Array<{ stop(): Promise<void> }> = [];
  const track = <T extends { stop(): Promise<void> }>(service: T): T => {
    started.push(service);
    return service;
  };
  try {
    const [dynamodb, sns, secrets, sqs, s3] = await Promise.all([
      startGatedDynamoDb(opts).then(track),
      onPort(ports.sns, 'sns-port', 'the SNS stand-in', (port) =>
        startSnsStandIn({ port, region: opts.region }),
      ).then(track),
      onPort(ports.secretsManager, 'secrets-port', 'the Secrets Manager stand-in', (port) =>
        startSecretsManagerStandIn({ port, region: opts.region }),
      ).then(track),
      onPort(ports.sqs, 'sqs-port', 'the SQS stand-in', (port) =>
        startSqsStandIn({ port, region: opts.region }),
      ).then(track),
      onPort(ports.s3, 's3-port', 's3rver', (port) => startS3(port, opts.dataDir)).then(track),
    ]);
    return servicesOf(opts.region, { dynamodb, sns, secrets, sqs, s3 });
  } catch (error) {
    await Promise.allSettled(started.map((service) => service.stop()));
    throw error;
  }
}

function servicesOf(
  region: string,
  parts: {
    dynamodb: LocalDynamoDb & { stop(): Promise<void> };
    sns: SnsStandIn;
    secrets: SecretsManagerStandIn;
    sqs: SqsStandIn;
    s3: { endpoint: string; stop(): Promise<void> };
  },
): LocalServices {
  const { dynamodb, sns, secrets, sqs, s3 } = parts;
  return {
    region,
    endpoints: {
      dynamodb: dynamodb.handlerGate.url,
      sns: sns.endpoint,
      sqs: sqs.endpoint,
      secretsManager: secrets.endpoint,
      s3: s3.endpoint,
    },
    dynamodb,
    sns,
    sqs,
    secrets,
    createTopic: (name) => sns.createTopic(name),
    putSecret: async (name, value) => secrets.putSecret(name, value),
    async subscribe(topicArn, protocol, listener, filterPolicy) {
      sns.subscribe(topicArn, (message) => listener(toDelivery(message, protocol)), filterPolicy);
    },
    async deliveriesSettled() {
      // A delivery can publish again (the alarm formatter does): settle until nothing new was published.
      let before: number;
      do {
        before = sns.published.length;
        await sns.deliveriesSettled();
      } while (sns.published.length !== before);
    },
    async stop() {
      await Promise.allSettled([sns.stop(), secrets.stop(), sqs.stop(), s3.stop()]);
      await dynamodb.stop();
    },
  };
}

/** The environment that points the SDK of a handler (or a tool) at these services. */
export function handlerEndpoints(endpoints: ServiceEndpoints): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    // A loopback IP endpoint: the SDK addresses buckets path-style (no bucket.host DNS names).
    AWS_ENDPOINT_URL_S3: endpoints.s3,
  };
}

async function startGatedDynamoDb(
  opts: LocalServiceOptions,
): Promise<LocalDynamoDb & { stop(): Promise<void> }> {
  const launch = (port: number | undefined) =>
    onPort(port, 'dynamodb-port', 'DynamoDB Local', (free) =>
      startDynamoDbLocal({
        port: free,
        ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
        stopOnSignal: opts.stopDynamoDbOnSignal ?? true,
      }),
    );
  let jvm = await launch(opts.ports?.dynamodb);
  const handlerGate = await startTcpGate({ port: jvm.port });
  const harnessGate = await startTcpGate({ port: jvm.port });
  const gates = [handlerGate, harnessGate];
  return {
    get jvm() {
      return jvm;
    },
    dataDir: opts.dataDir,
    handlerGate,
    harnessGate,
    async restart(downMs = 0) {
      if (opts.dataDir === undefined) {
        throw new Error('Restarting DynamoDB Local keeps its data only with a data directory (dataDir)');
      }
      process.kill(-jvm.pid, 'SIGKILL');
      await jvm.stop();
      for (const gate of gates) gate.cutConnections();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      jvm = await launch(jvm.port).catch(() => launch(undefined));
      for (const gate of gates) gate.retarget(jvm.port);
    },
    async stop() {
      await Promise.allSettled(gates.map((gate) => gate.stop()));
      await jvm.stop();
    },
  };
}

/** s3rver on loopback, on the data directory's `s3` folder or a temporary one (removed on stop). */
async function startS3(port: number, dataDir: string | undefined) {
  const directory =
    dataDir === undefined
      ? mkdtempSync(path.join(tmpdir(), 'campaign-events-s3-'))
      : path.join(dataDir, 's3');
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: LOOPBACK_HOST,
    port,
    silent: true,
    directory,
  });
  const address = await server.run();
  return {
    endpoint: `http://${LOOPBACK_HOST}:${address.port}`,
    async stop() {
      await server.close().catch(() => undefined);
      if (dataDir === undefined) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** What a subscriber of `protocol` receives for a message the stand-in accepted. */
function toDelivery(message: PublishedMessage, protocol: SubscriptionProtocol): SnsDelivery {
  return {
    topicArn: message.topicArn,
    messageId: message.messageId,
    ...(message.subject === undefined ? {} : { subject: message.subject }),
    message: messageForProtocol(message, protocol),
    attributes: message.messageAttributes,
    timestamp: new Date().toISOString(),
  };
}

function messageForProtocol(message: PublishedMessage, protocol: SubscriptionProtocol): string {
  if (message.messageStructure !== 'json') return message.message;
  const perProtocol = JSON.parse(message.message) as Record<string, string>;
  const key = protocol === 'tap' ? 'sqs' : protocol;
  return perProtocol[key] ?? (perProtocol.default as string);
}

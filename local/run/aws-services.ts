import { type DynamoDbLocal, startDynamoDbLocal } from '../dynamodb-local.js';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../secrets-manager-stand-in.js';
import { type PublishedMessage, type SnsStandIn, startSnsStandIn } from '../sns-stand-in.js';
import { onPort } from './ports.js';

/**
 * The AWS services the local run needs (DynamoDB with streams, SNS, Secrets Manager), either the built-in
 * stand-ins (DynamoDB Local and the in-process SNS and Secrets Manager stand-ins) or a running LocalStack
 * (localstack.ts). The handlers reach them only through AWS_ENDPOINT_URL_*; the local run creates the
 * resources and subscribes its local subscribers through this interface.
 */

export interface ServiceEndpoints {
  readonly dynamodb: string;
  readonly sns: string;
  readonly secretsManager: string;
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

export interface AwsServices {
  readonly mode: 'built-in' | 'localstack';
  readonly endpoints: ServiceEndpoints;
  /** The DynamoDB Local JVM (built-in mode). */
  readonly dynamoDbLocal?: DynamoDbLocal;
  /** The SNS stand-in (built-in mode): failure injection, every accepted message. */
  readonly sns?: SnsStandIn;
  readonly secrets?: SecretsManagerStandIn;
  createTopic(name: string): Promise<string>;
  /** Creates or replaces a secret; resolves to its ARN. */
  putSecret(name: string, value: string | object): Promise<string>;
  subscribe(
    topicArn: string,
    protocol: SubscriptionProtocol,
    listener: (delivery: SnsDelivery) => Promise<void> | void,
    filterPolicy?: object,
  ): Promise<void>;
  /** Resolves when no delivery to a local subscriber is pending (built-in mode: exactly; LocalStack: best effort). */
  deliveriesSettled(): Promise<void>;
  stop(): Promise<void>;
}

export interface BuiltInServiceOptions {
  readonly region: string;
  readonly dataDir?: string;
  readonly ports?: { dynamodb?: number; sns?: number; secretsManager?: number };
}

export async function startBuiltInServices(opts: BuiltInServiceOptions): Promise<AwsServices> {
  const ports = opts.ports ?? {};
  const started: Array<{ stop(): Promise<void> }> = [];
  const track = <T extends { stop(): Promise<void> }>(service: T): T => {
    started.push(service);
    return service;
  };
  try {
    const [dynamoDbLocal, sns, secrets] = await Promise.all([
      onPort(ports.dynamodb, 'dynamodb-port', 'DynamoDB Local', (port) =>
        startDynamoDbLocal({
          port,
          ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
          // The local run stops the JVM itself after draining the stream (it is still killed on exit).
          stopOnSignal: false,
        }),
      ).then(track),
      onPort(ports.sns, 'sns-port', 'the SNS stand-in', (port) =>
        startSnsStandIn({ port, region: opts.region }),
      ).then(track),
      onPort(ports.secretsManager, 'secrets-port', 'the Secrets Manager stand-in', (port) =>
        startSecretsManagerStandIn({ port, region: opts.region }),
      ).then(track),
    ]);
    return {
      mode: 'built-in',
      endpoints: { dynamodb: dynamoDbLocal.endpoint, sns: sns.endpoint, secretsManager: secrets.endpoint },
      dynamoDbLocal,
      sns,
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
        await Promise.allSettled([sns.stop(), secrets.stop()]);
        await dynamoDbLocal.stop();
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((service) => service.stop()));
    throw error;
  }
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

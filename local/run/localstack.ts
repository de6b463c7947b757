import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { closeServer, listen, urlHost } from '../free-port.js';
import type { AwsServices, SnsDelivery, SubscriptionProtocol } from './aws-services.js';
import { onPort } from './ports.js';

/**
 * The local run against a running LocalStack (`--localstack http://localhost:4566`) instead of the
 * built-in stand-ins: DynamoDB (with streams), SNS and Secrets Manager are LocalStack's. Local subscribers
 * (the alarm formatter, the Slack sender, the email view, the topic taps) are HTTP subscriptions to a small
 * receiver of this process, which LocalStack must be able to reach: by default on 127.0.0.1 (LocalStack
 * on this host's network), or at `--localstack-callback-host` (e.g. host.docker.internal).
 *
 * NOT TESTED on the machine this was built on (no Docker, no LocalStack there). Differences from the
 * built-in mode: an HTTP subscription gets the `http`/`default` message, so the alert email is re-rendered
 * from the alert (same code, same text); deliveriesSettled() cannot know what LocalStack has not sent yet.
 */

export interface LocalStackOptions {
  readonly url: string;
  readonly region: string;
  /** Host name LocalStack uses to reach this process. @default 127.0.0.1 */
  readonly callbackHost?: string;
  /** Port of the receiver. @default a free one */
  readonly callbackPort?: number;
}

interface SnsHttpMessage {
  Type?: string;
  MessageId?: string;
  TopicArn?: string;
  Subject?: string;
  Message?: string;
  Timestamp?: string;
  Token?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export async function startLocalStackServices(opts: LocalStackOptions): Promise<AwsServices> {
  const endpoint = opts.url.replace(/\/+$/, '');
  const clientConfig = { endpoint, region: opts.region };
  const dynamodb = new DynamoDBClient(clientConfig);
  try {
    await dynamodb.send(new ListTablesCommand({ Limit: 1 }));
  } catch (error) {
    dynamodb.destroy();
    throw new Error(
      `LocalStack does not answer at ${endpoint} (DynamoDB ListTables): ${(error as Error).message}`,
    );
  }
  dynamodb.destroy();
  const sns = new SNSClient(clientConfig);
  const secrets = new SecretsManagerClient(clientConfig);

  const callbackHost = opts.callbackHost ?? '127.0.0.1';
  const bindHost = callbackHost === '127.0.0.1' || callbackHost === 'localhost' ? '127.0.0.1' : '0.0.0.0';
  const listeners = new Map<string, (delivery: SnsDelivery) => Promise<void> | void>();
  const subscriptionArns: string[] = [];
  const pending = new Set<Promise<void>>();

  const server = createServer((request, response) => {
    void receive(request, response);
  });
  async function receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    response.writeHead(200).end();
    let body: SnsHttpMessage;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SnsHttpMessage;
    } catch {
      return;
    }
    if (body.Type === 'SubscriptionConfirmation' && body.Token && body.TopicArn) {
      // Confirmed through the API rather than by fetching SubscribeURL (its host name may not resolve offline).
      await sns
        .send(new ConfirmSubscriptionCommand({ TopicArn: body.TopicArn, Token: body.Token }))
        .catch(() => undefined);
      return;
    }
    const listener = listeners.get(new URL(request.url ?? '/', 'http://receiver').pathname.slice(1));
    if (body.Type !== 'Notification' || listener === undefined) return;
    const attributes: Record<string, { dataType: string; stringValue?: string }> = {};
    for (const [name, value] of Object.entries(body.MessageAttributes ?? {})) {
      attributes[name] = { dataType: value.Type, stringValue: value.Value };
    }
    const delivery = Promise.resolve()
      .then(() =>
        listener({
          topicArn: body.TopicArn ?? '',
          messageId: body.MessageId ?? randomUUID(),
          ...(body.Subject ? { subject: body.Subject } : {}),
          message: body.Message ?? '',
          attributes,
          timestamp: body.Timestamp ?? new Date().toISOString(),
        }),
      )
      .catch(() => undefined)
      .finally(() => pending.delete(delivery));
    pending.add(delivery);
  }
  const port = await onPort(
    opts.callbackPort,
    'localstack-callback-port',
    'the LocalStack callback receiver',
    (p) => listen(server, p, bindHost),
  );
  const callbackBase = `http://${urlHost(callbackHost)}:${port}`;

  return {
    mode: 'localstack',
    endpoints: { dynamodb: endpoint, sns: endpoint, secretsManager: endpoint },
    async createTopic(name) {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
      return TopicArn as string;
    },
    async putSecret(name, value) {
      const SecretString = typeof value === 'string' ? value : JSON.stringify(value);
      try {
        const { ARN } = await secrets.send(new CreateSecretCommand({ Name: name, SecretString }));
        return ARN as string;
      } catch (error) {
        if (!(error instanceof ResourceExistsException)) throw error;
        const { ARN } = await secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
        return ARN as string;
      }
    },
    async subscribe(topicArn, _protocol: SubscriptionProtocol, listener, filterPolicy) {
      const id = randomUUID();
      listeners.set(id, listener);
      const { SubscriptionArn } = await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'http',
          Endpoint: `${callbackBase}/${id}`,
          Attributes: filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : {},
          ReturnSubscriptionArn: true,
        }),
      );
      if (SubscriptionArn) subscriptionArns.push(SubscriptionArn);
    },
    async deliveriesSettled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async stop() {
      // LocalStack outlives the run: leave no subscription pointing at this process.
      await Promise.allSettled(
        subscriptionArns.map((arn) => sns.send(new UnsubscribeCommand({ SubscriptionArn: arn }))),
      );
      sns.destroy();
      secrets.destroy();
      await closeServer(server);
    },
  };
}

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Secrets Manager stand-in: an HTTP server speaking the AWS JSON 1.1 protocol the SDK's
 * SecretsManagerClient uses, for the few operations this project calls (GetSecretValue, PutSecretValue,
 * CreateSecret, DescribeSecret). Point real clients at it with AWS_ENDPOINT_URL_SECRETS_MANAGER, so
 * handlers that read secrets (Powertools getSecret) run unchanged on this machine.
 */
export interface SecretsManagerStandIn {
  endpoint: string;
  /** Creates or replaces a secret; returns its ARN. */
  putSecret(name: string, value: string | object): string;
  /** The current value, or undefined. */
  secretValue(name: string): string | undefined;
  /** GetSecretValue calls served so far (for cache assertions). */
  readonly reads: number;
  /** false: every connection is dropped at once (Secrets Manager unreachable) until set true again. */
  setReachable(reachable: boolean): void;
  stop(): Promise<void>;
}

interface StoredSecret {
  arn: string;
  name: string;
  value: string;
  versionId: string;
  created: number;
}

export async function startSecretsManagerStandIn(
  opts: { port?: number; region?: string; accountId?: string } = {},
): Promise<SecretsManagerStandIn> {
  const region = opts.region ?? 'eu-central-1';
  const accountId = opts.accountId ?? '000000000000';
  const secrets = new Map<string, StoredSecret>();
  let reads = 0;
  let reachable = true;

  const arnFor = (name: string) =>
    `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomUUID().slice(0, 6)}`;
  const find = (id: string) => secrets.get(id) ?? [...secrets.values()].find((secret) => secret.arn === id);
  const put = (name: string, value: string): StoredSecret => {
    const existing = secrets.get(name);
    const secret = {
      arn: existing?.arn ?? arnFor(name),
      name,
      value,
      versionId: randomUUID(),
      created: Date.now() / 1000,
    };
    secrets.set(name, secret);
    return secret;
  };

  const operations: Record<string, (input: Record<string, unknown>) => object> = {
    GetSecretValue: (input) => {
      reads++;
      const secret = requireSecret(find(String(input.SecretId)), input.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.value,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.created,
      };
    },
    PutSecretValue: (input) => {
      const existing = requireSecret(find(String(input.SecretId)), input.SecretId);
      const secret = put(existing.name, String(input.SecretString));
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
      };
    },
    CreateSecret: (input) => {
      const name = String(input.Name);
      if (secrets.has(name))
        throw new AwsError('ResourceExistsException', `The secret ${name} already exists.`);
      const secret = put(name, String(input.SecretString ?? ''));
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId };
    },
    DescribeSecret: (input) => {
      const secret = requireSecret(find(String(input.SecretId)), input.SecretId);
      return { ARN: secret.arn, Name: secret.name };
    },
  };

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  server.on('connection', (socket) => {
    if (!reachable) socket.destroy();
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = operations[target.replace(/^secretsmanager\./, '')];
    try {
      if (!operation) throw new AwsError('InvalidRequestException', `Unsupported operation ${target}`);
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      send(response, 200, operation(input));
    } catch (error) {
      const type = error instanceof AwsError ? error.type : 'InternalServiceError';
      send(response, error instanceof AwsError ? 400 : 500, {
        __type: type,
        message: (error as Error).message,
      });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    putSecret: (name, value) => put(name, typeof value === 'string' ? value : JSON.stringify(value)).arn,
    secretValue: (name) => secrets.get(name)?.value,
    get reads() {
      return reads;
    },
    setReachable(value) {
      reachable = value;
      if (!value) server.closeAllConnections();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function requireSecret(secret: StoredSecret | undefined, id: unknown): StoredSecret {
  if (!secret) {
    throw new AwsError(
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret: ${String(id)}`,
    );
  }
  return secret;
}

function send(response: ServerResponse, status: number, body: object): void {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(json),
    ...(status >= 400 ? { 'x-amzn-errortype': (body as { __type: string }).__type } : {}),
  });
  response.end(json);
}

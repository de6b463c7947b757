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

/** The stand-in's secrets, by name (an id may also be the ARN). */
class SecretStore {
  private readonly secrets = new Map<string, StoredSecret>();
  reads = 0;

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  has(name: string): boolean {
    return this.secrets.has(name);
  }

  value(name: string): string | undefined {
    return this.secrets.get(name)?.value;
  }

  find(id: string): StoredSecret | undefined {
    return this.secrets.get(id) ?? [...this.secrets.values()].find((secret) => secret.arn === id);
  }

  put(name: string, value: string): StoredSecret {
    const existing = this.secrets.get(name);
    const secret = {
      arn:
        existing?.arn ??
        `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${randomUUID().slice(0, 6)}`,
      name,
      value,
      versionId: randomUUID(),
      created: Date.now() / 1000,
    };
    this.secrets.set(name, secret);
    return secret;
  }
}

export async function startSecretsManagerStandIn(
  opts: { port?: number; region?: string; accountId?: string } = {},
): Promise<SecretsManagerStandIn> {
  const store = new SecretStore(opts.region ?? 'eu-central-1', opts.accountId ?? '000000000000');
  let reachable = true;
  const handle = requestHandler(secretsOperations(store));
  const server = createServer((request, response) => {
    void handle(request, response);
  });
  server.on('connection', (socket) => {
    if (!reachable) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    putSecret: (name, value) =>
      store.put(name, typeof value === 'string' ? value : JSON.stringify(value)).arn,
    secretValue: (name) => store.value(name),
    get reads() {
      return store.reads;
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

type Operation = (input: Record<string, unknown>) => object;

function secretsOperations(store: SecretStore): Record<string, Operation> {
  return {
    GetSecretValue: (input) => {
      store.reads++;
      const secret = requireSecret(store.find(String(input.SecretId)), input.SecretId);
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
      const existing = requireSecret(store.find(String(input.SecretId)), input.SecretId);
      const secret = store.put(existing.name, String(input.SecretString));
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
      };
    },
    CreateSecret: (input) => {
      const name = String(input.Name);
      if (store.has(name))
        throw new AwsError('ResourceExistsException', `The secret ${name} already exists.`);
      const secret = store.put(name, String(input.SecretString ?? ''));
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId };
    },
    DescribeSecret: (input) => {
      const secret = requireSecret(store.find(String(input.SecretId)), input.SecretId);
      return { ARN: secret.arn, Name: secret.name };
    },
  };
}

function requestHandler(operations: Record<string, Operation>) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
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

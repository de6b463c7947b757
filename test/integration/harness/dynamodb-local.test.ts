import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DynamoDbLocal,
  JAVA_MISSING_MESSAGE,
  startDynamoDbLocal,
} from '../../../local/dynamodb-local.js';
import { closeServer, findFreePort, listen } from '../../../local/free-port.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/orphan-dynamodb-local.ts');

function clientFor(endpoint: string, accessKeyId = 'test', region = 'eu-central-1') {
  return new DynamoDBClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey: 'test' } });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls (bounded) until the process is gone; returns whether it went. */
async function waitUntilGone(pid: number, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isAlive(pid);
}

async function createTable(client: DynamoDBClient, name: string) {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

describe('startDynamoDbLocal', () => {
  let dynamo: DynamoDbLocal;

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  it('answers the real SDK client on a loopback endpoint with a picked port', async () => {
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${dynamo.port}`);
    expect(dynamo.port).toBeGreaterThan(0);
    const result = await clientFor(dynamo.endpoint).send(new ListTablesCommand({}));
    expect(result.TableNames).toEqual([]);
    expect(dynamo.startupMs).toBeGreaterThan(0);
  });

  it('shares one database across credentials and regions (a handler and a test see the same tables)', async () => {
    await createTable(clientFor(dynamo.endpoint, 'test', 'eu-central-1'), 'shared-db-check');
    const other = await clientFor(dynamo.endpoint, 'someoneElse', 'us-east-1').send(
      new ListTablesCommand({}),
    );
    expect(other.TableNames).toContain('shared-db-check');
  });

  it('refuses an explicit port that is already taken, with a clear error', async () => {
    const blocker = createServer();
    const port = await listen(blocker, 0, '127.0.0.1');
    try {
      await expect(startDynamoDbLocal({ port })).rejects.toThrow(`Port ${port} is already in use`);
    } finally {
      await closeServer(blocker);
    }
  });

  it('rejects an invalid port before spawning anything', async () => {
    await expect(startDynamoDbLocal({ port: 70_000 })).rejects.toThrow('Invalid DynamoDB Local port 70000');
  });

  it('says how to install Java when no java is on the PATH', async () => {
    const emptyDir = mkdtempSync(path.join(tmpdir(), 'no-java-'));
    const savedPath = process.env.PATH;
    process.env.PATH = emptyDir;
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow(JAVA_MISSING_MESSAGE);
    } finally {
      process.env.PATH = savedPath;
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});

describe('startDynamoDbLocal stop() and persistence', () => {
  it('stop() ends the JVM, frees the port, and is safe to call twice', async () => {
    const dynamo = await startDynamoDbLocal();
    expect(isAlive(dynamo.pid)).toBe(true);
    await dynamo.stop();
    expect(isAlive(dynamo.pid)).toBe(false);
    await dynamo.stop();
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'eu-central-1',
      maxAttempts: 1,
    });
    await expect(client.send(new ListTablesCommand({}))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('keeps data between runs when given a dataDir', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ddb-data-'));
    try {
      const first = await startDynamoDbLocal({ dataDir });
      const firstClient = clientFor(first.endpoint);
      await createTable(firstClient, 'persisted');
      await firstClient.send(new PutItemCommand({ TableName: 'persisted', Item: { id: { S: 'kept' } } }));
      await first.stop();

      const second = await startDynamoDbLocal({ dataDir });
      try {
        const item = await clientFor(second.endpoint).send(
          new GetItemCommand({ TableName: 'persisted', Key: { id: { S: 'kept' } } }),
        );
        expect(item.Item).toEqual({ id: { S: 'kept' } });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('listens on an explicit free port when given one', async () => {
    // The port is free when picked; another process may take it before the JVM binds it: pick again.
    let port = 0;
    let dynamo: DynamoDbLocal | undefined;
    for (let attempt = 1; dynamo === undefined; attempt++) {
      port = await findFreePort();
      try {
        dynamo = await startDynamoDbLocal({ port });
      } catch (error) {
        if (attempt >= 5 || !/already in use/.test((error as Error).message)) throw error;
      }
    }
    try {
      expect(dynamo.endpoint).toBe(`http://127.0.0.1:${port}`);
      expect((await clientFor(dynamo.endpoint).send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      await dynamo.stop();
    }
  });

  it('is in memory without a dataDir: a restart starts empty', async () => {
    const first = await startDynamoDbLocal();
    await createTable(clientFor(first.endpoint), 'forgotten');
    await first.stop();
    const second = await startDynamoDbLocal();
    try {
      const tables = await clientFor(second.endpoint).send(new ListTablesCommand({}));
      expect(tables.TableNames).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});

describe('no orphaned JVMs', () => {
  const owners: ChildProcess[] = [];
  const jvmPids: number[] = [];

  // A test that failed (or a fixture that never reported its pid) must not leave its processes behind.
  afterEach(() => {
    for (const owner of owners.splice(0)) {
      if (owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL');
    }
    for (const pid of jvmPids.splice(0)) {
      if (!isAlive(pid)) continue;
      try {
        process.kill(-pid, 'SIGKILL'); // the JVM leads its own process group
      } catch {
        // gone meanwhile
      }
    }
  });

  /** Runs the fixture in its own Node process and returns the JVM pid it reports, and the process. */
  async function startOwner(mode: 'hang' | 'exit' | 'throw') {
    const owner = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    owners.push(owner);
    let stderr = '';
    owner.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const jvmPid = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      owner.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
        if (line) {
          const { pid } = JSON.parse(line) as { pid: number };
          jvmPids.push(pid);
          resolve(pid);
        }
      });
      owner.once('close', () => reject(new Error(`fixture exited before reporting a pid:\n${stderr}`)));
    });
    return { owner, jvmPid };
  }

  it.each([
    ['exits without calling stop()', 'exit'],
    ['crashes with an uncaught error', 'throw'],
  ] as const)('kills the JVM when its owner %s', async (_label, mode) => {
    const { jvmPid } = await startOwner(mode);
    expect(await waitUntilGone(jvmPid)).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)(
    'kills the JVM when its owner receives %s',
    async (signal) => {
      const { owner, jvmPid } = await startOwner('hang');
      expect(isAlive(jvmPid)).toBe(true);
      owner.kill(signal);
      expect(await waitUntilGone(jvmPid)).toBe(true);
    },
  );
});

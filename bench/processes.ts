import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/**
 * Runs `node <script> <args>` with exactly `env` (no tsx: the script strips its own types) and returns
 * what it wrote to file descriptor 3, parsed. Its stdout (a handler's logs) is drained and discarded.
 */
export function runNode<T>(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  nodeOptions: readonly string[] = [],
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, path.join(BENCH_DIR, script), ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const result: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdout?.resume();
    child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => result.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code}: ${Buffer.concat(errors).toString()}`));
        return;
      }
      resolve(JSON.parse(Buffer.concat(result).toString('utf8')) as T);
    });
  });
}

export interface Stub {
  readonly url: string;
  readonly xrayPort: number;
  stop(): void;
}

/** Starts bench/aws-stub.ts in its own process (through tsx: it shares the SNS protocol helpers). */
export function startStub(secretString: string): Promise<Stub> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(BENCH_DIR, 'aws-stub.ts')],
    { env: { ...process.env, BENCH_SECRET_STRING: secretString }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the AWS stub exited with ${code}`)));
    child.stdout?.once('data', (chunk: Buffer) => {
      const ports = JSON.parse(chunk.toString('utf8')) as { http: number; xray: number };
      resolve({
        url: `http://127.0.0.1:${ports.http}`,
        xrayPort: ports.xray,
        stop: () => child.kill('SIGTERM'),
      });
    });
  });
}

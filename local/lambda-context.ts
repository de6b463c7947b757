import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  /** @default 'local-function' */
  functionName?: string;
  /** @default '$LATEST' */
  functionVersion?: string;
  /** @default 256 (the house default in ProjectFunction) */
  memoryLimitInMB?: number;
  /** The function timeout the remaining time counts down from. @default 10_000 (ProjectFunction's default) */
  timeoutMs?: number;
  /** @default process.env.AWS_REGION, else eu-central-1 */
  region?: string;
  /** @default '000000000000' */
  accountId?: string;
  /** @default a random UUID, as Lambda assigns one per invocation */
  awsRequestId?: string;
  /** Clock in epoch milliseconds, for tests. @default Date.now */
  now?: () => number;
}

/**
 * A Lambda `Context` for one invocation, as the Node.js runtime builds it: names and ARN, a fresh
 * awsRequestId, and getRemainingTimeInMillis() counting down from the function timeout (middy and
 * Powertools read it). The deprecated done/fail/succeed callbacks throw: the project's handlers are async.
 */
export function createLambdaContext(opts: LambdaContextOptions = {}): Context {
  const functionName = opts.functionName ?? 'local-function';
  const functionVersion = opts.functionVersion ?? '$LATEST';
  const region = opts.region ?? process.env.AWS_REGION ?? 'eu-central-1';
  const accountId = opts.accountId ?? '000000000000';
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`timeoutMs must be a positive number, got ${timeoutMs}`);
  }
  const deadline = now() + timeoutMs;
  const today = new Date(now()).toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => () => {
    throw new Error(
      `context.${name}() is not supported locally: return (or throw) from the async handler instead`,
    );
  };

  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion,
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(opts.memoryLimitInMB ?? 256),
    awsRequestId: opts.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${today}/[${functionVersion}]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/**
 * Settles like `promise`, or rejects as Lambda reports a timeout ("Task timed out after 1.00 seconds") once
 * `ms` have passed. The handler itself cannot be interrupted and keeps running.
 */
export function withLambdaTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${(ms / 1000).toFixed(2)} seconds`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

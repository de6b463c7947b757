import type { Writable } from 'node:stream';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  CloudFormationCustomResourceEvent,
  Context,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
  SNSEvent,
} from 'aws-lambda';
import type { LocalResources } from './intrinsics.js';
import type { FunctionModel, LocalFunctionKey } from './stack-model.js';

/**
 * The deployed handler modules, loaded in this process as a cold start would load them: with the
 * environment the stack gives the function (its intrinsics resolved to the local resources), and with
 * their stdout and stderr going to a CloudWatch Logs stand-in (their Powertools Logger and Metrics
 * create their consoles at load time, on the process's streams of that moment).
 */

export interface LocalHandlers {
  ingest: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  fanOut: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;
  alarmFormatter?: (event: SNSEvent, context: Context) => Promise<void>;
  slackNotifier?: (event: SNSEvent, context: Context) => Promise<void>;
  webhookReconciler?: (event: CloudFormationCustomResourceEvent, context: Context) => Promise<unknown>;
}

export type AnyHandler = (event: never, context: Context) => Promise<unknown>;

const LOADERS: Record<LocalFunctionKey, () => Promise<AnyHandler>> = {
  ingest: async () => (await import('../../functions/ingest/handler.js')).handler as AnyHandler,
  fanOut: async () => (await import('../../functions/fan-out/handler.js')).handler as AnyHandler,
  alarmFormatter: async () =>
    (await import('../../functions/alarm-formatter/handler.js')).handler as AnyHandler,
  slackNotifier: async () =>
    (await import('../../functions/slack-notifier/handler.js')).handler as AnyHandler,
  webhookReconciler: async () =>
    (await import('../../functions/webhook-reconciler/handler.js')).handler as AnyHandler,
};

/** Variables of the deployed function that mean nothing in-process. */
const IGNORED_VARIABLES = new Set(['NODE_OPTIONS']);

let loadedWithoutFreshModules = false;

export interface LoadHandlerOptions {
  readonly models: ReadonlyMap<LocalFunctionKey, FunctionModel>;
  readonly resources: LocalResources;
  readonly env: EnvironmentScope;
  readonly outputFor: (key: LocalFunctionKey) => Writable;
  /** Variables set for every function after its own (undefined unsets one). */
  readonly overrides?: Readonly<Record<string, string | undefined>>;
  /**
   * Forgets the loaded modules, so the next import evaluates them again, as a new cold start (tests pass
   * vitest's `vi.resetModules`). Without it the modules load once per process: their module-scope state
   * (environment, clients, caches) would otherwise be shared by two pipelines.
   */
  readonly freshModules?: () => void;
  /** Loads a function's handler another way (e.g. the bundle `cdk synth` ships); @default its source module */
  readonly loadHandler?: HandlerLoader;
}

/** Loads the handler of one function, at the moment its environment is set (a cold start). */
export type HandlerLoader = (fn: FunctionModel) => Promise<AnyHandler>;

/** Loads every function of `models`, one after the other (each with its own environment and output). */
export async function loadHandlers(opts: LoadHandlerOptions): Promise<LocalHandlers> {
  if (opts.freshModules) opts.freshModules();
  else if (loadedWithoutFreshModules) {
    throw new Error(
      'The Lambda handler modules load once per process (they read their environment at load, like a ' +
        'cold start): start a new process for another pipeline, or pass freshModules.',
    );
  } else loadedWithoutFreshModules = true;
  const handlers: Partial<Record<LocalFunctionKey, AnyHandler>> = {};
  for (const [key, model] of opts.models) {
    for (const [name, value] of Object.entries(model.environment)) {
      if (IGNORED_VARIABLES.has(name)) continue;
      const where = `the ${key} function's environment variable ${name}`;
      opts.env.set(name, opts.resources.resolveString(value, where));
    }
    for (const [name, value] of Object.entries(opts.overrides ?? {})) opts.env.set(name, value);
    const load = opts.loadHandler ? () => (opts.loadHandler as HandlerLoader)(model) : LOADERS[key];
    handlers[key] = await withOutputTo(opts.outputFor(key), load);
  }
  if (handlers.ingest === undefined || handlers.fanOut === undefined) {
    throw new Error('The stack has no ingest or fan-out function');
  }
  return handlers as unknown as LocalHandlers;
}

async function withOutputTo<T>(stream: Writable, load: () => Promise<T>): Promise<T> {
  const stdout = Object.getOwnPropertyDescriptor(process, 'stdout');
  const stderr = Object.getOwnPropertyDescriptor(process, 'stderr');
  Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stream });
  Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => stream });
  try {
    return await load();
  } finally {
    if (stdout) Object.defineProperty(process, 'stdout', stdout);
    if (stderr) Object.defineProperty(process, 'stderr', stderr);
  }
}

/** Sets process.env variables and puts back what was there before on restore(). */
export class EnvironmentScope {
  private readonly saved = new Map<string, string | undefined>();

  set(name: string, value: string | undefined): void {
    if (!this.saved.has(name)) this.saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }

  restore(): void {
    for (const [name, value] of this.saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.saved.clear();
  }
}

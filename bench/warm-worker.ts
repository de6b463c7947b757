/**
 * A warm Lambda execution environment for bench/run.ts: a `node` process (no tsx; Node strips the types)
 * that imports one shipped handler bundle and the bare-SDK floor bundle, then measures, interleaved,
 * the CPU per event of the handler, of the floor making the same calls with the inputs the handler sent
 * (captured by the stub), and of JSON.parse of the request. Results go to file descriptor 3; the
 * handler's logs go to stdout as in Lambda (the parent drains them).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeSync } from 'node:fs';

interface Case {
  readonly name: string;
  readonly events: number;
  readonly event: unknown;
  /** The text Lambda's runtime would parse for this invocation (JSON.parse reference). */
  readonly parseText: string;
}

interface Spec {
  readonly mode: 'measure' | 'invoke' | 'profile';
  readonly kind: 'ingest' | 'fanOut';
  readonly handlerEntry: string;
  readonly floorEntry?: string;
  readonly functionName: string;
  readonly stubUrl?: string;
  readonly cases: readonly Case[];
  readonly rounds: number;
  /** CPU per sample to aim for (several invocations per sample when one is shorter). */
  readonly sampleMicros: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Spec;
let logBytes = 0;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
  return write(chunk, ...rest);
}) as typeof process.stdout.write;

const handler = (await import(spec.handlerEntry)).handler as Handler;
const floor =
  spec.floorEntry === undefined ? undefined : ((await import(spec.floorEntry)).handler as Handler);

function context(): unknown {
  const deadline = Date.now() + 60_000;
  process.env._X_AMZN_TRACE_ID =
    `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};` +
    `Parent=${randomBytes(8).toString('hex')};Sampled=1`;
  return {
    functionName: spec.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-central-1:123456789012:function:${spec.functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: randomUUID(),
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Lambda hands each invocation a freshly parsed event: `event` is a copy made outside the timed code. */
async function invoke(item: Case, event: unknown = structuredClone(item.event)): Promise<void> {
  const result = (await handler(event, context())) as Record<string, unknown>;
  if (spec.kind === 'ingest') {
    const accepted = JSON.parse(String(result.body)).accepted;
    if (result.statusCode !== 200 || accepted !== item.events) {
      throw new Error(`ingest answered ${result.statusCode} ${String(result.body)} for ${item.name}`);
    }
  } else if ((result.batchItemFailures as unknown[]).length > 0) {
    throw new Error(`fan-out reported failures for ${item.name}: ${JSON.stringify(result)}`);
  }
}

interface Calls {
  readonly batchWriteItem: unknown[];
  readonly publishBatch: unknown[];
}

async function capturedCalls(item: Case): Promise<Calls> {
  await fetch(`${spec.stubUrl}/__capture/on`, { method: 'POST' });
  await invoke(item);
  return (await (await fetch(`${spec.stubUrl}/__capture`)).json()) as Calls;
}

function cpu(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

type Run = (input: unknown) => Promise<unknown> | unknown;

/** CPU µs per event of `run`, over `times` calls, each on its own copy of `input` (copied beforehand). */
async function sample(run: Run, input: unknown, times: number, events: number): Promise<number> {
  const inputs = Array.from({ length: times }, () => structuredClone(input));
  const start = cpu();
  for (const copy of inputs) await run(copy);
  return (cpu() - start) / times / events;
}

async function repetitions(run: Run, input: unknown): Promise<number> {
  const start = cpu();
  let calls = 0;
  while (calls < 5 || cpu() - start < spec.sampleMicros / 4) {
    await run(structuredClone(input));
    calls++;
  }
  const perCall = (cpu() - start) / calls;
  return Math.max(1, Math.round(spec.sampleMicros / Math.max(perCall, 1)));
}

async function measure(item: Case) {
  const calls = await capturedCalls(item);
  const runs: Record<'handler' | 'floor' | 'parse', Run> = {
    handler: (event) => invoke(item, event),
    floor: (input) => floor?.(input, context()),
    parse: (text) => JSON.parse(text as string),
  };
  const inputs = { handler: item.event, floor: calls, parse: item.parseText };
  const times = {
    handler: await repetitions(runs.handler, inputs.handler),
    floor: await repetitions(runs.floor, inputs.floor),
    parse: await repetitions(runs.parse, inputs.parse),
  };
  const samples: Record<keyof typeof runs, number[]> = { handler: [], floor: [], parse: [] };
  const order = Object.keys(runs) as Array<keyof typeof runs>;
  const logsBefore = logBytes;
  let handlerCalls = 0;
  for (let round = 0; round < spec.rounds; round++) {
    // Rotate the order each round, so no variant always runs right after another.
    for (const key of [...order.slice(round % 3), ...order.slice(0, round % 3)]) {
      samples[key].push(await sample(runs[key], inputs[key], times[key], item.events));
      if (key === 'handler') handlerCalls += times.handler;
    }
  }
  const logBytesPerEvent = (logBytes - logsBefore) / handlerCalls / item.events;
  const awsCalls = { batchWriteItem: calls.batchWriteItem.length, publishBatch: calls.publishBatch.length };
  return { name: item.name, events: item.events, samples, logBytesPerEvent, awsCalls };
}

/** Runs the handler alone for `spec.sampleMicros` of CPU per case (under --cpu-prof, for the profile). */
async function profile(item: Case): Promise<void> {
  const start = cpu();
  while (cpu() - start < spec.sampleMicros) {
    const events = Array.from({ length: 20 }, () => structuredClone(item.event));
    for (const event of events) await invoke(item, event);
  }
}

const results = [];
for (const item of spec.cases) {
  if (spec.mode === 'invoke') await invoke(item);
  else if (spec.mode === 'profile') await profile(item);
  else results.push(await measure(item));
}
writeSync(3, JSON.stringify({ results, rssBytes: process.memoryUsage().rss }));

/**
 * Benchmark: the ingest's handler time and peak memory on adversarial batches, against the function's
 * memory (512 MB) and timeout (28 s).
 *
 * Each case runs in a fresh child process (its own heap): the real handler (middy chain, authentication,
 * body decoding, the depth-safe reader, classification, marshalling, the event store) with the real AWS
 * SDK clients against a local stub that answers BatchWriteItem and S3 PutObject with success, so SDK
 * serialization is counted and nothing else is. One small warm-up request first (the cold start is not
 * what is measured), then the case; reported: the handler's wall time and the process's peak RSS.
 * Cases: the designed worst ones at the body limit (4,000,000 bytes) and the slowest of N generated
 * adversarial batches (test/support/adversarial-batches.ts, fixed seed).
 *
 * Run: npx tsx bench/ingest-adversarial.ts   (options: --generated 200 --seed 42)
 * Lambda at 512 MB gets about 0.29 of a vCPU: a single-threaded time here is multiplied by ~3.5 there.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAX_BODY_BYTES = 4_000_000;
const LAMBDA_MEMORY_MB = 512;
const LAMBDA_TIMEOUT_MS = 28_000;
const KEY = 'bench-endpoint-key-0123456789abcdefghijklmnopqrstuv';
const HEADER = 'X-Campaign-Webhook-Key';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i] ?? '', process.argv[i + 1] ?? '');

const valid = (index: number) =>
  `{"type":"open","clientId":100001,"mailingId":900004,"recipientId":"r-${index}","mediaTypesToAddresses":{"EMAIL":"r${index}@example.com"},"created":"2026-12-01T10:00:00Z","pad":"${'x'.repeat(230)}"}`;
const fill = (unit: (index: number) => string) => {
  const parts: string[] = [];
  let bytes = 2;
  for (let index = 0; ; index++) {
    const part = unit(index);
    if (bytes + part.length + 1 > MAX_BODY_BYTES || parts.length >= 10_000) break;
    parts.push(part);
    bytes += part.length + 1;
  }
  return `[${parts.join(',')}]`;
};

/** The designed worst cases, each a body at (or near) the size limit. */
const DESIGNED: Record<string, () => string> = {
  'nested 1,999,998 levels': () => `[${'['.repeat(999_999)}${']'.repeat(999_999)}]`,
  '10,000 valid events': () => fill(valid),
  'one event, a 3.9 MB string (kept in S3)': () =>
    `[{"type":"open","clientId":1,"recipientId":"r","big":"${'é'.repeat(1_950_000)}"}]`,
  'one event, 250,000 fields': () =>
    `[{"type":"open","clientId":1,"recipientId":"r",${Array.from({ length: 250_000 }, (_, i) => `"f${i}":${i}`).join(',')}}]`,
  '10,000 events with __proto__ nested 40 deep (kept in S3)': () =>
    fill(
      (i) =>
        `{"type":"open","clientId":1,"recipientId":"r${i}","__proto__":${'{"__proto__":'.repeat(40)}${i}${'}'.repeat(40)}}`,
    ),
  '10,000 events with 30-digit numbers': () =>
    fill(
      (i) =>
        `{"type":"open","clientId":123456789012345678901234567890,"recipientId":"r${i}","n":${'9'.repeat(29)}${i % 10}}`,
    ),
  '10,000 quarantined elements': () => fill((i) => `["not an event",${i}]`),
};

interface Measurement {
  readonly name: string;
  readonly events: number;
  readonly bodyBytes: number;
  readonly statusCode: number;
  readonly handlerMs: number;
  readonly peakRssMb: number;
}

async function runCase(name: string, body: string): Promise<Measurement> {
  const { startStubAws } = await import('./support/stub-aws.js');
  const stub = await startStubAws();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = stub.url;
  process.env.AWS_ENDPOINT_URL_S3 = stub.url;
  process.env.AWS_REGION = 'eu-central-1';
  process.env.AWS_ACCESS_KEY_ID = 'bench';
  process.env.AWS_SECRET_ACCESS_KEY = 'bench';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'Bench';
  process.env.POWERTOOLS_SERVICE_NAME = 'ingest';
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  const handler = await buildHandler();
  const invoke = async (text: string) => {
    const event = {
      httpMethod: 'POST',
      path: '/events',
      headers: { [HEADER]: KEY, 'Content-Type': 'application/json' },
      multiValueHeaders: {},
      body: Buffer.from(text).toString('base64'),
      isBase64Encoded: true,
      requestContext: {},
    };
    const context = {
      functionName: 'ingest',
      awsRequestId: 'bench',
      getRemainingTimeInMillis: () => LAMBDA_TIMEOUT_MS,
    };
    return handler(event as never, context as never);
  };
  await invoke(`[${valid(0)}]`);
  const started = performance.now();
  const response = await invoke(body);
  const handlerMs = performance.now() - started;
  await stub.stop();
  return {
    name,
    events: (JSON.parse(response.body) as { received?: number }).received ?? 0,
    bodyBytes: Buffer.byteLength(body),
    statusCode: response.statusCode,
    handlerMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

async function buildHandler() {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { createEventStore } = await import('../functions/ingest/event-store.js');
  const { createIngestHandler } = await import('../functions/ingest/ingest-handler.js');
  const { s3ObjectWriter } = await import('../functions/ingest/large-event-objects.js');
  const { createObservability } = await import('../functions/shared/observability.js');
  const { CAMPAIGN_EVENT_TYPES } = await import('../functions/shared/campaign-event-types.js');
  return createIngestHandler({
    config: {
      authHeaderName: HEADER,
      maxBodyBytes: MAX_BODY_BYTES,
      maxEventsPerBatch: 10_000,
      retentionDays: 30,
      eventTypes: CAMPAIGN_EVENT_TYPES,
      requiredFields: {},
      verifyMailingId: 900001,
      publishVerificationEvents: false,
      largeEventBucket: 'bench-large-events',
    },
    ...createObservability(),
    store: createEventStore({
      client: new DynamoDBClient({}),
      tableName: 'bench',
      writeObject: s3ObjectWriter('bench-large-events', (s3) => new s3.S3Client({ forcePathStyle: true })),
    }),
    keyVerifier: { verify: async (presented) => presented === KEY },
  });
}

function inChild(name: string, body: string): Measurement {
  const result = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child', name],
    {
      input: body,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`case ${name} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as Measurement;
}

async function main() {
  if (args.has('--child')) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    console.log(
      JSON.stringify(await runCase(args.get('--child') as string, Buffer.concat(chunks).toString('utf8'))),
    );
    return;
  }
  const results: Measurement[] = [];
  for (const [name, build] of Object.entries(DESIGNED)) results.push(inChild(name, build()));
  const generated = Number(args.get('--generated') ?? 200);
  const seed = Number(args.get('--seed') ?? 42);
  const { fc } = await import('@fast-check/vitest');
  const { batchArbitrary } = await import('../test/support/adversarial-batches.js');
  const batches = fc.sample(batchArbitrary({ maxElements: 25, maxBodyBytes: MAX_BODY_BYTES }), {
    numRuns: generated,
    seed,
  });
  // The generated batches in one child each would take minutes: time them in one process, rerun the slowest alone.
  const timed = batches.map((batch, index) => ({
    index,
    bytes: Buffer.byteLength(batch.body),
    body: batch.body,
  }));
  timed.sort((a, b) => b.bytes - a.bytes);
  const slowestCandidates = timed
    .slice(0, 5)
    .map((batch) => inChild(`generated #${batch.index} (${batch.bytes} bytes)`, batch.body));
  slowestCandidates.sort((a, b) => b.handlerMs - a.handlerMs);
  results.push(slowestCandidates[0] as Measurement);

  console.log(
    `ingest on adversarial batches (Lambda: ${LAMBDA_MEMORY_MB} MB, timeout ${LAMBDA_TIMEOUT_MS / 1000} s)`,
  );
  console.log(
    'case | events | body bytes | status | handler ms | x3.5 (Lambda CPU) | peak RSS MB | % of 512 MB',
  );
  for (const r of results) {
    console.log(
      [
        r.name,
        r.events,
        r.bodyBytes,
        r.statusCode,
        r.handlerMs.toFixed(0),
        (r.handlerMs * 3.5).toFixed(0),
        r.peakRssMb.toFixed(0),
        ((100 * r.peakRssMb) / LAMBDA_MEMORY_MB).toFixed(0),
      ].join(' | '),
    );
  }
}

await main();

import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { BatchWriteItemCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { traced } from '../../../../functions/shared/tracing/aws-calls.js';
import { datagrams, parseDaemonAddress } from '../../../../functions/shared/tracing/daemon.js';
import { traceFetch } from '../../../../functions/shared/tracing/http-calls.js';
import { captureLambdaHandler } from '../../../../functions/shared/tracing/middleware.js';
import type { SubsegmentDocument } from '../../../../functions/shared/tracing/subsegment.js';
import { createTracer, type Tracer } from '../../../../functions/shared/tracing/tracer.js';

const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
const FACADE = '53995c3f42cd8ad8';
const SAMPLED = `Root=${ROOT};Parent=${FACADE};Sampled=1`;
const NOT_SAMPLED = `Root=${ROOT};Parent=${FACADE};Sampled=0`;

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

/** A real SDK client (serialization, signing, retries, parsing) whose HTTP is answered in memory. */
function answering<C extends DynamoDBClient | SNSClient>(
  make: (config: DynamoDBClientConfig & SNSClientConfig) => C,
  answers: Answer[],
) {
  const requests: Array<{ headers: Record<string, string> }> = [];
  const client = make({
    region: 'eu-central-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: answers.length,
    requestHandler: {
      handle: async (request: { headers: Record<string, string> }) => {
        requests.push({ headers: { ...request.headers } });
        const answer = answers.shift() ?? { status: 500, body: '{}' };
        const { Readable } = await import('node:stream');
        return {
          response: {
            statusCode: answer.status,
            headers: {
              'x-amzn-requestid': 'REQ-1',
              'content-type': 'application/x-amz-json-1.0',
              ...answer.headers,
            },
            body: Readable.from([Buffer.from(answer.body)]),
          },
        };
      },
    } as never,
  });
  return { client, requests };
}

const dynamodb = (answers: Answer[]) => answering((config) => new DynamoDBClient(config), answers);
const writeOne = new BatchWriteItemCommand({
  RequestItems: { events: [{ PutRequest: { Item: { pk: { S: 'a' } } } }] },
});

function recordingTracer(header: string | undefined) {
  const sent: SubsegmentDocument[] = [];
  const tracer = createTracer({
    send: (document) => sent.push(structuredClone(document)),
    traceHeader: () => header,
    invocationName: '## index.handler',
    serviceName: 'ingest',
  });
  return { tracer, sent };
}

/** A middy handler traced as the project's handlers are, doing `work` in its invocation. */
const tracedHandler = (tracer: Tracer, work: () => Promise<unknown>) =>
  middy<unknown, unknown>().use(captureLambdaHandler(tracer)).handler(work);

describe('the project tracer', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('traces nothing and sends no trace header when Lambda did not sample the invocation', async () => {
    for (const header of [NOT_SAMPLED, undefined]) {
      const { tracer, sent } = recordingTracer(header);
      const { client, requests } = dynamodb([{ status: 200, body: '{"UnprocessedItems":{}}' }]);
      traced(tracer, client);
      await tracedHandler(tracer, () => client.send(writeOne))({}, {} as never);
      expect(sent).toEqual([]);
      expect(requests[0]?.headers).not.toHaveProperty('x-amzn-trace-id');
      expect(requests[0]?.headers).not.toHaveProperty('X-Amzn-Trace-Id');
    }
  });

  it('sends a subsegment per SDK call, under the invocation’s, and the trace header with the request', async () => {
    const { tracer, sent } = recordingTracer(SAMPLED);
    const { client, requests } = dynamodb([{ status: 200, body: '{"UnprocessedItems":{}}' }]);
    traced(tracer, client);
    await tracedHandler(tracer, async () => {
      tracer.putAnnotation('batchSize', 1);
      tracer.putAnnotation('event-types', 'bounce');
      return client.send(writeOne);
    })({}, {} as never);

    const [invocation] = sent;
    const call = invocation?.subsegments?.[0];
    expect(sent).toHaveLength(1);
    expect(invocation?.subsegments).toHaveLength(1);
    expect(invocation).toMatchObject({
      type: 'subsegment',
      name: '## index.handler',
      trace_id: ROOT,
      parent_id: FACADE,
      annotations: { ColdStart: true, Service: 'ingest', batchSize: 1, event_types: 'bounce' },
    });
    expect(call).toMatchObject({
      name: 'DynamoDB',
      namespace: 'aws',
      aws: {
        operation: 'BatchWriteItem',
        region: 'eu-central-1',
        request_id: 'REQ-1',
        retries: 0,
        table_names: ['events'],
      },
      http: { response: { status: 200 } },
    });
    expect(call).not.toHaveProperty('fault');
    expect(requests[0]?.headers['X-Amzn-Trace-Id']).toBe(`Root=${ROOT};Parent=${call?.id};Sampled=1`);
    for (const subsegment of [invocation, call]) {
      expect(subsegment?.id).toMatch(/^[0-9a-f]{16}$/);
      expect(subsegment?.end_time).toBeGreaterThanOrEqual(subsegment?.start_time ?? Infinity);
    }
  });

  it('flags a throttled call (after its retries) and a failing one as AWS answered them', async () => {
    const throttled =
      '{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}';
    const { tracer, sent } = recordingTracer(SAMPLED);
    const { client } = dynamodb([
      { status: 400, body: throttled },
      { status: 400, body: throttled },
    ]);
    traced(tracer, client);
    await expect(tracedHandler(tracer, () => client.send(writeOne))({}, {} as never)).rejects.toThrow(
      'Rate exceeded',
    );
    const [invocation] = sent;
    expect(invocation?.subsegments?.[0]).toMatchObject({
      name: 'DynamoDB',
      throttle: true,
      error: true,
      aws: { retries: 1 },
      http: { response: { status: 400 } },
      cause: { exceptions: [{ type: 'ThrottlingException', message: 'Rate exceeded', remote: true }] },
    });
    expect(invocation?.subsegments?.[0]).not.toHaveProperty('fault');
    expect(invocation).toMatchObject({
      fault: true,
      cause: { exceptions: [{ type: 'ThrottlingException' }] },
    });

    const failing = recordingTracer(SAMPLED);
    const sns = answering((config) => new SNSClient(config), [{ status: 500, body: '<ErrorResponse/>' }]);
    traced(failing.tracer, sns.client);
    const publish = new PublishBatchCommand({
      TopicArn: 'arn:aws:sns:eu-central-1:123456789012:bounce',
      PublishBatchRequestEntries: [{ Id: '1', Message: '{}' }],
    });
    await expect(
      tracedHandler(failing.tracer, () => sns.client.send(publish))({}, {} as never),
    ).rejects.toThrow();
    expect(failing.sent[0]?.subsegments?.[0]).toMatchObject({
      name: 'SNS',
      fault: true,
      aws: { operation: 'PublishBatch', topic_arn: 'arn:aws:sns:eu-central-1:123456789012:bounce' },
      http: { response: { status: 500 } },
    });
  });

  it('marks only the first invocation of the process as its cold start', async () => {
    const { tracer, sent } = recordingTracer(SAMPLED);
    const handler = tracedHandler(tracer, async () => 'ok');
    await handler({}, {} as never);
    await handler({}, {} as never);
    expect(sent.map((document) => document.annotations?.ColdStart)).toEqual([true, false]);
  });

  it('traces a fetch to a service outside AWS by its host, without its query or a trace header', async () => {
    const { tracer, sent } = recordingTracer(SAMPLED);
    const seen: Headers[] = [];
    const fetchImpl: typeof fetch = async (_input, init) => {
      seen.push(new Headers(init?.headers));
      return new Response('{}', { status: 404 });
    };
    const traced = traceFetch(tracer, fetchImpl);
    await tracedHandler(tracer, () =>
      traced('https://api.campaign.episerver.net/rest/100001/webhooks?secret=x', { method: 'GET' }),
    )({}, {} as never);
    expect(sent[0]?.subsegments?.[0]).toMatchObject({
      name: 'api.campaign.episerver.net',
      namespace: 'remote',
      error: true,
      http: {
        request: { method: 'GET', url: 'https://api.campaign.episerver.net/rest/100001/webhooks' },
        response: { status: 404 },
      },
    });
    expect(seen[0]?.has('x-amzn-trace-id')).toBe(false);
  });

  it('sends a call that outlives its invocation on its own, under the invocation', async () => {
    const { tracer, sent } = recordingTracer(SAMPLED);
    let late: ReturnType<Tracer['startCall']>;
    await tracedHandler(tracer, async () => {
      late = tracer.startCall('SQS');
    })({}, {} as never);
    late?.end();
    const [invocation, alone] = sent;
    expect(invocation?.subsegments).toBeUndefined();
    expect(alone).toMatchObject({
      type: 'subsegment',
      name: 'SQS',
      trace_id: ROOT,
      parent_id: invocation?.id,
    });
  });

  it('sends the calls finished so far before Lambda’s deadline, so a timeout does not lose them', async () => {
    const { tracer, sent } = recordingTracer(SAMPLED);
    tracer.startInvocation(5);
    tracer.startCall('DynamoDB')?.end();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sent.map((document) => [document.name, document.in_progress])).toEqual([
      ['DynamoDB', undefined],
      ['## index.handler', true],
    ]);
    expect(sent[0]?.parent_id).toBe(sent[1]?.id);
    tracer.startCall('SNS')?.end();
    tracer.endInvocation();
    expect(
      sent.slice(2).map((document) => [document.name, document.in_progress, document.subsegments]),
    ).toEqual([
      ['SNS', undefined, undefined],
      ['## index.handler', undefined, undefined],
    ]);
    expect(sent[3]?.id).toBe(sent[1]?.id);
  });

  it('never fails an invocation: a daemon address it cannot use, or a send that throws, drops the trace', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', 'localhost');
    const badAddress = createTracer({ traceHeader: () => SAMPLED });
    const throwing = createTracer({
      traceHeader: () => SAMPLED,
      send: () => {
        throw new Error('socket closed');
      },
    });
    for (const tracer of [badAddress, throwing]) {
      const { client } = dynamodb([{ status: 200, body: '{"UnprocessedItems":{}}' }]);
      traced(tracer, client);
      await expect(
        tracedHandler(tracer, () => client.send(writeOne))({}, {} as never),
      ).resolves.toBeDefined();
      await expect(tracedHandler(tracer, async () => 'second')({}, {} as never)).resolves.toBe('second');
    }
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('reads the daemon address in the forms Lambda and the X-Ray docs give it', () => {
    expect(parseDaemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(parseDaemonAddress('tcp:127.0.0.1:2000 udp:127.0.0.2:2001')).toEqual({
      host: '127.0.0.2',
      port: 2001,
    });
    for (const bad of ['localhost', ':2000', '127.0.0.1:0', '127.0.0.1:99999', '']) {
      expect(() => parseDaemonAddress(bad)).toThrow(/host:port/);
    }
  });

  it('records a fetch that failed on the network as this function’s fault, by its code, not its message', async () => {
    const { tracer, sent } = recordingTracer(SAMPLED);
    const refused: typeof fetch = async () => {
      throw new TypeError('fetch failed: https://user:secret@api.example.net/x', {
        cause: { code: 'ECONNREFUSED' },
      });
    };
    await expect(
      tracedHandler(tracer, () => traceFetch(tracer, refused)('https://api.example.net/rest/1'))(
        {},
        {} as never,
      ),
    ).rejects.toThrow();
    const call = sent[0]?.subsegments?.[0];
    expect(call).toMatchObject({
      name: 'api.example.net',
      fault: true,
      cause: { exceptions: [{ type: 'TypeError', message: 'ECONNREFUSED' }] },
    });
    expect(call?.cause?.exceptions[0]).not.toHaveProperty('remote');
    expect(JSON.stringify(call)).not.toContain('secret');
  });

  it('splits an invocation too large for one datagram into its calls and itself', () => {
    const calls = Array.from({ length: 400 }, (_, index) => ({
      id: index.toString(16).padStart(16, '0'),
      name: 'DynamoDB',
      start_time: 1,
      end_time: 2,
      aws: { operation: 'BatchWriteItem', table_names: ['a-rather-long-table-name-for-this-test'] },
    }));
    const document: SubsegmentDocument = {
      type: 'subsegment',
      id: 'aaaaaaaaaaaaaaaa',
      trace_id: ROOT,
      parent_id: FACADE,
      name: '## index.handler',
      start_time: 1,
      end_time: 3,
      subsegments: calls,
    };
    const parts = datagrams(document).map((part) => JSON.parse(part) as SubsegmentDocument);
    expect(parts).toHaveLength(401);
    for (const part of parts.slice(0, 400))
      expect(part).toMatchObject({ type: 'subsegment', trace_id: ROOT, parent_id: 'aaaaaaaaaaaaaaaa' });
    expect(parts[400]).toMatchObject({ id: 'aaaaaaaaaaaaaaaa', parent_id: FACADE });
    expect(parts[400]).not.toHaveProperty('subsegments');
    for (const part of datagrams(document)) expect(Buffer.byteLength(part)).toBeLessThan(65_000);
    expect(datagrams({ ...document, subsegments: calls.slice(0, 10) })).toHaveLength(1);
  });

  it('sends each document to the daemon Lambda names, in the X-Ray daemon’s UDP format', async () => {
    const daemon = createSocket('udp4');
    daemon.bind(0, '127.0.0.1');
    await once(daemon, 'listening');
    vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', `127.0.0.1:${daemon.address().port}`);
    const received = once(daemon, 'message');
    const tracer = createTracer({ traceHeader: () => SAMPLED });
    await tracedHandler(tracer, async () => 'ok')({}, {} as never);
    const [message] = (await received) as [Buffer];
    daemon.close();
    const [header, body] = message.toString('utf8').split('\n');
    expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
    expect(JSON.parse(body ?? '')).toMatchObject({ type: 'subsegment', trace_id: ROOT, parent_id: FACADE });
  });
});

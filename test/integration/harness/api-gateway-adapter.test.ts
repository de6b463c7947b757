import { request } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiGatewayAdapterOptions, startApiGatewayAdapter } from '../../../local/api-gateway-adapter.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** An HTTP request with header names sent exactly as written (fetch would lower-case them). */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

async function adapterWith(
  handler: ApiGatewayAdapterOptions['handler'],
  options: Partial<ApiGatewayAdapterOptions> = {},
) {
  const calls: Array<{ event: APIGatewayProxyEvent; context: Context }> = [];
  const adapter = await startApiGatewayAdapter({
    path: '/events',
    handler: (event, context) => {
      calls.push({ event, context });
      return handler(event, context);
    },
    ...options,
  });
  stops.push(adapter.stop);
  return { adapter, calls };
}

const accepted = async (): Promise<APIGatewayProxyResult> => ({ statusCode: 200, body: '{"accepted":1}' });

describe('the event handed to the handler', () => {
  it('is an API Gateway REST proxy event built from the request as received', async () => {
    const { adapter, calls } = await adapterWith(accepted, { sourceIp: '193.169.180.1' });
    const body = JSON.stringify([{ type: 'open', note: 'Grüße ✓' }]);
    const before = Date.now();
    const reply = await send(`${adapter.url}?dryRun=1&tag=a&tag=b%20c`, {
      headers: {
        'Content-Type': 'application/json',
        'X-Campaign-Webhook-Key': 'secret-value',
        'X-Repeated': ['first', 'second'],
      },
      body,
    });

    expect(reply.status).toBe(200);
    expect(calls).toHaveLength(1);
    const { event, context } = calls[0] as { event: APIGatewayProxyEvent; context: Context };
    expect(event).toMatchObject({
      resource: '/events',
      path: '/events',
      httpMethod: 'POST',
      body,
      isBase64Encoded: false,
      pathParameters: null,
      stageVariables: null,
      queryStringParameters: { dryRun: '1', tag: 'b c' },
      multiValueQueryStringParameters: { dryRun: ['1'], tag: ['a', 'b c'] },
    });
    expect(event.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Campaign-Webhook-Key': 'secret-value',
      'X-Repeated': 'second',
      'X-Forwarded-For': '193.169.180.1',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Port': '443',
    });
    expect(event.multiValueHeaders).toMatchObject({
      'Content-Type': ['application/json'],
      'X-Campaign-Webhook-Key': ['secret-value'],
      'X-Repeated': ['first', 'second'],
    });
    expect(event.headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event.requestContext).toMatchObject({
      stage: 'prod',
      path: '/prod/events',
      resourcePath: '/events',
      httpMethod: 'POST',
      protocol: 'HTTP/1.1',
      identity: { sourceIp: '193.169.180.1', userAgent: null },
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.requestTimeEpoch).toBeGreaterThanOrEqual(before);
    expect(event.requestContext.requestTime).toMatch(
      /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
    );
    expect(reply.headers['x-amzn-requestid']).toBe(event.requestContext.requestId);
    expect(context.awsRequestId).not.toBe(event.requestContext.requestId);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(adapter.invocations.map((i) => i.statusCode)).toEqual([200]);
  });

  it('uses the TCP peer as sourceIp by default and appends it to a client X-Forwarded-For', async () => {
    const { adapter, calls } = await adapterWith(accepted);
    await send(adapter.url, {
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '10.1.2.3' },
      body: '[]',
    });
    expect(calls[0]?.event.requestContext.identity.sourceIp).toBe('127.0.0.1');
    expect(calls[0]?.event.headers['X-Forwarded-For']).toBe('10.1.2.3, 127.0.0.1');
  });

  it('passes an empty body as null, and bodies of binaryMediaTypes base64-encoded', async () => {
    const { adapter, calls } = await adapterWith(accepted, {
      binaryMediaTypes: ['application/octet-stream'],
    });
    await send(adapter.url, { headers: { 'Content-Type': 'application/json' } });
    await send(adapter.url, {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.from([0xff, 0x00, 0x10]),
    });
    expect(calls[0]?.event).toMatchObject({
      body: null,
      isBase64Encoded: false,
      queryStringParameters: null,
    });
    expect(calls[1]?.event).toMatchObject({ body: '/wAQ', isBase64Encoded: true });
  });

  it('serves under /{stage}{path} when asked, like the execute-api URL', async () => {
    const { adapter, calls } = await adapterWith(accepted, { stage: 'live', stageInUrl: true });
    expect(adapter.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/live\/events$/);
    expect((await send(adapter.url, { body: '[]' })).status).toBe(200);
    expect((await send(adapter.url.replace('/live/events', '/events'), { body: '[]' })).status).toBe(403);
    expect(calls[0]?.event).toMatchObject({
      path: '/events',
      requestContext: { stage: 'live', path: '/live/events' },
    });
  });
});

describe('the answer written back', () => {
  it('writes the handler status, headers, multi-value headers and body', async () => {
    const { adapter } = await adapterWith(async () => ({
      statusCode: 207,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
      multiValueHeaders: { 'X-Partial': ['a', 'b'] },
      body: '{"accepted":2,"quarantined":1}',
    }));
    const reply = await send(adapter.url, { body: '[]' });
    expect(reply.status).toBe(207);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['x-partial']).toBe('a, b');
    expect(reply.text).toBe('{"accepted":2,"quarantined":1}');
  });

  it('defaults the content type to application/json and decodes a base64 body', async () => {
    const { adapter } = await adapterWith(async () => ({
      statusCode: 200,
      body: Buffer.from([1, 2, 3]).toString('base64'),
      isBase64Encoded: true,
    }));
    const reply = await send(adapter.url, { body: '[]' });
    expect(reply.headers['content-type']).toBe('application/json');
    expect([...reply.body]).toEqual([1, 2, 3]);
  });
});

describe('what API Gateway answers itself', () => {
  it.each([
    ['an unknown path', 'POST', '/other'],
    ['a sub-path', 'POST', '/events/extra'],
    ['GET on the path', 'GET', '/events'],
    ['PUT on the path', 'PUT', '/events'],
  ])(
    'answers %s with 403 Missing Authentication Token, without invoking the handler',
    async (_label, method, path) => {
      const { adapter, calls } = await adapterWith(accepted);
      const reply = await send(adapter.url.replace('/events', path), {
        method,
        body: method === 'GET' ? undefined : '[]',
      });
      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.text)).toEqual({ message: 'Missing Authentication Token' });
      expect(reply.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
      expect(calls).toEqual([]);
    },
  );

  it('answers 502 Internal server error when the handler throws, and keeps the error for the test', async () => {
    const { adapter } = await adapterWith(async () => {
      throw new Error('store unavailable');
    });
    const reply = await send(adapter.url, { body: '[]' });
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.text)).toEqual({ message: 'Internal server error' });
    expect(String(adapter.invocations[0]?.error)).toContain('store unavailable');
  });

  it.each([
    ['no statusCode', { body: 'x' }],
    ['a body that is not a string', { statusCode: 200, body: { accepted: 1 } }],
    ['a result that is not an object', 'ok'],
  ])('answers 502 for a malformed proxy result (%s)', async (_label, result) => {
    const { adapter } = await adapterWith(async () => result as unknown as APIGatewayProxyResult);
    const reply = await send(adapter.url, { body: '[]' });
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.text)).toEqual({ message: 'Internal server error' });
    expect(String(adapter.invocations[0]?.error)).toContain('Malformed Lambda proxy response');
  });

  it('answers 502 when the handler outlives the function timeout', async () => {
    const { adapter } = await adapterWith(() => new Promise<APIGatewayProxyResult>(() => {}), {
      timeoutMs: 50,
    });
    const reply = await send(adapter.url, { body: '[]' });
    expect(reply.status).toBe(502);
    expect(String(adapter.invocations[0]?.error)).toContain('Task timed out after 0.05 seconds');
  });

  it('answers 413 for a body over 10 MB without invoking the handler', async () => {
    const { adapter, calls } = await adapterWith(accepted);
    const reply = await send(adapter.url, { body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) });
    expect(reply.status).toBe(413);
    expect(calls).toEqual([]);
  });
});

describe('lifecycle', () => {
  it('rejects a path that is not a resource path', async () => {
    await expect(startApiGatewayAdapter({ path: 'events', handler: accepted })).rejects.toThrow(
      'path must be a resource path starting with "/"',
    );
  });

  it('listens on loopback only and refuses connections after stop()', async () => {
    const adapter = await startApiGatewayAdapter({ path: '/events', handler: accepted });
    expect(adapter.url).toBe(`http://127.0.0.1:${adapter.port}/events`);
    await adapter.stop();
    await expect(send(adapter.url, { body: '[]' })).rejects.toThrow(/ECONNREFUSED/);
  });
});

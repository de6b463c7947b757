import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { closeServer, LOOPBACK_HOST, listen, urlHost } from './free-port.js';
import { createLambdaContext, withLambdaTimeout } from './lambda-context.js';

export interface ApiGatewayAdapterOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default 127.0.0.1 */
  host?: string;
  /** The resource path the handler is mounted on, e.g. `/events`. Only POST on it reaches the handler. */
  path: string;
  handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  /** `requestContext.identity.sourceIp` for every request. @default the TCP peer address */
  sourceIp?: string;
  /** @default 'prod' (the stack's stage) */
  stage?: string;
  /** Serve under `/{stage}{path}`, as the execute-api URL has it, instead of `{path}`. @default false */
  stageInUrl?: boolean;
  /** Content types passed base64-encoded (the REST API's binaryMediaTypes). @default none: every body is text */
  binaryMediaTypes?: string[];
  /** The Lambda function timeout: a slower handler is answered 502, as a timed-out Lambda is. @default 10_000 */
  timeoutMs?: number;
  /** Name in the Lambda Context. @default 'local-ingest' */
  functionName?: string;
}

export interface AdapterInvocation {
  event: APIGatewayProxyEvent;
  context: Context;
  /** The handler's result, when it returned one. */
  result?: APIGatewayProxyResult;
  /** Why the answer was 502, when it was: what the handler threw, or why its result is malformed. */
  error?: unknown;
  statusCode: number;
}

export interface ApiGatewayAdapter {
  /** The endpoint to POST to: `http://127.0.0.1:<port>{path}` (with `/{stage}` first when stageInUrl). */
  url: string;
  port: number;
  /** The last 1000 requests that reached the handler, oldest first. */
  invocations: AdapterInvocation[];
  stop(): Promise<void>;
}

/** API Gateway REST's payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const LOG_LIMIT = 1000;

/**
 * A local HTTP endpoint that invokes a Lambda handler as an API Gateway REST API with a Lambda proxy
 * integration (payload v1) does, and answers with what API Gateway would send back, including its own
 * error answers: 403 Missing Authentication Token for any other path or method, 502 Internal server error
 * when the handler throws, times out or returns a malformed result, 413 over 10 MB.
 */
export async function startApiGatewayAdapter(opts: ApiGatewayAdapterOptions): Promise<ApiGatewayAdapter> {
  if (!opts.path.startsWith('/') || opts.path.includes('?')) {
    throw new Error(`path must be a resource path starting with "/", got "${opts.path}"`);
  }
  const stage = opts.stage ?? 'prod';
  const resourcePath = opts.path;
  const servedPath = opts.stageInUrl ? `/${stage}${resourcePath}` : resourcePath;
  const host = opts.host ?? LOOPBACK_HOST;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const invocations: AdapterInvocation[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const requestTimeEpoch = Date.now();
    const url = new URL(req.url ?? '/', 'http://local');
    const body = await readBody(req);

    const apiGatewayHeaders = {
      'x-amzn-RequestId': requestId,
      'x-amz-apigw-id': randomBytes(6).toString('base64url'),
      'X-Amzn-Trace-Id': traceId(requestTimeEpoch),
    };
    const answer = (status: number, headers: Record<string, string | string[]>, payload: string | Buffer) => {
      res.writeHead(status, { ...apiGatewayHeaders, ...headers });
      res.end(payload);
    };
    const gatewayError = (status: number, errorType: string, message: string) =>
      answer(
        status,
        { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType },
        JSON.stringify({ message }),
      );

    if (body === undefined) {
      gatewayError(413, 'RequestEntityTooLargeException', 'Request Too Long');
      return;
    }
    if (url.pathname !== servedPath || req.method !== 'POST') {
      // What a REST API answers for any route (path or method) it does not have.
      gatewayError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      return;
    }

    const event = buildEvent({
      req,
      url,
      body,
      resourcePath,
      stage,
      requestId,
      requestTimeEpoch,
      sourceIp: opts.sourceIp ?? peerAddress(req),
      binaryMediaTypes: opts.binaryMediaTypes ?? [],
      traceHeader: apiGatewayHeaders['X-Amzn-Trace-Id'],
    });
    const context = createLambdaContext({ functionName: opts.functionName ?? 'local-ingest', timeoutMs });
    const invocation: AdapterInvocation = { event: structuredClone(event), context, statusCode: 502 };
    invocations.push(invocation);
    if (invocations.length > LOG_LIMIT) invocations.shift();

    let result: APIGatewayProxyResult;
    try {
      result = await withLambdaTimeout(opts.handler(event, context), timeoutMs);
      invocation.result = result;
    } catch (error) {
      invocation.error = error;
      gatewayError(502, 'InternalServerErrorException', 'Internal server error');
      return;
    }
    const problem = malformedResult(result);
    if (problem !== undefined) {
      invocation.error = new Error(`Malformed Lambda proxy response: ${problem}`);
      gatewayError(502, 'InternalServerErrorException', 'Internal server error');
      return;
    }
    invocation.statusCode = result.statusCode;
    const headers = responseHeaders(result);
    const payload = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
    answer(result.statusCode, headers, payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(502, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal server error' }));
      } else {
        res.destroy();
      }
    });
  });
  const port = await listen(server, opts.port ?? 0, host);

  return {
    url: `http://${urlHost(host)}:${port}${servedPath}`,
    port,
    invocations,
    stop: () => closeServer(server),
  };
}

interface EventInput {
  req: IncomingMessage;
  url: URL;
  body: Buffer;
  resourcePath: string;
  stage: string;
  requestId: string;
  requestTimeEpoch: number;
  sourceIp: string;
  binaryMediaTypes: string[];
  traceHeader: string;
}

function buildEvent(input: EventInput): APIGatewayProxyEvent {
  const { req, url, body, stage, requestId, requestTimeEpoch, sourceIp } = input;
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const add = (name: string, value: string) => {
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  };
  // rawHeaders keeps each header's case and order as sent.
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    add(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  const forwardedFor = findHeader(headers, 'x-forwarded-for');
  if (forwardedFor === undefined) add('X-Forwarded-For', sourceIp);
  else replaceHeader(headers, multiValueHeaders, forwardedFor, `${headers[forwardedFor]}, ${sourceIp}`);
  if (findHeader(headers, 'x-forwarded-port') === undefined) add('X-Forwarded-Port', '443');
  if (findHeader(headers, 'x-forwarded-proto') === undefined) add('X-Forwarded-Proto', 'https');
  if (findHeader(headers, 'x-amzn-trace-id') === undefined) add('X-Amzn-Trace-Id', input.traceHeader);

  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  }
  const contentTypeHeader = findHeader(headers, 'content-type');
  const contentType = contentTypeHeader === undefined ? '' : (headers[contentTypeHeader] ?? '');
  const binary = isBinary(contentType, input.binaryMediaTypes);
  const userAgentHeader = findHeader(headers, 'user-agent');
  const hostHeader = findHeader(headers, 'host');

  return {
    resource: input.resourcePath,
    path: input.resourcePath,
    httpMethod: 'POST',
    headers,
    multiValueHeaders,
    queryStringParameters: url.searchParams.size > 0 ? query : null,
    multiValueQueryStringParameters: url.searchParams.size > 0 ? multiValueQuery : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourceId: 'local',
      resourcePath: input.resourcePath,
      httpMethod: 'POST',
      extendedRequestId: randomBytes(6).toString('base64url'),
      requestTime: formatRequestTime(requestTimeEpoch),
      path: `/${stage}${input.resourcePath}`,
      accountId: '000000000000',
      protocol: `HTTP/${req.httpVersion}`,
      stage,
      domainPrefix: 'local',
      requestTimeEpoch,
      requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: userAgentHeader === undefined ? null : (headers[userAgentHeader] ?? null),
        user: null,
        apiKey: null,
        apiKeyId: null,
        clientCert: null,
      },
      domainName: hostHeader === undefined ? 'localhost' : (headers[hostHeader] ?? 'localhost'),
      apiId: 'local',
      authorizer: null,
    },
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: body.length > 0 && binary,
  };
}

function findHeader(headers: Record<string, string>, lowerCaseName: string): string | undefined {
  return Object.keys(headers).find((name) => name.toLowerCase() === lowerCaseName);
}

function replaceHeader(
  headers: Record<string, string>,
  multiValueHeaders: Record<string, string[]>,
  name: string,
  value: string,
) {
  headers[name] = value;
  const values = multiValueHeaders[name] ?? [];
  values[values.length - 1] = value;
  multiValueHeaders[name] = values;
}

function isBinary(contentType: string, binaryMediaTypes: string[]): boolean {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return binaryMediaTypes.some((pattern) => {
    const wanted = pattern.toLowerCase();
    if (wanted === '*/*') return true;
    if (wanted.endsWith('/*')) return mediaType.startsWith(wanted.slice(0, -1));
    return mediaType === wanted;
  });
}

/** Why API Gateway would refuse this result as a Lambda proxy response, or undefined if it is fine. */
function malformedResult(result: unknown): string | undefined {
  if (result === null || typeof result !== 'object') return 'the result is not an object';
  const { statusCode, body, headers, multiValueHeaders } = result as Record<string, unknown>;
  if (!Number.isInteger(statusCode) || (statusCode as number) < 100 || (statusCode as number) > 599) {
    return `statusCode ${JSON.stringify(statusCode)} is not an HTTP status`;
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return 'body is not a string';
  if (headers !== undefined && headers !== null && (typeof headers !== 'object' || Array.isArray(headers))) {
    return 'headers is not an object';
  }
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (typeof multiValueHeaders !== 'object') return 'multiValueHeaders is not an object';
    for (const values of Object.values(multiValueHeaders)) {
      if (!Array.isArray(values)) return 'a multiValueHeaders value is not a list';
    }
  }
  return undefined;
}

/** The handler's headers (multi-value ones added after single ones), with API Gateway's default content type. */
function responseHeaders(result: APIGatewayProxyResult): Record<string, string | string[]> {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = [String(value)];
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    const existing = headers[name] ?? [];
    headers[name] = [...existing, ...values.map(String).filter((value) => !existing.includes(value))];
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = ['application/json'];
  }
  return Object.fromEntries(
    Object.entries(headers).map(([name, values]) => [
      name,
      values.length === 1 ? (values[0] as string) : values,
    ]),
  );
}

/** The body, or undefined when it is over API Gateway's payload limit (the rest is drained). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_PAYLOAD_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function peerAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime`: `09/Apr/2015:12:34:56 +0000`. */
function formatRequestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

function traceId(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

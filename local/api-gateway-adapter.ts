import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { buildEvent } from './api-gateway/proxy-event.js';
import { malformedResult, responseHeaders } from './api-gateway/proxy-result.js';
import { closeServer, LOOPBACK_HOST, listen, urlHost } from './free-port.js';
import { createLambdaContext, withLambdaTimeout } from './lambda-context.js';
import { readRequestBytes } from './request-body.js';

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
  const servedPath = opts.stageInUrl ? `/${stage}${opts.path}` : opts.path;
  const host = opts.host ?? LOOPBACK_HOST;
  const invocations: AdapterInvocation[] = [];
  const handle = requestHandler(opts, stage, servedPath, invocations);
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

/** One request's answers: the handler's, or API Gateway's own errors, all with its request headers. */
class GatewayResponse {
  readonly requestId = randomUUID();
  readonly requestTimeEpoch = Date.now();
  readonly traceHeader = traceId(this.requestTimeEpoch);

  constructor(private readonly res: ServerResponse) {}

  answer(status: number, headers: Record<string, string | string[]>, payload: string | Buffer): void {
    this.res.writeHead(status, {
      'x-amzn-RequestId': this.requestId,
      'x-amz-apigw-id': randomBytes(6).toString('base64url'),
      'X-Amzn-Trace-Id': this.traceHeader,
      ...headers,
    });
    this.res.end(payload);
  }

  gatewayError(status: number, errorType: string, message: string): void {
    this.answer(
      status,
      { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType },
      JSON.stringify({ message }),
    );
  }
}

function requestHandler(
  opts: ApiGatewayAdapterOptions,
  stage: string,
  servedPath: string,
  invocations: AdapterInvocation[],
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return async (req, res) => {
    const response = new GatewayResponse(res);
    const url = new URL(req.url ?? '/', 'http://local');
    const body = await readRequestBytes(req, MAX_PAYLOAD_BYTES);
    if (body === undefined) {
      response.gatewayError(413, 'RequestEntityTooLargeException', 'Request Too Long');
      return;
    }
    if (url.pathname !== servedPath || req.method !== 'POST') {
      // What a REST API answers for any route (path or method) it does not have.
      response.gatewayError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      return;
    }
    const event = buildEvent({
      req,
      url,
      body,
      resourcePath: opts.path,
      stage,
      requestId: response.requestId,
      requestTimeEpoch: response.requestTimeEpoch,
      sourceIp: opts.sourceIp ?? peerAddress(req),
      binaryMediaTypes: opts.binaryMediaTypes ?? [],
      traceHeader: response.traceHeader,
    });
    const context = createLambdaContext({ functionName: opts.functionName ?? 'local-ingest', timeoutMs });
    const invocation: AdapterInvocation = { event: structuredClone(event), context, statusCode: 502 };
    invocations.push(invocation);
    if (invocations.length > LOG_LIMIT) invocations.shift();
    await invoke(opts.handler, event, { context, timeoutMs, invocation, response });
  };
}

/** Invokes the handler and answers with its result, or 502 as API Gateway does for a failed invocation. */
async function invoke(
  handler: ApiGatewayAdapterOptions['handler'],
  event: APIGatewayProxyEvent,
  on: { context: Context; timeoutMs: number; invocation: AdapterInvocation; response: GatewayResponse },
): Promise<void> {
  const { invocation, response } = on;
  let result: APIGatewayProxyResult;
  try {
    result = await withLambdaTimeout(handler(event, on.context), on.timeoutMs);
    invocation.result = result;
  } catch (error) {
    invocation.error = error;
    response.gatewayError(502, 'InternalServerErrorException', 'Internal server error');
    return;
  }
  const problem = malformedResult(result);
  if (problem !== undefined) {
    invocation.error = new Error(`Malformed Lambda proxy response: ${problem}`);
    response.gatewayError(502, 'InternalServerErrorException', 'Internal server error');
    return;
  }
  invocation.statusCode = result.statusCode;
  const payload = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
  response.answer(result.statusCode, responseHeaders(result), payload);
}

function peerAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

function traceId(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

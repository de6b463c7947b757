import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface EventInput {
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

/** The Lambda proxy (payload v1) event API Gateway REST builds for a request. */
export function buildEvent(input: EventInput): APIGatewayProxyEvent {
  const { url, body, stage } = input;
  const { headers, multiValueHeaders } = requestHeaders(input);
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  }
  const binary = isBinary(headerValue(headers, 'content-type') ?? '', input.binaryMediaTypes);
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
    requestContext: requestContext(input, stage, headers),
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: body.length > 0 && binary,
  };
}

/** The request's headers as sent (case and order), plus the X-Forwarded-* and trace headers API Gateway adds. */
function requestHeaders(input: EventInput) {
  const { req, sourceIp } = input;
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
  return { headers, multiValueHeaders };
}

function requestContext(
  input: EventInput,
  stage: string,
  headers: Record<string, string>,
): APIGatewayProxyEvent['requestContext'] {
  return {
    resourceId: 'local',
    resourcePath: input.resourcePath,
    httpMethod: 'POST',
    extendedRequestId: randomBytes(6).toString('base64url'),
    requestTime: formatRequestTime(input.requestTimeEpoch),
    path: `/${stage}${input.resourcePath}`,
    accountId: '000000000000',
    protocol: `HTTP/${input.req.httpVersion}`,
    stage,
    domainPrefix: 'local',
    requestTimeEpoch: input.requestTimeEpoch,
    requestId: input.requestId,
    identity: {
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      sourceIp: input.sourceIp,
      principalOrgId: null,
      accessKey: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent: headerValue(headers, 'user-agent') ?? null,
      user: null,
      apiKey: null,
      apiKeyId: null,
      clientCert: null,
    },
    domainName: headerValue(headers, 'host') ?? 'localhost',
    apiId: 'local',
    authorizer: null,
  };
}

function headerValue(headers: Record<string, string>, lowerCaseName: string): string | undefined {
  const name = findHeader(headers, lowerCaseName);
  return name === undefined ? undefined : headers[name];
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

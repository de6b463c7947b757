import type { APIGatewayProxyResult } from 'aws-lambda';

/** Why API Gateway would refuse this result as a Lambda proxy response, or undefined if it is fine. */
export function malformedResult(result: unknown): string | undefined {
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
export function responseHeaders(result: APIGatewayProxyResult): Record<string, string | string[]> {
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

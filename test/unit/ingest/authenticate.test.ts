import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { authenticate } from '../../../functions/ingest/authenticate.js';
import type { EndpointKeyVerifier } from '../../../functions/ingest/endpoint-keys.js';

const verifier: EndpointKeyVerifier = { verify: async (key) => key === 'secret-key' };

function request(headers: Record<string, string>, body = '[]'): APIGatewayProxyEvent {
  return { headers, multiValueHeaders: {}, body, isBase64Encoded: false } as unknown as APIGatewayProxyEvent;
}

function handlerBehindAuth(rejections: string[]) {
  const seenBodies: Array<string | null> = [];
  const handler = async (event: APIGatewayProxyEvent, _context: Context): Promise<APIGatewayProxyResult> => {
    const refusal = await authenticate(event, {
      headerName: 'X-Campaign-Webhook-Key',
      verifier,
      onRejected: (cause) => rejections.push(cause),
    });
    if (refusal) return refusal;
    seenBodies.push(event.body);
    return { statusCode: 200, body: 'ok' };
  };
  return { handler, seenBodies };
}

const context = {} as Context;

describe('authenticate', () => {
  it('lets a request with the right key through, matching the header name in any case', async () => {
    const rejections: string[] = [];
    const { handler, seenBodies } = handlerBehindAuth(rejections);
    const response = await handler(request({ 'x-campaign-webhook-key': 'secret-key' }), context);
    expect(response.statusCode).toBe(200);
    expect(seenBodies).toEqual(['[]']);
    expect(rejections).toEqual([]);
  });

  it('answers 401 "Unauthorized" and never runs the handler for a wrong or missing key', async () => {
    const rejections: string[] = [];
    const { handler, seenBodies } = handlerBehindAuth(rejections);
    const cases: Array<Record<string, string>> = [
      { 'X-Campaign-Webhook-Key': 'wrong' },
      {},
      { 'X-Campaign-Webhook-Key': '' },
    ];
    for (const headers of cases) {
      const response = await handler(request(headers, 'not even json'), context);
      expect(response).toEqual({
        statusCode: 401,
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
        body: '{"message":"Unauthorized"}',
      });
    }
    expect(seenBodies).toEqual([]);
    expect(rejections).toEqual(['wrong-key', 'missing-key', 'missing-key']);
  });

  it('reads multi-value headers when the single-value map lacks the header', async () => {
    const { handler } = handlerBehindAuth([]);
    const event = {
      headers: {},
      multiValueHeaders: { 'X-CAMPAIGN-WEBHOOK-KEY': ['secret-key'] },
      body: '[]',
    } as unknown as APIGatewayProxyEvent;
    expect((await handler(event, context)).statusCode).toBe(200);
  });
});

import type { APIGatewayProxyEvent, DynamoDBRecord } from 'aws-lambda';
import { CAMPAIGN_EVENT_TYPES } from '../functions/shared/campaign-event-types.js';
import { CampaignEventFactory } from '../local/campaign-simulator/event-factory.js';

/** What one benchmark invocation gets: the event, its size, and the text Lambda would parse for it. */
export interface BenchCase {
  readonly name: string;
  readonly events: number;
  readonly event: unknown;
  readonly parseText: string;
}

export const AUTH_HEADER = 'X-Campaign-Webhook-Key';
export const ENDPOINT_KEY = 'bench-endpoint-key-0123456789abcdefghijklmnopqrstuv';

/** A Campaign batch of `size` events of `types` (one type per webhook: a real batch holds one). */
export function campaignBody(size: number, types: readonly string[], seed: number): string {
  const factory = new CampaignEventFactory({ seed });
  return JSON.stringify(factory.batch(size, types as typeof CAMPAIGN_EVENT_TYPES));
}

/** The REST API proxy event API Gateway hands the ingest for a POST of `body` from Campaign. */
export function apiGatewayEvent(body: string): APIGatewayProxyEvent {
  const headers = {
    Host: 'abc123.execute-api.eu-central-1.amazonaws.com',
    'Content-Type': 'application/json',
    'User-Agent': 'Optimizely-Campaign-Webhooks',
    [AUTH_HEADER]: ENDPOINT_KEY,
    'X-Forwarded-For': '193.169.180.1',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    'X-Amzn-Trace-Id': 'Root=1-67000000-000000000000000000000000',
  };
  return {
    resource: '/events',
    path: '/events',
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourceId: 'a1b2c3',
      resourcePath: '/events',
      httpMethod: 'POST',
      path: '/prod/events',
      accountId: '123456789012',
      protocol: 'HTTP/1.1',
      stage: 'prod',
      requestTimeEpoch: Date.now(),
      requestId: '00000000-0000-0000-0000-000000000000',
      identity: { sourceIp: '193.169.180.1', userAgent: 'Optimizely-Campaign-Webhooks' },
      domainName: 'abc123.execute-api.eu-central-1.amazonaws.com',
      apiId: 'abc123',
    } as APIGatewayProxyEvent['requestContext'],
    body,
    isBase64Encoded: false,
  };
}

export function ingestCase(name: string, size: number, types: readonly string[], seed: number): BenchCase {
  const event = apiGatewayEvent(campaignBody(size, types, seed));
  return { name, events: size, event, parseText: event.body ?? '' };
}

export function fanOutCase(name: string, records: readonly DynamoDBRecord[]): BenchCase {
  const event = { Records: records };
  return { name, events: records.length, event, parseText: JSON.stringify(event) };
}

export const MIXED_TYPES = CAMPAIGN_EVENT_TYPES;

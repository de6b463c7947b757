import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type LocalServices,
  type Pipeline,
  startTestPipeline,
  startTestServices,
} from '../support/pipeline.js';
import { INTEG_BATCH, INTEG_RECIPIENT } from './campaign-events.integ-app.js';
import { CAMPAIGN_STAND_IN_ENV } from './campaign-stand-in/env.js';

/**
 * The deployed integration test's Campaign stand-in, run against the local pipeline (the stack, stood up
 * by the assembler) with the environment the integ app gives it: it must find the key in the
 * endpoint-key secret, get its batch accepted, and the bounce must come out of the bounce topic.
 */
let services: LocalServices;
let pipeline: Pipeline;

beforeAll(async () => {
  services = await startTestServices();
  pipeline = await startTestPipeline(services, { config: { campaign: { registerWebhooks: false } } });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await pipeline?.stop();
  await services?.stop();
});

describe('the Campaign stand-in of the integration test', () => {
  it('posts its batch with the secret’s current key; the bounce is published on the bounce topic', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', services.endpoints.secretsManager);
    vi.stubEnv(CAMPAIGN_STAND_IN_ENV.endpointUrl, pipeline.url);
    vi.stubEnv(CAMPAIGN_STAND_IN_ENV.endpointKeySecretId, pipeline.provisioned.endpointKeySecretArn);
    vi.stubEnv(CAMPAIGN_STAND_IN_ENV.authHeaderName, pipeline.authHeaderName);
    const { handler } = await import('./campaign-stand-in/handler.js');

    await expect(handler(INTEG_BATCH)).resolves.toBe(200);
    await pipeline.waitUntilIdle();
    const bounces = pipeline.published.get('bounce') ?? [];
    expect(bounces.map((message) => message.body.recipientId)).toEqual([INTEG_RECIPIENT]);
    // Stamped at sending, as Campaign stamps its events.
    expect(bounces[0]?.body.event).toMatchObject({ type: 'bounce', created: expect.any(String) });
  });

  it('fails the invocation with the endpoint’s answer when the key is not accepted', async () => {
    vi.stubEnv(CAMPAIGN_STAND_IN_ENV.authHeaderName, 'X-Not-The-Key-Header');
    const { handler } = await import('./campaign-stand-in/handler.js');
    await expect(handler(INTEG_BATCH)).rejects.toThrow(/^The endpoint answered 401: /);
  });
});

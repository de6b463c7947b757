import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAMPAIGN_EVENT_TYPES } from '../../../functions/shared/campaign-event-types.js';
import {
  handleLifecycleEvent,
  type LifecycleDependencies,
} from '../../../functions/webhook-reconciler/lifecycle.js';
import type { CampaignSimulator } from '../../../local/campaign-simulator/server.js';
import { providerFrameworkResponse } from '../../support/provider-framework.js';
import {
  CLIENT_ID,
  clientFor,
  type EventTarget,
  HEADER,
  recordingLogger,
  startSimulator,
  startTarget,
} from './support.js';

/** The custom resource's CloudFormation lifecycle (Create, Update, Delete) against the simulator. */

const KEY_1 = 'lifecycle-key-1111';
const KEY_2 = 'lifecycle-key-2222';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:EndpointKey-AbCdEf';
const STACK_ID = 'arn:aws:cloudformation:eu-central-1:123456789012:stack/CampaignEvents/5b1c2d3e';
const PHYSICAL_ID = `CampaignEvents/campaign-webhooks/client-${CLIENT_ID}`;

let simulator: CampaignSimulator;
let target: EventTarget;
let otherTarget: EventTarget;
let endpointKey: string;
let logger: ReturnType<typeof recordingLogger>;

beforeAll(async () => {
  target = await startTarget([KEY_1, KEY_2]);
  otherTarget = await startTarget([KEY_1], '/v2/events');
});
afterAll(async () => {
  await Promise.all([target.close(), otherTarget.close()]);
});
afterEach(async () => {
  target.forcedStatus = undefined;
  await simulator?.close();
});

async function setUp(): Promise<void> {
  simulator = await startSimulator();
  endpointKey = KEY_1;
  logger = recordingLogger();
}

const LOG_GROUP = 'CampaignEvents-WebhookRegistrationOnEventFunctionLogs1A2B3C4D-AbCdEfGhIjKl';

function deps(): LifecycleDependencies {
  return {
    logger,
    logGroupName: LOG_GROUP,
    endpointKey: async (arn) => {
      if (arn !== SECRET_ARN) throw new Error(`unexpected secret ${arn}`);
      return endpointKey;
    },
    campaignClient: async (props) => {
      if (props.credentialsSecretName !== 'campaign-events/campaign-api')
        throw new Error('wrong credentials secret');
      return clientFor(simulator, { baseUrl: props.apiBaseUrl });
    },
  };
}

/** Resource properties as CloudFormation delivers them: every scalar a string. */
function properties(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ServiceToken: 'arn:aws:lambda:eu-central-1:123456789012:function:provider',
    clientId: String(CLIENT_ID),
    eventTypes: ['sent', 'bounce'],
    targetUrl: target.url,
    authHeaderName: HEADER,
    endpointKeySecretArn: SECRET_ARN,
    credentialsSecretName: 'campaign-events/campaign-api',
    apiBaseUrl: simulator.baseUrl,
    endpointKeyRotation: '0',
    ...overrides,
  };
}

const common = {
  ServiceToken: 'arn:aws:lambda:eu-central-1:123456789012:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response.invalid/',
  StackId: STACK_ID,
  RequestId: 'request-1',
  LogicalResourceId: 'CampaignWebhooksClient100001',
  ResourceType: 'Custom::CampaignWebhooks',
};

function createEvent(props = properties()): CloudFormationCustomResourceEvent {
  return { ...common, RequestType: 'Create', ResourceProperties: props } as CloudFormationCustomResourceEvent;
}

function updateEvent(
  props: Record<string, unknown>,
  old: Record<string, unknown>,
): CloudFormationCustomResourceEvent {
  return {
    ...common,
    RequestType: 'Update',
    PhysicalResourceId: PHYSICAL_ID,
    ResourceProperties: props,
    OldResourceProperties: old,
  } as CloudFormationCustomResourceEvent;
}

function deleteEvent(props: Record<string, unknown>): CloudFormationCustomResourceEvent {
  return {
    ...common,
    RequestType: 'Delete',
    PhysicalResourceId: PHYSICAL_ID,
    ResourceProperties: props,
  } as CloudFormationCustomResourceEvent;
}

function liveWebhooks(clientId = CLIENT_ID) {
  return simulator.store.all(clientId).filter((webhook) => webhook.status !== 'deleted');
}

describe('Create', () => {
  it('registers the webhooks and returns their ids per type, with a stable physical id', async () => {
    await setUp();
    const response = await handleLifecycleEvent(createEvent(), deps());
    const [sent, bounce] = liveWebhooks();
    expect(response).toEqual({
      PhysicalResourceId: PHYSICAL_ID,
      Data: {
        ClientId: String(CLIENT_ID),
        WebhookIds: `sent=${sent?.id},bounce=${bounce?.id}`,
        Verification: 'skipped: no verifyMailingId configured',
        Changes: `create and activate the sent webhook: webhook ${sent?.id}; create and activate the bounce webhook: webhook ${bounce?.id}`,
      },
    });
    expect(liveWebhooks().every((webhook) => webhook.status === 'activated')).toBe(true);
  });

  it('removes what it registered when it fails (the framework skips the Delete after a failed Create)', async () => {
    await setUp();
    target.forcedStatus = 401;
    const failure = await handleLifecycleEvent(
      createEvent(properties({ verifyMailingId: '900001' })),
      deps(),
    ).catch((error: unknown) => error as Error);

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/Webhook verification .* failed for 2 of 2 webhooks/);
    expect((failure as Error).message).toMatch(
      /\nRemoved 2 Campaign webhooks of client 100001 after the failed create\.\nFull details: log group /,
    );
    expect(liveWebhooks()).toEqual([]);
  });

  it('tells CloudFormation why it failed within its response limit when every type fails, and logs each', async () => {
    await setUp();
    // A Campaign outage for writes across all 12 types: every create fails after its retries.
    simulator.faults.failNext(10_000, { status: 503, operations: ['createWebhook'] });
    const failure = (await handleLifecycleEvent(
      createEvent(properties({ eventTypes: [...CAMPAIGN_EVENT_TYPES] })),
      deps(),
    ).catch((error: unknown) => error)) as Error;

    const lines = failure.message.split('\n');
    expect(lines[0]).toBe('Campaign webhook changes for client 100001 failed (12 of 12 actions):');
    expect(lines.slice(1, 4)).toEqual([
      expect.stringMatching(
        /^ {2}- create and activate the \w+ webhook: Campaign API createWebhook .* HTTP 503/,
      ),
      expect.stringMatching(/^ {2}- create and activate the \w+ webhook: /),
      expect.stringMatching(/^ {2}- create and activate the \w+ webhook: /),
    ]);
    expect(lines[4]).toBe('  ... and 9 more (each logged as "Campaign webhook action failed")');
    expect(lines.at(-2)).toBe('Removed 0 Campaign webhooks of client 100001 after the failed create.');
    expect(lines.at(-1)).toBe(
      `Full details: log group ${LOG_GROUP} (ERROR "Custom resource request failed").`,
    );
    expect(Buffer.byteLength(await providerFrameworkResponse(failure), 'utf8')).toBeLessThanOrEqual(4096);

    const logged = logger.lines.filter((line) => line.level === 'error');
    expect(logged.filter((line) => line.message === 'Campaign webhook action failed')).toHaveLength(12);
    const request = logged.find((line) => line.message === 'Custom resource request failed');
    expect(request?.details).toMatchObject({
      requestType: 'Create',
      error: expect.stringContaining('9 more'),
    });
    expect(request?.details?.failedActions).toHaveLength(12);
    expect(liveWebhooks()).toEqual([]);
  });
});

describe('Update', () => {
  it('makes no Campaign write when only the verification mailing changes, and verifies', async () => {
    await setUp();
    await handleLifecycleEvent(createEvent(), deps());
    simulator.clearRecords();
    const response = await handleLifecycleEvent(
      updateEvent(properties({ verifyMailingId: '900001' }), properties()),
      deps(),
    );
    expect(simulator.writeRequests()).toEqual([]);
    expect(response.PhysicalResourceId).toBe(PHYSICAL_ID);
    expect(response.Data?.Verification).toBe('verified 2 webhooks with mailing 900001');
    expect(response.Data?.Changes).toBe('none');
  });

  it('verifies on an update only the webhooks it created or changed, none when nothing changed', async () => {
    await setUp();
    const verifying = { verifyMailingId: '900001' };
    const created = await handleLifecycleEvent(createEvent(properties(verifying)), deps());
    expect(created.Data?.Verification).toBe('verified 2 webhooks with mailing 900001');
    const verified = () =>
      simulator.requests.filter((request) => request.operation === 'verifyWebhook').map((r) => r.webhookId);

    simulator.clearRecords();
    const unchanged = await handleLifecycleEvent(
      updateEvent(properties(verifying), properties(verifying)),
      deps(),
    );
    expect(verified()).toEqual([]);
    expect(unchanged.Data?.Verification).toBe('skipped: no webhook created or changed');

    simulator.clearRecords();
    const widened = { ...verifying, eventTypes: ['sent', 'bounce', 'click'] };
    const added = await handleLifecycleEvent(updateEvent(properties(widened), properties(verifying)), deps());
    const clickId = Number(added.Data?.WebhookIds?.split(',')[2]?.split('=')[1]);
    expect(verified()).toEqual([clickId]);
    expect(added.Data?.Verification).toBe(
      'verified 1 webhooks with mailing 900001 (2 unchanged, not verified again)',
    );

    endpointKey = KEY_2;
    simulator.clearRecords();
    const rotated = { ...widened, endpointKeyRotation: '1' };
    await handleLifecycleEvent(updateEvent(properties(rotated), properties(widened)), deps());
    expect(verified()).toHaveLength(3);
  });

  it('pushes the current key to every webhook when endpointKeyRotation changes', async () => {
    await setUp();
    await handleLifecycleEvent(createEvent(), deps());
    endpointKey = KEY_2;
    simulator.clearRecords();
    await handleLifecycleEvent(updateEvent(properties({ endpointKeyRotation: '1' }), properties()), deps());

    expect(simulator.writeRequests().map((request) => request.operation)).toEqual([
      'updateWebhook',
      'updateWebhook',
    ]);
    await simulator.deliverBatch(CLIENT_ID, 2);
    expect(target.received.at(-1)?.headers[HEADER.toLowerCase()]).toBe(KEY_2);
  });

  it('moves the webhooks to a new endpoint URL and applies type changes in one update', async () => {
    await setUp();
    const created = await handleLifecycleEvent(createEvent(), deps());
    const response = await handleLifecycleEvent(
      updateEvent(properties({ targetUrl: otherTarget.url, eventTypes: ['sent', 'click'] }), properties()),
      deps(),
    );
    const sentBefore = created.Data?.WebhookIds?.split(',')[0];
    expect(response.Data?.WebhookIds?.split(',')[0]).toBe(sentBefore);
    expect(liveWebhooks().map((webhook) => [webhook.type, webhook.targetUrl, webhook.status])).toEqual([
      ['sent', otherTarget.url, 'activated'],
      ['click', otherTarget.url, 'activated'],
    ]);
  });

  it('treats a different client as a new resource: new physical id, the old client left to its Delete', async () => {
    await setUp();
    await handleLifecycleEvent(createEvent(), deps());
    const response = await handleLifecycleEvent(
      updateEvent(properties({ clientId: '200002' }), properties()),
      deps(),
    );
    expect(response.PhysicalResourceId).toBe('CampaignEvents/campaign-webhooks/client-200002');
    expect(liveWebhooks(200002)).toHaveLength(2);
    expect(liveWebhooks(CLIENT_ID)).toHaveLength(2);

    // CloudFormation then deletes the old physical resource with its old properties.
    await handleLifecycleEvent(deleteEvent(properties()), deps());
    expect(liveWebhooks(CLIENT_ID)).toEqual([]);
    expect(liveWebhooks(200002)).toHaveLength(2);
  });

  it("fails the update with Campaign's error so CloudFormation rolls back", async () => {
    await setUp();
    await handleLifecycleEvent(createEvent(), deps());
    simulator.faults.failNext(100, { status: 503, operations: ['createWebhook'] });
    await expect(
      handleLifecycleEvent(
        updateEvent(properties({ eventTypes: ['sent', 'bounce', 'open'] }), properties()),
        deps(),
      ),
    ).rejects.toThrow(
      /create and activate the open webhook: Campaign API createWebhook \(client 100001\) failed with HTTP 503/,
    );
    expect(liveWebhooks()).toHaveLength(2);
  });
});

describe('Delete', () => {
  it('deactivates and deletes every webhook of the resource and keeps the physical id', async () => {
    await setUp();
    await handleLifecycleEvent(createEvent(), deps());
    simulator.clearRecords();
    const response = await handleLifecycleEvent(deleteEvent(properties()), deps());
    expect(response).toEqual({ PhysicalResourceId: PHYSICAL_ID });
    expect(liveWebhooks()).toEqual([]);
    expect(
      simulator
        .writeRequests()
        .map((request) => request.operation)
        .sort(),
    ).toEqual(['deactivateWebhook', 'deactivateWebhook', 'deleteWebhook', 'deleteWebhook']);
  });

  it('completes although Campaign is down, and tells the operator what to clean up', async () => {
    await setUp();
    await handleLifecycleEvent(createEvent(), deps());
    await simulator.goDown('refuse');

    await expect(handleLifecycleEvent(deleteEvent(properties()), deps())).resolves.toEqual({
      PhysicalResourceId: PHYSICAL_ID,
    });
    const errors = logger.lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(
      /^Could not remove the Campaign webhooks of client 100001 after the stack delete: /,
    );
    expect(errors[0]?.message).toContain('ECONNREFUSED');
    expect(errors[0]?.message).toContain(
      `Campaign may still hold every webhook of types sent, bounce that targets ${target.url}.`,
    );
    expect(errors[0]?.message).toContain(
      `npm run webhooks -- remove --client 100001 --target-url ${target.url}`,
    );
    expect(errors[0]?.details).toMatchObject({ manualCleanupRequired: true });

    await simulator.comeBack();
    expect(liveWebhooks()).toHaveLength(2);
  });

  it('names the webhook ids left when only some could be removed', async () => {
    await setUp();
    await handleLifecycleEvent(createEvent(), deps());
    const [sent, bounce] = liveWebhooks();
    simulator.faults.failNext(100, { status: 500, operations: ['deleteWebhook'] });
    await handleLifecycleEvent(deleteEvent(properties()), deps());
    const error = logger.lines.find(
      (line) => line.level === 'error' && line.message.startsWith('Could not remove'),
    );
    expect(error?.message).toMatch(
      new RegExp(`Left in Campaign: webhooks (${sent?.id}, ${bounce?.id}|${bounce?.id}, ${sent?.id})\\.`),
    );
  });

  it('completes when its properties cannot be read', async () => {
    await setUp();
    await expect(handleLifecycleEvent(deleteEvent({ clientId: 'garbage' }), deps())).resolves.toEqual({
      PhysicalResourceId: PHYSICAL_ID,
    });
    expect(
      logger.lines.some(
        (line) => line.level === 'error' && /Unreadable custom resource properties/.test(line.message),
      ),
    ).toBe(true);
  });
});

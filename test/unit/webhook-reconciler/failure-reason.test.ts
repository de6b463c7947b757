import { describe, expect, it } from 'vitest';
import type { CampaignApiClient } from '../../../functions/shared/campaign-api/client.js';
import { CAMPAIGN_EVENT_TYPES } from '../../../functions/shared/campaign-event-types.js';
import {
  capMessage,
  FAILURES_SHOWN,
  failureForCloudFormation,
  MAX_REASON_BYTES,
  summarizeFailures,
  truncateUtf8,
} from '../../../functions/webhook-reconciler/failure-reason.js';
import { VerificationError, verifyWebhooks } from '../../../functions/webhook-reconciler/verify.js';
import { providerFrameworkResponse } from '../../support/provider-framework.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const LOG_GROUP = 'CampaignEvents-WebhookRegistrationOnEventFunctionLogs1A2B3C4D-AbCdEfGhIjKl';

describe('summarizeFailures', () => {
  it('shows the first few failures in full and counts the rest', () => {
    const lines = Array.from({ length: 12 }, (_, index) => `  - action ${index}: HTTP 503`);
    expect(summarizeFailures(lines, 'each logged')).toEqual([
      '  - action 0: HTTP 503',
      '  - action 1: HTTP 503',
      '  - action 2: HTTP 503',
      '  ... and 9 more (each logged)',
    ]);
    expect(summarizeFailures(lines.slice(0, FAILURES_SHOWN), 'each logged')).toEqual(lines.slice(0, 3));
  });

  it('shortens a single very long failure', () => {
    const [line] = summarizeFailures([`  - action: ${'x'.repeat(1000)}`], 'logged');
    expect(line).toHaveLength(400);
    expect(line?.endsWith('...')).toBe(true);
  });
});

describe('failureForCloudFormation', () => {
  it('keeps a short message as it is, names the log group, and carries a one-line stack', () => {
    const failure = failureForCloudFormation(new TypeError('Campaign said no'), LOG_GROUP);
    expect(failure.message).toBe(
      `Campaign said no\nFull details: log group ${LOG_GROUP} (ERROR "Custom resource request failed").`,
    );
    expect(failure.name).toBe('TypeError');
    expect(failure.stack?.split('\n')).toHaveLength(1);
  });

  it('cuts a long message to the byte budget, keeping its head and its last line', () => {
    const head = 'Campaign webhook changes for client 100001 failed (12 of 12 actions):';
    const middle = Array.from({ length: 40 }, (_, index) => `  - ü-action ${index}: ${'é'.repeat(80)}`);
    const last = 'Removed 0 Campaign webhooks of client 100001 after the failed create.';
    const failure = failureForCloudFormation(new Error([head, ...middle, last].join('\n')), LOG_GROUP);
    expect(bytes(failure.message)).toBeLessThanOrEqual(MAX_REASON_BYTES);
    const lines = failure.message.split('\n');
    expect(lines[0]).toBe(head);
    expect(lines.at(-2)).toBe(last);
    expect(lines.at(-1)).toBe(
      `Full details: log group ${LOG_GROUP} (ERROR "Custom resource request failed").`,
    );
    expect(failure.message).toContain(' ...(cut)');
    expect(failure.message).not.toContain('\uFFFD');
  });

  it('fits what the Provider framework sends within CloudFormation’s 4,096 bytes, however long the error', async () => {
    const huge = new Error(
      Array.from({ length: 200 }, (_, index) => `line ${index} ${'z'.repeat(60)}`).join('\n'),
    );
    const failure = failureForCloudFormation(huge, LOG_GROUP);
    const response = await providerFrameworkResponse(failure);
    expect(bytes(response)).toBeLessThanOrEqual(4096);
    const { Status, Reason } = JSON.parse(response) as { Status: string; Reason: string };
    expect(Status).toBe('FAILED');
    expect(Reason.startsWith(failure.message)).toBe(true);
    // Without the cap the same error would not fit: the operator would only see "Response object is too long".
    expect(bytes(await providerFrameworkResponse(huge))).toBeGreaterThan(4096);
  });
});

describe('capMessage and truncateUtf8', () => {
  it('never splits a character and marks the cut', () => {
    expect(truncateUtf8('😀😀😀😀', 13)).toBe('😀 ...(cut)');
    expect(truncateUtf8('short', 100)).toBe('short');
    expect(capMessage('one line only, but long', 12)).toBe('one ...(cut)');
  });
});

describe('a verification failing for every type', () => {
  it('lists the first few webhooks in full and counts the others', async () => {
    const client = {
      async verifyWebhook() {
        return [
          {
            httpStatusCode: 401,
            targetUrl: 'https://abc.execute-api.eu-central-1.amazonaws.com/prod/events',
            responseBody: `{"message":"${'Unauthorized '.repeat(40)}"}`,
          },
        ];
      },
    } as unknown as CampaignApiClient;
    const ids = new Map(CAMPAIGN_EVENT_TYPES.map((type, index) => [type, 500 + index] as const));
    const error = (await verifyWebhooks(client, 100001, ids, 900001).catch(
      (caught: unknown) => caught,
    )) as Error;

    expect(error).toBeInstanceOf(VerificationError);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(
      'Webhook verification for Campaign client 100001 with mailing 900001 failed for 12 of 12 webhooks:',
    );
    expect(lines.slice(1, 4)).toEqual([
      expect.stringMatching(/^ {2}- sent \(webhook 500\): the target https:\/\/abc\S+ answered HTTP 401: /),
      expect.stringMatching(/^ {2}- \w+ \(webhook 501\): /),
      expect.stringMatching(/^ {2}- \w+ \(webhook 502\): /),
    ]);
    expect(lines[4]).toBe('  ... and 9 more (every failure is logged)');
    expect(lines[5]).toMatch(/^The endpoint did not accept Campaign's test events/);
    expect((error as VerificationError).results).toHaveLength(12);
    expect(bytes(error.message)).toBeLessThan(MAX_REASON_BYTES);
  });
});

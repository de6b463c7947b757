import { describe, expect, it } from 'vitest';
import { CampaignEventsStack } from '../../infra/campaign-events-stack.js';
import { parseConfig } from '../../infra/config.js';
import { nagFindings } from '../support/nag.js';
import { EXAMPLE_CONFIG } from '../support/synth.js';

const env = { account: '123456789012', region: 'eu-central-1' };

describe('cdk-nag (AwsSolutions and Serverless packs)', () => {
  it('reports no unacknowledged finding for the example configuration', () => {
    const findings = nagFindings(
      (app) => new CampaignEventsStack(app, 'NagStack', { config: parseConfig(EXAMPLE_CONFIG), env }),
    );
    expect(findings).toEqual([]);
  });

  it('reports no unacknowledged finding with every optional feature turned off', () => {
    const config = parseConfig({
      campaign: { clientIds: [100001], registerWebhooks: false },
      api: { allowAnySourceIp: true, manageAccountLoggingRole: false },
      retainData: false,
    });
    expect(nagFindings((app) => new CampaignEventsStack(app, 'NagStack', { config, env }))).toEqual([]);
  });

  it('fails when a finding is not acknowledged (the check itself works)', async () => {
    const { Stack } = await import('aws-cdk-lib');
    const sqs = await import('aws-cdk-lib/aws-sqs');
    const findings = nagFindings((app) => {
      const stack = new Stack(app, 'Bare', { env });
      new sqs.Queue(stack, 'UnencryptedQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
      return stack;
    });
    expect(findings.some((finding) => finding.startsWith('AwsSolutions-SQS'))).toBe(true);
  });
});

import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { CAMPAIGN_EVENT_TYPES } from '../../../../functions/shared/campaign-event-types.js';
import {
  formatResourceProperties,
  parseResourceProperties,
  type WebhookResourceProperties,
} from '../../../../functions/shared/contracts/webhook-resource.js';

const properties: fc.Arbitrary<WebhookResourceProperties> = fc.record({
  clientId: fc.integer({ min: 1, max: 2 ** 31 }),
  eventTypes: fc.uniqueArray(fc.constantFrom(...CAMPAIGN_EVENT_TYPES), { minLength: 1 }),
  targetUrl: fc.webUrl({ validSchemes: ['https'] }),
  authHeaderName: fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/),
  endpointKeySecretArn: fc.stringMatching(/^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:[a-z-]{1,20}$/),
  credentialsSecretName: fc.stringMatching(/^[a-z/-]{1,40}$/),
  apiBaseUrl: fc.webUrl({ validSchemes: ['https'] }),
  verifyMailingId: fc.option(fc.integer({ min: 1, max: 2 ** 31 }), { nil: undefined }),
  endpointKeyRotation: fc.nat(),
});

describe('the webhooks custom resource', () => {
  test.prop([properties])(
    'reads back, through CloudFormation strings, the properties infra wrote',
    (props) => {
      // CloudFormation hands every property over as JSON; the ServiceToken comes with them.
      const received = JSON.parse(
        JSON.stringify({ ServiceToken: 'arn:x', ...formatResourceProperties(props) }),
      );
      expect(parseResourceProperties(received)).toEqual(props);
    },
  );
});

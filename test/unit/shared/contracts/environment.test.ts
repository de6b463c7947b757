import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_EVENT_TYPES } from '../../../../functions/shared/campaign-event-types.js';
import { EnvironmentError, readEnvironment } from '../../../../functions/shared/contracts/env.js';
import { ENV, INGEST_ENV } from '../../../../functions/shared/contracts/environment.js';

const ingestEnvironment = {
  TABLE_NAME: 'events',
  ENDPOINT_KEY_SECRET_ID: 'arn:aws:secretsmanager:eu-central-1:1:secret:key',
  AUTH_HEADER_NAME: 'X-Campaign-Webhook-Key',
  MAX_BODY_BYTES: '5000000',
  MAX_EVENTS_PER_BATCH: '10000',
  RETENTION_DAYS: '30',
  EVENT_TYPES: 'open, click',
  REQUIRED_FIELDS: '{"sent":["mailingId"]}',
  VERIFY_MAILING_ID: 'none',
  PUBLISH_VERIFICATION_EVENTS: 'false',
  LARGE_EVENT_BUCKET: 'large-events',
};

describe('readEnvironment', () => {
  it("reads the ingest function's settings", () => {
    expect(readEnvironment(INGEST_ENV, ingestEnvironment)).toEqual({
      tableName: 'events',
      endpointKeySecretId: ingestEnvironment.ENDPOINT_KEY_SECRET_ID,
      authHeaderName: 'X-Campaign-Webhook-Key',
      maxBodyBytes: 5_000_000,
      maxEventsPerBatch: 10_000,
      retentionDays: 30,
      eventTypes: ['open', 'click'],
      requiredFields: { sent: ['mailingId'] },
      verifyMailingId: undefined,
      publishVerificationEvents: false,
      largeEventBucket: 'large-events',
    });
    expect(
      readEnvironment(INGEST_ENV, { ...ingestEnvironment, VERIFY_MAILING_ID: '900001' }).verifyMailingId,
    ).toBe(900001);
  });

  it('has no defaults: every variable of the spec is required (defaults live in infra/config.ts)', () => {
    const { MAX_BODY_BYTES: _, ...withoutMaxBody } = ingestEnvironment;
    expect(() => readEnvironment(INGEST_ENV, withoutMaxBody)).toThrow(
      'Missing required environment variable MAX_BODY_BYTES',
    );
    expect(() => readEnvironment(INGEST_ENV, { ...ingestEnvironment, TABLE_NAME: '' })).toThrow(
      'Missing required environment variable TABLE_NAME',
    );
  });

  it('names every missing or malformed variable at once', () => {
    const read = () =>
      readEnvironment(INGEST_ENV, {
        ...ingestEnvironment,
        TABLE_NAME: undefined,
        RETENTION_DAYS: '0',
        MAX_BODY_BYTES: '1.5',
        EVENT_TYPES: 'open,archived',
      });
    expect(read).toThrow(EnvironmentError);
    expect(read).toThrow(
      [
        'Missing required environment variable TABLE_NAME',
        'Environment variable MAX_BODY_BYTES: must be a positive integer, got "1.5"',
        'Environment variable RETENTION_DAYS: must be a positive integer, got "0"',
        'Environment variable EVENT_TYPES: must list Campaign registration type names, comma-separated; ' +
          'not recognized: archived',
      ].join('; '),
    );
  });
});

describe('what infra writes is what the function reads', () => {
  const eventTypes = fc.uniqueArray(fc.constantFrom(...CAMPAIGN_EVENT_TYPES), { minLength: 1 });
  const arn = fc.stringMatching(/^arn:aws:sns:[a-z0-9-]{1,20}:\d{12}:[A-Za-z0-9_-]{1,40}$/);

  test.prop([fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })])('positive integers', (value) => {
    for (const variable of [ENV.maxBodyBytes, ENV.maxEventsPerBatch, ENV.retentionDays]) {
      expect(variable.parse(variable.format(value))).toBe(value);
    }
  });

  test.prop([eventTypes])('event type lists', (types) => {
    expect(ENV.eventTypes.parse(ENV.eventTypes.format(types))).toEqual(types);
  });

  test.prop([fc.dictionary(fc.constantFrom(...CAMPAIGN_EVENT_TYPES), arn)])('topic ARN maps', (record) => {
    const topics = new Map(Object.entries(record)) as Map<(typeof CAMPAIGN_EVENT_TYPES)[number], string>;
    expect(ENV.topicArns.parse(ENV.topicArns.format(topics))).toEqual(topics);
  });

  test.prop([fc.string({ minLength: 1 })])('text values unchanged', (value) => {
    for (const variable of [ENV.tableName, ENV.alertsTopicArn, ENV.slackWebhookSecretName]) {
      expect(variable.parse(variable.format(value))).toBe(value);
    }
  });
});

describe('parsers name what is wrong', () => {
  it('positive integers', () => {
    for (const raw of ['0', '-3', '1.5', '1e3', 'ten', '9007199254740993']) {
      expect(() => ENV.retentionDays.parse(raw)).toThrow(`must be a positive integer, got "${raw}"`);
    }
  });

  it('event type lists', () => {
    expect(() => ENV.eventTypes.parse('open,archived,teleport')).toThrow(
      /not recognized: archived, teleport/,
    );
    expect(() => ENV.eventTypes.parse(' , ')).toThrow(/empty list/);
  });

  it('topic ARN maps', () => {
    expect(() => ENV.topicArns.parse('nope')).toThrow(
      'must be a JSON object of event type -> topic ARN; it is not JSON',
    );
    expect(() => ENV.topicArns.parse('[]')).toThrow('must be a JSON object of event type -> topic ARN');
    expect(() => ENV.topicArns.parse('{"archived":"arn:x"}')).toThrow(
      '"archived" is not a Campaign event type',
    );
    expect(() => ENV.topicArns.parse('{"open":"topic"}')).toThrow(
      'the topic of "open" must be an ARN string',
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  formatAlarmDescription,
  formatAlarmName,
  MAX_ALARM_DESCRIPTION_LENGTH,
  parseAlarmDescription,
  parseAlarmName,
} from '../../../functions/shared/alerts/alarm-identity.js';
import { severitiesAtLeast } from '../../../functions/shared/alerts/severity.js';

describe('alarm names', () => {
  it('carry prefix, severity and slug, and read back', () => {
    const name = formatAlarmName({ prefix: 'CampaignEvents', severity: 'critical', slug: 'ingest-5xx-rate' });
    expect(name).toBe('CampaignEvents-critical-ingest-5xx-rate');
    expect(parseAlarmName(name)).toEqual({
      prefix: 'CampaignEvents',
      severity: 'critical',
      slug: 'ingest-5xx-rate',
    });
  });

  it('read back when the prefix itself has dashes', () => {
    expect(parseAlarmName('campaign-events-prod-warning-lambda-errors-fan-out')).toEqual({
      prefix: 'campaign-events-prod',
      severity: 'warning',
      slug: 'lambda-errors-fan-out',
    });
  });

  it('do not match names made elsewhere', () => {
    expect(parseAlarmName('HighCPU')).toBeUndefined();
    expect(parseAlarmName('CampaignEvents-urgent-ingest')).toBeUndefined();
  });

  it('reject slugs that are not kebab-case and names CloudWatch would refuse', () => {
    expect(() => formatAlarmName({ prefix: 'P', severity: 'info', slug: 'Ingest 5xx' })).toThrow(
      /kebab-case/,
    );
    expect(() => formatAlarmName({ prefix: 'P'.repeat(250), severity: 'info', slug: 'slug' })).toThrow(/255/);
  });
});

describe('alarm descriptions', () => {
  const explanation = {
    title: 'Ingest API 5XX rate above 1%',
    meaning: 'Webhook deliveries fail with server errors.',
    firstAction: 'Open the ingest logs.',
  };

  it('hold title, meaning and first action on labelled lines, and read back', () => {
    const text = formatAlarmDescription(explanation);
    expect(text).toBe(
      'Ingest API 5XX rate above 1%\nMeaning: Webhook deliveries fail with server errors.\nFirst action: Open the ingest logs.',
    );
    expect(parseAlarmDescription(text)).toEqual(explanation);
  });

  it('read a hand-written description as its meaning', () => {
    expect(parseAlarmDescription('CPU is high, page someone')).toEqual({
      meaning: 'CPU is high, page someone',
    });
    expect(parseAlarmDescription(null)).toEqual({});
  });

  it('reject multi-line or empty fields and texts longer than CloudWatch allows', () => {
    expect(() => formatAlarmDescription({ ...explanation, meaning: 'two\nlines' })).toThrow(
      /one non-empty line/,
    );
    expect(() => formatAlarmDescription({ ...explanation, firstAction: ' ' })).toThrow(/firstAction/);
    expect(() =>
      formatAlarmDescription({ ...explanation, meaning: 'x'.repeat(MAX_ALARM_DESCRIPTION_LENGTH) }),
    ).toThrow(/1024/);
  });
});

describe('severities', () => {
  it('list the severities at or above a minimum, for the email filter policy', () => {
    expect(severitiesAtLeast('info')).toEqual(['info', 'warning', 'critical']);
    expect(severitiesAtLeast('warning')).toEqual(['warning', 'critical']);
    expect(severitiesAtLeast('critical')).toEqual(['critical']);
  });
});

import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CampaignEventsStack } from '../../infra/campaign-events-stack.js';
import { type Config, parseConfig } from '../../infra/config.js';
import { loadLocalConfig } from '../../local/run/local-config.js';
import { testApp } from '../support/app.js';

/** The alarm counts the docs state, against the templates they describe. */

function alarmCount(config: Config): number {
  const stack = new CampaignEventsStack(testApp(), 'AlarmCount', {
    config,
    env: { account: '123456789012', region: 'eu-central-1' },
  });
  return Object.keys(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).length;
}

const withoutArchive = (config: Config): Config => ({
  ...config,
  archive: { ...config.archive, enabled: false },
});
const doc = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const numbers = (text: string, pattern: RegExp) =>
  [...text.matchAll(pattern)].map((match) => Number(match[1]));

describe('the alarm counts in the docs', () => {
  const local = loadLocalConfig().config;
  const full = parseConfig(JSON.parse(doc('examples/full-config.json')));

  it("docs/LOCAL-RUN.md: the local run's (cdk.json with the local adjustments, archive on)", () => {
    const text = doc('docs/LOCAL-RUN.md');
    const stated = [
      ...numbers(text, /the stack's (\d+) alarms/g),
      ...numbers(text, /\((\d+) with this repository's `cdk\.json`/g),
    ];
    expect(stated.length).toBeGreaterThanOrEqual(2);
    expect(new Set(stated)).toEqual(new Set([alarmCount(local)]));
  });

  it('README: the local run with and without the archive, and the cost table with every feature on', () => {
    const text = doc('README.md');
    expect(numbers(text, /all (\d+) alarms from its template/g)).toEqual([alarmCount(local)]);
    expect(numbers(text, /from its template \((\d+) without the archive\)/g)).toEqual([
      alarmCount(withoutArchive(local)),
    ]);
    expect(numbers(text, /alarms \((\d+) with every feature on/g)).toEqual([alarmCount(full)]);
    expect(numbers(text, /with every feature on, (\d+) without the archive/g)).toEqual([
      alarmCount(withoutArchive(full)),
    ]);
  });
});

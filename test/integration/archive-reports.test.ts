import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toMessage } from '../../functions/fan-out/message.js';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import { parseConfig } from '../../infra/config.js';
import { ArchiveFirehose, archiveStreamModel } from '../../local/pipeline/archive-firehose.js';
import type { MetricDatum } from '../../local/pipeline/metric-store.js';
import { buildStackModel } from '../../local/pipeline/stack-model.js';
import { runReport } from '../../scripts/report/duckdb-engine.js';
import { runReportCli } from '../../scripts/report.js';

/**
 * The reports on DuckDB over an archive written by the local Firehose stand-in (with the stack's stream
 * settings) from messages as the fan-out publishes them, for a scenario whose numbers are worked out by
 * hand below.
 */

let seq = 0;
function message(
  type: CampaignEventType,
  receivedAt: string,
  fields: { mailingId?: number; recipientId?: string; event?: Record<string, unknown> },
): string {
  seq++;
  const event = {
    type,
    clientId: 100001,
    ...(fields.mailingId === undefined ? {} : { mailingId: fields.mailingId }),
    ...(fields.recipientId === undefined ? {} : { recipientId: fields.recipientId }),
    mediaTypesToAddresses: { EMAIL: `${fields.recipientId ?? 'x'}@example.com` },
    ...fields.event,
  };
  return toMessage({
    eventKey: `${type}#${String(seq).padStart(64, '0')}`,
    eventType: type,
    clientId: 100001,
    ...(fields.mailingId === undefined ? {} : { mailingId: fields.mailingId }),
    ...(fields.recipientId === undefined ? {} : { recipientId: fields.recipientId }),
    receivedAt,
    event,
  }).body;
}

const M1 = 900100;
const M2 = 900200;
const at = (time: string) => `2026-12-01T${time}.000Z`;
const secondsBefore = (iso: string, seconds: number) =>
  new Date(Date.parse(iso) - seconds * 1000).toISOString();

/** Mailing 1 on 2026-12-01, mailing 2 on 2026-12-02, and mailing 1 sends on 2026-11-30 (outside the window). */
function scenario(): string[] {
  const messages: string[] = [];
  const sentTimes = [
    '10:00:05',
    '10:00:40',
    '10:01:10',
    ...Array.from({ length: 7 }, (_, i) => `10:05:${10 + i}`),
  ];
  sentTimes.forEach((time, index) => {
    const receivedAt = at(time);
    // Event times: 10 s and 20 s before arrival in minute 10:00; none on the 3rd; an epoch number on the 4th.
    const created =
      index === 0 ? secondsBefore(receivedAt, 10) : index === 1 ? secondsBefore(receivedAt, 20) : undefined;
    const event = created ? { created } : index === 3 ? { created: 1796119200 } : {};
    messages.push(message('sent', receivedAt, { mailingId: M1, recipientId: `r${index + 1}`, event }));
  });
  messages.push(
    message('bounce', at('10:06:00'), {
      mailingId: M1,
      recipientId: 'r9',
      event: { bounceCategory: 'hardbounce' },
    }),
  );
  messages.push(
    message('bounce', at('10:06:01'), {
      mailingId: M1,
      recipientId: 'r10',
      event: { bounceType: 'Soft_Bounce' },
    }),
  );
  for (const [recipient, time] of [
    ['r1', '11:00:00'],
    ['r1', '12:00:00'],
    ['r2', '11:00:00'],
    ['r3', '11:30:00'],
  ]) {
    messages.push(message('open', at(time as string), { mailingId: M1, recipientId: recipient as string }));
  }
  messages.push(
    message('open', at('13:00:00'), {
      mailingId: M1,
      recipientId: 'r1',
      event: { mediaTypesToAddresses: { SMS: '+4915100000' } },
    }),
  );
  for (const [recipient, time] of [
    ['r1', '11:01:00'],
    ['r1', '12:01:00'],
    ['r2', '11:01:00'],
  ]) {
    messages.push(message('click', at(time as string), { mailingId: M1, recipientId: recipient as string }));
  }
  messages.push(message('unsubscribe', at('14:00:00'), { mailingId: M1, recipientId: 'r3' }));
  messages.push(message('spamcomplaint', at('15:00:00'), { mailingId: M1, recipientId: 'r4' }));
  for (let i = 0; i < 4; i++) {
    messages.push(message('sent', `2026-12-02T08:0${i}:00.000Z`, { mailingId: M2, recipientId: `s${i}` }));
  }
  messages.push(
    message('bounce', '2026-12-02T08:10:00.000Z', { mailingId: M2, recipientId: 's0', event: {} }),
  );
  for (let i = 0; i < 5; i++) {
    messages.push(message('sent', '2026-11-30T23:59:59.000Z', { mailingId: M1, recipientId: `old${i}` }));
  }
  messages.push(message('singleoptin', at('09:00:00'), { recipientId: 'r1' }));
  return messages;
}

const messages = scenario();
let dir: string;
let firehose: ArchiveFirehose;
const metrics: MetricDatum[] = [];
const window = { from: '2026-12-01', to: '2026-12-02', mailing: null };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'archive-reports-'));
  const config = parseConfig({ campaign: { clientIds: [100001] }, archive: { enabled: true } });
  const stream = archiveStreamModel(
    buildStackModel(config, { region: 'eu-central-1', accountId: '000000000000' }),
  );
  if (stream === undefined) throw new Error('the stack has no archive stream');
  firehose = await ArchiveFirehose.start({
    stream,
    dir,
    flushIntervalMs: 0,
    onMetric: (datum) => void metrics.push(datum),
  });
  for (const body of messages) firehose.accept(body);
  // At-least-once delivery and replays: the same message again, and an open published again later.
  firehose.accept(messages[0] as string);
  const open = JSON.parse(messages.find((body) => body.includes('"eventType":"open"')) as string);
  firehose.accept(JSON.stringify({ ...open, receivedAt: '2026-12-01T20:00:00.000Z' }));
  firehose.accept('not json');
  firehose.accept(
    message('sent', at('10:07:00'), { mailingId: M1 }).replace('"clientId":100001', '"clientId":"one"'),
  );
  await firehose.flush();
});

afterAll(async () => {
  await firehose?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local archive layout', () => {
  it('writes Parquet per event type, UTC date and hour received, and refused records under errors/', () => {
    const files = readdirSync(dir, { recursive: true }).map(String).sort();
    expect(files).toContainEqual(
      expect.stringMatching(
        /^events\/event_type=sent\/dt=2026-12-01\/hour=10\/CampaignEvents-archive-1-.*\.parquet$/,
      ),
    );
    expect(files).toContainEqual(
      expect.stringMatching(/^events\/event_type=sent\/dt=2026-11-30\/hour=23\/.*\.parquet$/),
    );
    const errors = files.filter(
      (file) => file.startsWith('errors/') && !file.endsWith('/') && file.includes('-1-'),
    );
    expect(errors.map((file) => file.split('/')[1]).sort()).toEqual([
      'format-conversion-failed',
      'partitioning-failed',
    ]);
    const conversion = errors.find((file) => file.includes('format-conversion-failed')) as string;
    const record = JSON.parse(readFileSync(path.join(dir, conversion), 'utf8'));
    expect(record.errorCode).toBe('DataFormatConversion.InvalidSchema');
    expect(Buffer.from(record.rawData, 'base64').toString()).toContain('"clientId":"one"');
    expect(firehose.stats).toMatchObject({ failed: 2, records: messages.length + 2 });
  });

  it('reports the AWS/Firehose metrics the archive alarms read', () => {
    const sum = (name: string) =>
      metrics
        .filter((datum) => datum.name === name)
        .reduce((total, datum) => total + (datum.values[0] ?? 0), 0);
    const parquet = readdirSync(dir, { recursive: true }).filter((file) => String(file).endsWith('.parquet'));
    expect(sum('DeliveryToS3.Success')).toBe(parquet.length);
    expect(sum('FailedConversion.Records')).toBe(1);
    for (const datum of metrics) {
      expect(datum).toMatchObject({
        namespace: 'AWS/Firehose',
        dimensions: { DeliveryStreamName: 'CampaignEvents-archive' },
      });
    }
  });
});

describe('reports on DuckDB (each event counted once, however often it was delivered)', () => {
  it('mailing-performance: counts, unique recipients and rates per mailing', async () => {
    const { rows } = await runReport(dir, 'mailing-performance', window);
    expect(rows).toEqual([
      {
        mailing_id: M1,
        sent: 10,
        bounced: 2,
        hard_bounced: 1,
        soft_bounced: 1,
        delivered: 8,
        opens: 5,
        unique_opens: 3,
        clicks: 3,
        unique_clicks: 2,
        unsubscribes: 1,
        complaints: 1,
        bounce_rate: 0.2,
        open_rate: 0.375,
        click_rate: 0.25,
        click_to_open_rate: 0.6667,
        unsubscribe_rate: 0.125,
        complaint_rate: 0.125,
      },
      {
        mailing_id: M2,
        sent: 4,
        bounced: 1,
        hard_bounced: 0,
        soft_bounced: 0,
        delivered: 3,
        opens: 0,
        unique_opens: 0,
        clicks: 0,
        unique_clicks: 0,
        unsubscribes: 0,
        complaints: 0,
        bounce_rate: 0.25,
        open_rate: 0,
        click_rate: 0,
        click_to_open_rate: null,
        unsubscribe_rate: 0,
        complaint_rate: 0,
      },
    ]);
  });

  it('mailing-performance: --mailing and the date range select', async () => {
    const one = await runReport(dir, 'mailing-performance', { ...window, mailing: M2 });
    expect(one.rows.map((row) => row.mailing_id)).toEqual([M2]);
    const firstDay = await runReport(dir, 'mailing-performance', {
      from: '2026-11-30',
      to: '2026-11-30',
      mailing: null,
    });
    expect(firstDay.rows).toMatchObject([{ mailing_id: M1, sent: 5, bounced: 0 }]);
  });

  it('dispatch-timeline: sent per minute, idle minutes before, delays where the event has an ISO time', async () => {
    const { rows } = await runReport(dir, 'dispatch-timeline', { ...window, mailing: M1 });
    expect(rows).toEqual([
      {
        mailing_id: M1,
        sent_minute: '2026-12-01 10:00:00',
        sent: 2,
        idle_minutes_before: 0,
        with_event_time: 2,
        avg_delay_seconds: 15,
        max_delay_seconds: 20,
      },
      {
        mailing_id: M1,
        sent_minute: '2026-12-01 10:01:00',
        sent: 1,
        idle_minutes_before: 0,
        with_event_time: 0,
        avg_delay_seconds: null,
        max_delay_seconds: null,
      },
      {
        mailing_id: M1,
        sent_minute: '2026-12-01 10:05:00',
        sent: 7,
        idle_minutes_before: 3,
        with_event_time: 0,
        avg_delay_seconds: null,
        max_delay_seconds: null,
      },
    ]);
  });

  it('channel-affinity: the documented score and the share per media type', async () => {
    const { rows } = await runReport(dir, 'channel-affinity', window);
    // Highest score first. score = sum of weight * 0.5^(age_days / 14); open 1, click 3; age from arrival to the end of --to.
    const end = Date.parse('2026-12-03T00:00:00.000Z');
    const weight = (times: string[], w: number) =>
      times.reduce((sum, time) => sum + w * 0.5 ** ((end - Date.parse(at(time))) / 86_400_000 / 14), 0);
    const r1Email = weight(['11:00:00', '12:00:00'], 1) + weight(['11:01:00', '12:01:00'], 3);
    const r1Sms = weight(['13:00:00'], 1);
    const round = (value: number) => Math.round(value * 10_000) / 10_000;
    expect(rows).toEqual([
      {
        recipient_id: 'r1',
        media_type: 'EMAIL',
        opens: 2,
        clicks: 2,
        last_engaged_at: '2026-12-01 12:01:00',
        score: round(r1Email),
        affinity: round(r1Email / (r1Email + r1Sms)),
      },
      {
        recipient_id: 'r2',
        media_type: 'EMAIL',
        opens: 1,
        clicks: 1,
        last_engaged_at: '2026-12-01 11:01:00',
        score: round(weight(['11:00:00'], 1) + weight(['11:01:00'], 3)),
        affinity: 1,
      },
      {
        recipient_id: 'r1',
        media_type: 'SMS',
        opens: 1,
        clicks: 0,
        last_engaged_at: '2026-12-01 13:00:00',
        score: round(r1Sms),
        affinity: round(r1Sms / (r1Email + r1Sms)),
      },
      {
        recipient_id: 'r3',
        media_type: 'EMAIL',
        opens: 1,
        clicks: 0,
        last_engaged_at: '2026-12-01 11:30:00',
        score: round(weight(['11:30:00'], 1)),
        affinity: 1,
      },
    ]);
  });

  it('bounce-complaint-trends: per day, with rates per sent event', async () => {
    const { rows } = await runReport(dir, 'bounce-complaint-trends', {
      from: '2026-11-30',
      to: '2026-12-02',
      mailing: null,
    });
    expect(rows).toEqual([
      {
        day: '2026-11-30',
        sent: 5,
        bounces: 0,
        hard_bounces: 0,
        soft_bounces: 0,
        unknown_bounces: 0,
        complaints: 0,
        bounce_rate: 0,
        hard_bounce_rate: 0,
        complaint_rate: 0,
      },
      {
        day: '2026-12-01',
        sent: 10,
        bounces: 2,
        hard_bounces: 1,
        soft_bounces: 1,
        unknown_bounces: 0,
        complaints: 1,
        bounce_rate: 0.2,
        hard_bounce_rate: 0.1,
        complaint_rate: 0.1,
      },
      {
        day: '2026-12-02',
        sent: 4,
        bounces: 1,
        hard_bounces: 0,
        soft_bounces: 0,
        unknown_bounces: 1,
        complaints: 0,
        bounce_rate: 0.25,
        hard_bounce_rate: 0,
        complaint_rate: 0,
      },
    ]);
  });
});

describe('partition pruning', () => {
  it('never opens a file of a day or type the report does not ask for', async () => {
    const outside = [
      'events/event_type=sent/dt=2026-12-09/hour=00',
      'events/event_type=singleoptin/dt=2026-12-01/hour=10',
    ];
    for (const folder of outside) {
      mkdirSync(path.join(dir, folder), { recursive: true });
      writeFileSync(path.join(dir, folder, 'corrupt.parquet'), 'not parquet');
    }
    try {
      const { rows } = await runReport(dir, 'mailing-performance', window);
      expect(rows).toHaveLength(2);
      // The same file inside the window is read, and fails the report: the check above can fail.
      await expect(
        runReport(dir, 'mailing-performance', { from: '2026-12-01', to: '2026-12-09', mailing: null }),
      ).rejects.toThrow(/corrupt\.parquet/);
    } finally {
      for (const folder of outside) rmSync(path.join(dir, folder, 'corrupt.parquet'));
    }
  });
});

describe('npm run report', () => {
  const cli = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runReportCli(args, {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      now: () => new Date('2026-12-02T12:00:00Z'),
    });
    return { code, stdout, stderr };
  };

  it('prints CSV with --csv, over the default window ending today', async () => {
    const { code, stdout } = await cli(['bounce-complaint-trends', '--archive', dir, '--csv']);
    expect(code).toBe(0);
    expect(stdout.split('\r\n').slice(0, 2)).toEqual([
      'day,sent,bounces,hard_bounces,soft_bounces,unknown_bounces,complaints,bounce_rate,hard_bounce_rate,complaint_rate',
      '2026-11-30,5,0,0,0,0,0,0,0,0',
    ]);
  });

  it('prints an aligned table', async () => {
    const { code, stdout } = await cli([
      'mailing-performance',
      '--archive',
      dir,
      '--from',
      '2026-12-02',
      '--to',
      '2026-12-02',
    ]);
    expect(code).toBe(0);
    const [header, rule, row] = stdout.split('\n');
    expect(header).toMatch(/^mailing_id\s+sent\s+bounced/);
    expect(rule).toMatch(/^-+ {2}-+/);
    expect(row?.trim().split(/\s+/).slice(0, 3)).toEqual([String(M2), '4', '1']);
  });

  it('answers a usage error with 2 and an empty archive with 1', async () => {
    expect((await cli(['no-such-report', '--archive', dir])).code).toBe(2);
    expect((await cli(['mailing-performance', '--from', '2026-02-30', '--archive', dir])).code).toBe(2);
    expect((await cli(['mailing-performance', '--mailing', 'x', '--archive', dir])).code).toBe(2);
    const empty = mkdtempSync(path.join(tmpdir(), 'archive-empty-'));
    try {
      const result = await cli(['mailing-performance', '--archive', empty]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('No archived events');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

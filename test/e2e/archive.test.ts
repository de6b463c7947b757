import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import type { ConfigInput } from '../../infra/config.js';
import type { CampaignEvent } from '../../local/campaign-simulator/event-factory.js';
import { type LocalRun, runLocalPipeline } from '../../local/run/run.js';
import { openArchive, type ReportValues, runReport, runSql } from '../../scripts/report/duckdb-engine.js';

/**
 * The archive end to end: a known mix of events sent as Campaign sends them (one POST per type to its
 * webhook, twice: Campaign redelivers), through the local run the stack describes (ingest, table, stream,
 * fan-out, topics, the topics' Firehose subscriptions, the Firehose stand-in), then every report on the
 * archive it wrote, checked number by number.
 */

const CLIENT_ID = 400004;
const MAILING = 910001;
const CONFIG: ConfigInput = { campaign: { clientIds: [CLIENT_ID] }, archive: { enabled: true } };

interface Sent {
  type: string;
  recipientId?: string;
  mailingId?: number | string;
  [field: string]: unknown;
}

/** Events as Campaign sends them (docs/PAYLOAD.md), each with its own time so that none is a duplicate. */
function knownMix(createdBase: number): Sent[] {
  let offset = 0;
  const event = (type: string, recipient: string, extra: Record<string, unknown> = {}): Sent => ({
    type,
    clientId: CLIENT_ID,
    mailingId: MAILING,
    recipientId: recipient,
    mediaTypesToAddresses: { EMAIL: `${recipient}@example.com` },
    created: new Date(createdBase + offset++ * 1000).toISOString(),
    ...extra,
  });
  return [
    ...['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((recipient) => event('sent', recipient)),
    event('bounce', 'a5', { bounceCategory: 'hardbounce', mediaType: 'EMAIL' }),
    event('bounce', 'a6', { bounceCategory: 'softbounce', mediaType: 'EMAIL' }),
    event('open', 'a1'),
    event('open', 'a1'),
    event('open', 'a2'),
    event('click', 'a1', { link: 'https://www.example.com/a' }),
    event('click', 'a1', { link: 'https://www.example.com/b' }),
    event('unsubscribe', 'a3'),
    event('spamcomplaint', 'a4'),
  ];
}

/** Invalid events (quarantined, never published): a sent without a recipient, a bounce with a bad client id. */
const INVALID: Sent[] = [
  { type: 'sent', clientId: CLIENT_ID, mailingId: MAILING },
  { type: 'bounce', clientId: 'abc', mailingId: MAILING, recipientId: 'q2' } as Sent,
];

function today(): ReportValues {
  const now = Date.now();
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(now - 86_400_000), to: day(now), mailing: MAILING };
}

describe('archive and reports through the local run', () => {
  let run: LocalRun;
  let dir: string;
  const createdBase = Date.now() - 60_000;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'archive-e2e-'));
    run = await runLocalPipeline({
      config: CONFIG,
      traffic: false,
      alarmIntervalMs: 0,
      archive: { dir, flushIntervalMs: 0 },
    });
    const mix = [...knownMix(createdBase), ...INVALID];
    for (let round = 0; round < 2; round++) {
      const byType = new Map<string, Sent[]>();
      for (const event of mix) byType.set(event.type, [...(byType.get(event.type) ?? []), event]);
      for (const [type, events] of byType) {
        // Some are invalid on purpose: the simulator sends what it is given.
        const sent = events as unknown as CampaignEvent[];
        const reports = await run.simulator.deliver(CLIENT_ID, type as CampaignEventType, sent);
        expect(reports[0]?.delivered, `${type} batch answered 2xx`).toBe(true);
      }
    }
    await run.waitUntilIdle();
    await run.archive?.flush();
  }, 180_000);

  afterAll(async () => {
    await run?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('archives every published event once, and nothing else (no quarantined event, no redelivery)', async () => {
    const published = [...run.published.values()].flat().map((message) => message.eventKey);
    const archive = await openArchive(dir);
    try {
      const { rows } = await runSql(archive.connection, 'SELECT event_key FROM campaign_events', today());
      const archived = rows.map((row) => String(row.event_key));
      expect(archived.sort()).toEqual([...new Set(published)].sort());
      expect(archived).toHaveLength(knownMix(createdBase).length);
      const quarantined = (await run.items()).filter((item) => item.status === 'quarantined');
      expect(quarantined).toHaveLength(INVALID.length);
      for (const item of quarantined) expect(archived).not.toContain(item.eventKey);
    } finally {
      archive.close();
    }
  });

  it('holds each published message field by field in the Glue table column of its type', async () => {
    const messages = [...run.published.values()].flat().map((message) => message.body);
    const archive = await openArchive(dir);
    try {
      const { rows } = await runSql(
        archive.connection,
        'SELECT event_key, client_id, mailing_id, recipient_id, received_at, event, event_type FROM campaign_events',
        today(),
      );
      const byKey = new Map(rows.map((row) => [row.event_key, row]));
      for (const body of messages) {
        const row = byKey.get(body.eventKey as string);
        expect(row).toEqual({
          event_key: body.eventKey,
          client_id: body.clientId,
          mailing_id: body.mailingId ?? null,
          recipient_id: body.recipientId ?? null,
          received_at: (body.receivedAt as string).replace('T', ' ').replace(/(\.000)?Z$/, ''),
          event: expect.any(String),
          event_type: body.eventType,
        });
        expect(JSON.parse(row?.event as string)).toEqual(body.event);
      }
    } finally {
      archive.close();
    }
  });

  it('mailing-performance', async () => {
    const { rows } = await runReport(dir, 'mailing-performance', today());
    expect(rows).toEqual([
      {
        mailing_id: MAILING,
        sent: 6,
        bounced: 2,
        hard_bounced: 1,
        soft_bounced: 1,
        delivered: 4,
        opens: 3,
        unique_opens: 2,
        clicks: 2,
        unique_clicks: 1,
        unsubscribes: 1,
        complaints: 1,
        bounce_rate: 0.3333,
        open_rate: 0.5,
        click_rate: 0.25,
        click_to_open_rate: 0.5,
        unsubscribe_rate: 0.25,
        complaint_rate: 0.25,
      },
    ]);
  });

  it('dispatch-timeline: every sent event in a minute, each with its delay from its own time', async () => {
    const { rows } = await runReport(dir, 'dispatch-timeline', today());
    const archive = await openArchive(dir);
    let delays: number[];
    try {
      const result = await runSql(
        archive.connection,
        "SELECT received_at, json_extract_scalar(event, '$.created') AS created FROM campaign_events WHERE event_type = 'sent'",
        today(),
      );
      delays = result.rows.map(
        (row) =>
          Date.parse(`${String(row.received_at).replace(' ', 'T')}Z`) - Date.parse(String(row.created)),
      );
    } finally {
      archive.close();
    }
    expect(rows.reduce((sum, row) => sum + Number(row.sent), 0)).toBe(6);
    expect(rows.reduce((sum, row) => sum + Number(row.with_event_time), 0)).toBe(6);
    expect(Math.max(...rows.map((row) => Number(row.max_delay_seconds)))).toBeCloseTo(
      Math.max(...delays) / 1000,
      3,
    );
    for (const row of rows) expect(row.mailing_id).toBe(MAILING);
  });

  it('channel-affinity: opens and clicks per recipient, scored by the documented formula', async () => {
    const { rows } = await runReport(dir, 'channel-affinity', today());
    expect(
      rows.map(({ recipient_id, media_type, opens, clicks, affinity }) => ({
        recipient_id,
        media_type,
        opens,
        clicks,
        affinity,
      })),
    ).toEqual([
      { recipient_id: 'a1', media_type: 'EMAIL', opens: 2, clicks: 2, affinity: 1 },
      { recipient_id: 'a2', media_type: 'EMAIL', opens: 1, clicks: 0, affinity: 1 },
    ]);
    const end = Date.parse(`${today().to}T00:00:00Z`) + 86_400_000;
    const a2 = rows[1] as Record<string, unknown>;
    const age = (end - Date.parse(`${String(a2.last_engaged_at).replace(' ', 'T')}Z`)) / 86_400_000;
    expect(a2.score).toBe(Math.round(0.5 ** (age / 14) * 10_000) / 10_000);
  });

  it('bounce-complaint-trends', async () => {
    const { rows } = await runReport(dir, 'bounce-complaint-trends', today());
    const totals = rows.reduce<Record<string, number>>((sum, row) => {
      for (const key of [
        'sent',
        'bounces',
        'hard_bounces',
        'soft_bounces',
        'unknown_bounces',
        'complaints',
      ]) {
        sum[key] = (sum[key] ?? 0) + Number(row[key]);
      }
      return sum;
    }, {});
    expect(totals).toEqual({
      sent: 6,
      bounces: 2,
      hard_bounces: 1,
      soft_bounces: 1,
      unknown_bounces: 0,
      complaints: 1,
    });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignEventType } from '../../functions/shared/campaign-event-types.js';
import type { ConfigInput } from '../../infra/config.js';
import { CampaignEventFactory } from '../../local/campaign-simulator/event-factory.js';
import { type LocalRun, runLocalPipeline } from '../../local/run/run.js';
import { openArchive, runSql } from '../../scripts/report/duckdb-engine.js';

/**
 * Campaign's deploy-time verify sends test events of the configured verification mailing to every
 * webhook; they are stored but never published, so they never reach the archive (nor its reports),
 * while real events of other mailings do.
 */

const CLIENT_ID = 500005;
const VERIFY_MAILING = 900001;
const CONFIG: ConfigInput = {
  campaign: { clientIds: [CLIENT_ID], verifyMailingId: VERIFY_MAILING },
  archive: { enabled: true },
};

describe('verification events and the archive', () => {
  let run: LocalRun;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'archive-verify-'));
    run = await runLocalPipeline({
      config: CONFIG,
      traffic: false,
      alarmIntervalMs: 0,
      archive: { dir, flushIntervalMs: 0 },
    });
    const factory = new CampaignEventFactory({ clientId: CLIENT_ID, seed: 5 });
    const types: CampaignEventType[] = ['sent', 'open'];
    for (const type of types) {
      const events = Array.from({ length: 3 }, () => factory.event(type, { mailingId: 910002 }));
      const reports = await run.simulator.deliver(CLIENT_ID, type, events);
      expect(reports[0]?.delivered).toBe(true);
    }
    await run.waitUntilIdle();
    await run.archive?.flush();
  }, 180_000);

  afterAll(async () => {
    await run?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('stores the verification events of its mailing and archives none of them', async () => {
    expect(run.simulator.verifications.length).toBe(run.config.eventTypes.length);
    const verification = (await run.items()).filter((item) => item.mailingId === VERIFY_MAILING);
    expect(verification.length).toBeGreaterThan(0);
    const archive = await openArchive(dir);
    try {
      const window = { from: '2000-01-01', to: '2999-12-31', mailing: null };
      const { rows } = await runSql(
        archive.connection,
        'SELECT mailing_id, event_key FROM campaign_events',
        window,
      );
      expect(rows.filter((row) => row.mailing_id === VERIFY_MAILING)).toEqual([]);
      // Verification events of types that carry no mailing id (opt-ins, blocklist, archive) cannot be
      // told from real ones and are archived: docs/PAYLOAD.md, "Verification events", says so.
      expect(rows.map((row) => row.mailing_id).filter((mailing) => mailing !== null)).toEqual(
        Array(6).fill(910002),
      );
      for (const item of verification) expect(rows.map((row) => row.event_key)).not.toContain(item.eventKey);
    } finally {
      archive.close();
    }
  });
});

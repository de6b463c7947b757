import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as erase } from '../../../scripts/erase.js';
import { CursorError, openCursor } from '../../../scripts/ops/cursor.js';
import { createRateLimiter } from '../../../scripts/ops/rate.js';
import { runCli as quarantine } from '../../../scripts/quarantine.js';
import { runCli as replay } from '../../../scripts/replay.js';
import { runOperation } from '../../support/operations.js';

describe('the operator commands’ shared helpers', () => {
  it('resumes a cursor where it stopped, refuses another operation’s, and removes it when done', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cursor-')), 'run.json');
    const first = openCursor(file, 'erase t1 abc', 2);
    expect(first.resumed).toBe(false);
    first.state.totals.deleted = 3;
    first.save(0, { done: false, lastKey: { eventKey: { S: 'open#1' } } });
    first.save(1, { done: true });

    const again = openCursor(file, 'erase t1 abc', 2);
    expect(again.resumed).toBe(true);
    expect(again.state.segments).toEqual([
      { done: false, lastKey: { eventKey: { S: 'open#1' } } },
      { done: true },
    ]);
    expect(again.state.totals).toEqual({ deleted: 3 });
    expect(() => openCursor(file, 'erase t1 other', 2)).toThrow(CursorError);
    expect(() => openCursor(file, 'erase t1 abc', 4)).toThrow(/--segments 2/);
    again.finish();
    expect(existsSync(file)).toBe(false);
  });

  it('makes takers wait once they spend more than the rate allows', async () => {
    let now = 0;
    const slept: number[] = [];
    const limiter = createRateLimiter(10, {
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    await limiter.take(10);
    expect(slept).toEqual([]);
    await limiter.take(5);
    expect(slept).toEqual([500]);
  });

  it.each([
    ['quarantine', quarantine, 'npm run quarantine -- <list | show <eventKey> | requeue>'],
    ['erase', erase, 'npm run erase -- --recipient'],
    ['replay', replay, 'npm run replay -- --from <time> --to <time>'],
  ] as const)('%s: --help prints the usage, a usage error exits 2', async (_name, cli, usage) => {
    const help = await runOperation(cli, '--help');
    expect(help.code).toBe(0);
    expect(help.output).toContain(usage);
    expect(help.output).toContain('--yes');
    expect(help.output).toContain('--cursor <file>');
    const wrong = await runOperation(cli, '--no-such-option');
    expect(wrong.code).toBe(2);
    expect(wrong.output).toContain('--help" for usage');
  });

  it('refuses what cannot be run before touching anything', async () => {
    expect((await runOperation(erase, '--table-name', 't')).output).toContain('Name at least one recipient');
    expect((await runOperation(quarantine, 'requeue')).output).toContain(
      'Missing --stack <name> or --table-name',
    );
    const backwards = await runOperation(
      replay,
      '--table-name',
      't',
      '--from',
      '2026-11-27',
      '--to',
      '2026-11-26',
    );
    expect(backwards).toMatchObject({ code: 2 });
    expect(backwards.output).toContain('--from must be before --to');
    const twoTargets = await runOperation(
      replay,
      ...['--table-name', 't', '--from', '2026-11-26', '--to', '2026-11-27', '--target', 'topics'],
      ...['--target-topic', 'arn:aws:sns:eu-central-1:123456789012:x'],
    );
    expect(twoTargets.output).toContain('Choose one of');
  });
});

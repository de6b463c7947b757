import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * A resumable position in a parallel scan, kept in a file the operator names (`--cursor <file>`): each
 * segment's last key once its page was fully handled, and the run's totals so far. A run that stops
 * (Ctrl-C, an error, a lost session) is started again with the same command and cursor and goes on where
 * it stopped; the page in flight is handled again, which every command's actions tolerate (they are
 * idempotent). The cursor names the operation it belongs to, so it cannot resume a different one.
 */
export interface SegmentPosition {
  readonly done: boolean;
  readonly lastKey?: Record<string, AttributeValue>;
}

export interface CursorState {
  /** What the cursor belongs to: the command and every option that changes what it reads or does. */
  readonly operation: string;
  readonly segments: SegmentPosition[];
  readonly totals: Record<string, number>;
  /** What else a command must carry over to a resumed run (written with every save). */
  readonly data: Record<string, unknown>;
}

export interface Cursor {
  readonly state: CursorState;
  /** True when the run continues an earlier one. */
  readonly resumed: boolean;
  /** Records a segment's position and the totals (written to the file at once). */
  save(segment: number, position: SegmentPosition): void;
  /** The run finished: the file is removed (a next run starts afresh). */
  finish(): void;
  /** Where it is kept, if anywhere. */
  readonly path: string | undefined;
}

export class CursorError extends Error {
  override readonly name = 'CursorError';
}

export function openCursor(path: string | undefined, operation: string, segments: number): Cursor {
  const fresh: CursorState = {
    operation,
    segments: Array.from({ length: segments }, () => ({ done: false })),
    totals: {},
    data: {},
  };
  let state = fresh;
  let resumed = false;
  if (path !== undefined && existsSync(path)) {
    state = readState(path);
    if (state.operation !== operation) {
      throw new CursorError(
        `The cursor ${path} belongs to another operation (${state.operation}); remove it or name another file`,
      );
    }
    if (state.segments.length !== segments) {
      throw new CursorError(
        `The cursor ${path} was written with --segments ${state.segments.length}; run again with that number`,
      );
    }
    resumed = true;
  }
  const write = () => {
    if (path === undefined) return;
    writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 1)}\n`);
    renameSync(`${path}.tmp`, path);
  };
  return {
    state,
    resumed,
    path,
    save(segment, position) {
      state.segments[segment] = position;
      write();
    },
    finish() {
      if (path !== undefined) rmSync(path, { force: true });
    },
  };
}

function readState(path: string): CursorState {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as CursorState;
    if (typeof parsed.operation !== 'string' || !Array.isArray(parsed.segments))
      throw new Error('not a cursor');
    return { ...parsed, totals: { ...(parsed.totals ?? {}) }, data: { ...(parsed.data ?? {}) } };
  } catch (error) {
    throw new CursorError(`Cannot read the cursor ${path}: ${(error as Error).message}`);
  }
}

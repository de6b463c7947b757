import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import type { FunctionBundle } from '../../local/bundles.js';

/**
 * Resolves the positions of a stack trace from a deployed function (`/var/task/index.mjs:<line>:<col>`,
 * as CloudWatch shows them: the maps are not deployed) to TypeScript source positions, with the source
 * map the synthesis kept for that exact bundle.
 */

/** A position in a bundle: `index.mjs:12:345`, with or without `file:///var/task/` (or any directory). */
const BUNDLE_POSITION = /(?:file:\/\/)?(?:[^\s()"'`]*\/)?index\.mjs:(\d+):(\d+)/g;

export interface ResolvedTrace {
  readonly text: string;
  /** Positions found in the input, and how many of them the map resolved. */
  readonly positions: number;
  readonly resolved: number;
}

export function loadSourceMap(bundle: FunctionBundle): { map: SourceMap; dir: string } {
  if (bundle.sourceMap === undefined) {
    throw new Error(
      `No source map for ${bundle.constructPath} (${bundle.entry}): synthesize again with this checkout ` +
        '(npx cdk synth) so that the maps are written beside the assets.',
    );
  }
  const payload = JSON.parse(readFileSync(bundle.sourceMap, 'utf8')) as SourceMapPayload;
  return { map: new SourceMap(payload), dir: path.dirname(bundle.sourceMap) };
}

/**
 * Replaces every bundle position in `text` by `<source>:<line>:<col>` (the source relative to `root`).
 * JSON-escaped line breaks (a stack copied from a JSON log line) become real ones.
 */
export function resolveStackTrace(
  text: string,
  source: { map: SourceMap; dir: string },
  root = process.cwd(),
): ResolvedTrace {
  let positions = 0;
  let resolved = 0;
  const unescaped = text.replace(/\\n(?=\s+at )/g, '\n');
  const out = unescaped.replace(BUNDLE_POSITION, (match, line: string, column: string) => {
    positions++;
    const origin = source.map.findOrigin(Number(line), Number(column));
    if (!('fileName' in origin) || origin.fileName === undefined) return match;
    resolved++;
    const absolute = path.resolve(source.dir, origin.fileName.replace(/^file:\/\//, ''));
    return `${path.relative(root, absolute)}:${origin.lineNumber}:${origin.columnNumber}`;
  });
  return { text: out, positions, resolved };
}

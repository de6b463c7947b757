import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, parseConfig } from '../../infra/config.js';

/**
 * The README's "Configuration reference" is the deployer's documentation of infra/config.ts: every
 * option there, each default as the schema applies it. This fails when the two drift.
 */

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const MINIMAL = { campaign: { clientIds: [100001] } };

interface DocumentedOption {
  readonly path: string;
  readonly defaultCell: string;
}

function documentedOptions(): DocumentedOption[] {
  const section = readme.split(/^## Configuration reference$/m)[1]?.split(/^## /m)[0] ?? '';
  return [...section.matchAll(/^\| `([\w.]+)` \| (.+?) \| .+ \|$/gm)].map(
    ([, path = '', defaultCell = '']) => ({
      path,
      defaultCell,
    }),
  );
}

type Walkable = { type?: string; entries?: Record<string, Walkable>; wrapped?: Walkable; default?: unknown };

/** Option paths of the schema: groups (objects defaulting to {} or required) are walked, the rest are options. */
function schemaOptions(schema: Walkable, prefix = ''): string[] {
  return Object.entries(schema.entries ?? {}).flatMap(([key, entry]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const inner = entry.type === 'optional' ? entry.wrapped : entry;
    const isGroup =
      inner?.entries !== undefined && (entry.type !== 'optional' || JSON.stringify(entry.default) === '{}');
    return isGroup && inner ? schemaOptions(inner, path) : [path];
  });
}

function valueAt(config: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)?.[key], config);
}

/** The default a cell documents: `value` (JSON, or a bare string), `none` / (required) for no default. */
function documentedDefault(cell: string): { value: unknown } | 'no default' | 'prose' {
  if (cell === 'none' || cell === '(required)') return 'no default';
  const single = /^`([^`]*)`$/.exec(cell);
  if (single?.[1] === undefined) return 'prose';
  try {
    return { value: JSON.parse(single[1]) };
  } catch {
    return { value: single[1] };
  }
}

describe("README's configuration reference", () => {
  const documented = documentedOptions();

  it('documents every option of the schema, and nothing the schema does not have', () => {
    expect(documented.length).toBeGreaterThan(20);
    expect(documented.map((option) => option.path).sort()).toEqual(
      schemaOptions(ConfigSchema as unknown as Walkable).sort(),
    );
  });

  it('gives each default as the schema applies it', () => {
    const defaults = parseConfig(MINIMAL);
    for (const { path, defaultCell } of documented) {
      const expected = documentedDefault(defaultCell);
      if (path === 'campaign.clientIds') continue; // required: the minimal configuration sets it
      if (expected === 'prose') {
        // A list written out in words (e.g. all event types): every value named is in the default.
        const actual = JSON.stringify(valueAt(defaults, path));
        for (const [, named = ''] of defaultCell.matchAll(/`([^`]+)`/g))
          expect(actual, path).toContain(named);
        continue;
      }
      expect(valueAt(defaults, path), path).toEqual(expected === 'no default' ? undefined : expected.value);
    }
  });
});

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const TEXT_FILE = /\.(ts|mts|mjs|js|json|md|yml|yaml|sh)$/;
/** A relative path that climbs: `../x`, `../../x/y.md`. */
const CLIMBING_PATH = /(?:\.\.\/)+[A-Za-z0-9_@.-]+(?:\/[A-Za-z0-9_@.-]+)*/g;
/** Absolute paths of the machine the repo was written on. */
const MACHINE_PATH = /(?<![\w.])\/(?:work|home|Users)\/[A-Za-z0-9_.-]+/g;

function trackedTextFiles(): string[] {
  return execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((file) => TEXT_FILE.test(file) && !file.endsWith('package-lock.json'));
}

describe('the repository', () => {
  it('points to no file outside itself, by a relative path or a machine path', () => {
    const outside: string[] = [];
    for (const file of trackedTextFiles()) {
      const text = readFileSync(resolve(root, file), 'utf8');
      for (const [path] of text.matchAll(CLIMBING_PATH)) {
        const target = relative(root, resolve(root, dirname(file), path));
        if (target.startsWith('..')) outside.push(`${file}: ${path}`);
      }
      for (const [path] of text.matchAll(MACHINE_PATH)) outside.push(`${file}: ${path}`);
    }
    expect(outside).toEqual([]);
  });
});

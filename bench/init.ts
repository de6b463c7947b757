import { pathToFileURL } from 'node:url';
import type { FunctionBundle } from '../local/bundles.js';
import { runNode } from './processes.js';
import { fixed, median, pairedRatio, ratioQuartiles, times } from './statistics.js';

interface InitSample {
  importMicros: number;
  processMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface InitVariant {
  readonly label: string;
  readonly bundle: FunctionBundle;
  readonly env: Record<string, string>;
}

/**
 * Cold starts: each sample is a new `node` process importing one bundle with its deployed environment
 * (NODE_OPTIONS included, when the template sets it). Variants are interleaved round by round (the order
 * rotating), and each is compared with the floor of the same round.
 */
export async function benchInit(floor: InitVariant, variants: readonly InitVariant[], rounds: number) {
  const all = [floor, ...variants];
  const samples = new Map<string, InitSample[]>(all.map((variant) => [variant.label, []]));
  for (let round = 0; round < rounds; round++) {
    const order = [...all.slice(round % all.length), ...all.slice(0, round % all.length)];
    for (const variant of order) {
      const sample = await runNode<InitSample>(
        'init-sample.ts',
        [pathToFileURL(variant.bundle.entry).href],
        variant.env,
      );
      samples.get(variant.label)?.push(sample);
    }
  }
  return { rounds, samples, floor: floor.label };
}

export function initReport(result: Awaited<ReturnType<typeof benchInit>>): string {
  const floor = result.samples.get(result.floor) ?? [];
  const lines = [
    `Cold starts: ${result.rounds} rounds, one new node process per sample, interleaved; ratio = median of the`,
    "rounds' paired ratios to the floor (quartiles in brackets).",
    '',
    '| bundle | import CPU ms | ÷ floor | process CPU ms | ÷ floor | RSS MiB | heap MiB |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [label, samples] of result.samples) {
    const get = (key: keyof InitSample) => samples.map((sample) => sample[key]);
    const ratio = (key: keyof InitSample) => {
      const base = floor.map((sample) => sample[key]);
      const [q1, q3] = ratioQuartiles(get(key), base);
      return label === result.floor
        ? '1'
        : `${times(pairedRatio(get(key), base))} [${fixed(q1, 2)}–${fixed(q3, 2)}]`;
    };
    lines.push(
      `| ${label} | ${fixed(median(get('importMicros')) / 1000)} | ${ratio('importMicros')} | ` +
        `${fixed(median(get('processMicros')) / 1000)} | ${ratio('processMicros')} | ` +
        `${fixed(median(get('rssBytes')) / 2 ** 20)} | ${fixed(median(get('heapUsedBytes')) / 2 ** 20)} |`,
    );
  }
  return lines.join('\n');
}

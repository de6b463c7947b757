import { describe, expect, it } from 'vitest';
import { chunk, forEachConcurrently } from '../../../functions/shared/batching.js';

describe('chunk', () => {
  it('splits into consecutive chunks of at most the given size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 25)).toEqual([]);
    expect(chunk([1, 2], 25)).toEqual([[1, 2]]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});

describe('forEachConcurrently', () => {
  it('never runs more than the limit at once and works on every item', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      done.push(item);
      running--;
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('finishes every item before rejecting with the first error', async () => {
    const done: number[] = [];
    const outcome = forEachConcurrently([1, 2, 3, 4], 2, async (item) => {
      if (item === 1) throw new Error('first');
      await new Promise((resolve) => setImmediate(resolve));
      done.push(item);
    });
    await expect(outcome).rejects.toThrow('first');
    expect(done.sort()).toEqual([2, 3, 4]);
  });
});

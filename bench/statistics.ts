export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The median of a[i] / b[i]: samples taken side by side share the machine's load of that moment. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((value, index) => value / (b[index] as number)));
}

/** The spread of the paired ratios: [first quartile, third quartile]. */
export function ratioQuartiles(a: readonly number[], b: readonly number[]): [number, number] {
  const ratios = a.map((value, index) => value / (b[index] as number)).sort((x, y) => x - y);
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))] as number;
  return [at(0.25), at(0.75)];
}

export const fixed = (value: number, digits = 1): string => value.toFixed(digits);
export const times = (value: number): string => `${value.toFixed(2)}×`;

/**
 * Small helpers every bench module prints with: the median of samples and numbers formatted
 * with thousands separators.
 *
 * @module
 */

/** The median of `xs` (the upper middle one for an even count). */
export const median = (xs: number[]): number =>
  [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/** `x` with thousands separators and exactly `digits` decimals. */
export const fmt = (x: number, digits = 0): string =>
  x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

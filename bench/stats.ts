// Order statistics for the bench: median and p95 of samples, ratios that tolerate a zero baseline.

function sorted(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new Error('no samples');
  return [...samples].sort((a, b) => a - b);
}

/** The middle value; the mean of the two middle ones for an even count. */
export function median(samples: readonly number[]): number {
  const s = sorted(samples);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank 95th percentile: the smallest sample that at least 95 % of the samples do not exceed. */
export function p95(samples: readonly number[]): number {
  const s = sorted(samples);
  return s[Math.max(0, Math.ceil(0.95 * s.length) - 1)];
}

/** value / baseline, or null when the baseline is zero (a ratio would mean nothing). */
export function ratio(value: number, baseline: number): number | null {
  return baseline === 0 ? null : value / baseline;
}

/** Rounds to a fixed number of decimals for results.json, so the file stays readable. */
export function round(value: number, decimals = 3): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

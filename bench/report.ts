// Rows of the bench report: targets, the markdown table, and the results.json document.
import os from 'node:os';
import { ratio as ratioOf, round } from './stats.js';

export interface Target {
  /** What the target bounds: the figure itself, or its ratio to the baseline. */
  of: 'value' | 'ratio';
  op: '<' | '<=';
  limit: number;
  text: string;
}

export interface Row {
  id: string;
  figure: string;
  unit: string;
  /** Decimals shown in the table. */
  decimals: number;
  median: number | null;
  baseline: number | null;
  baselineLabel: string;
  ratio: number | null;
  /** How the ratio was formed. */
  ratioKind: 'median / baseline median' | 'median of pairwise ratios';
  target: Target | null;
  pass: boolean | null;
  runs: number;
  samples: number[];
  baselineSamples: number[];
  note?: string;
  error?: string;
}

export interface RowInput {
  id: string;
  figure: string;
  unit: string;
  decimals: number;
  median: number;
  baseline: number;
  baselineLabel: string;
  ratio?: number | null;
  ratioKind?: Row['ratioKind'];
  target?: Target | null;
  samples: number[];
  baselineSamples: number[];
  note?: string;
}

function check(target: Target, value: number | null): boolean {
  if (value === null) return false;
  return target.op === '<' ? value < target.limit : value <= target.limit;
}

export function row(input: RowInput): Row {
  const ratio = input.ratio !== undefined ? input.ratio : ratioOf(input.median, input.baseline);
  const target = input.target ?? null;
  return {
    id: input.id,
    figure: input.figure,
    unit: input.unit,
    decimals: input.decimals,
    median: input.median,
    baseline: input.baseline,
    baselineLabel: input.baselineLabel,
    ratio,
    ratioKind: input.ratioKind ?? 'median / baseline median',
    target,
    pass: target ? check(target, target.of === 'ratio' ? ratio : input.median) : null,
    runs: input.samples.length,
    samples: input.samples,
    baselineSamples: input.baselineSamples,
    ...(input.note ? { note: input.note } : {}),
  };
}

/** The rows a figure would have given, each marked failed with the error that stopped it. */
export function failedRow(id: string, figure: string, unit: string, target: Target | null, error: unknown): Row {
  return {
    id, figure, unit, decimals: 0, median: null, baseline: null, baselineLabel: '', ratio: null,
    ratioKind: 'median / baseline median', target, pass: target ? false : null, runs: 0, samples: [],
    baselineSamples: [], error: error instanceof Error ? error.message : String(error),
  };
}

function num(value: number | null, decimals: number, unit: string): string {
  if (value === null) return 'n/a';
  return `${value.toFixed(decimals)}${unit ? ` ${unit}` : ''}`;
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| figure | median | baseline | ratio | target | pass |',
    '| --- | ---: | ---: | ---: | --- | --- |',
  ];
  for (const r of rows) {
    if (r.error) {
      lines.push(`| ${r.figure} | error | | | ${r.target?.text ?? 'report only'} | ${r.target ? 'NO' : '-'} |`);
      continue;
    }
    const base = `${num(r.baseline, r.decimals, r.unit)} (${r.baselineLabel})`;
    const ratio = r.ratio === null ? 'n/a' : `${r.ratio.toFixed(2)}x`;
    const pass = r.pass === null ? '-' : r.pass ? 'yes' : 'NO';
    lines.push(`| ${r.figure} | ${num(r.median, r.decimals, r.unit)} | ${base} | ${ratio} | ${r.target?.text ?? 'report only'} | ${pass} |`);
  }
  return lines.join('\n');
}

export function notes(rows: readonly Row[]): string {
  return rows.filter((r) => r.note || r.error)
    .map((r) => `- ${r.figure}: ${r.error ? `ERROR: ${r.error}` : r.note}`).join('\n');
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  platform: string;
  node: string;
  root: boolean;
  loadAverage: number[];
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    root: process.getuid?.() === 0,
    loadAverage: os.loadavg().map((l) => round(l, 2)),
  };
}

export function describeMachine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.kernel}, node ${m.node}` +
    `${m.root ? ', as root' : ''}, load ${m.loadAverage.join(' ')} at start`;
}

/** results.json: the rows with numbers rounded to what the measurement resolves. */
export function resultsDocument(rows: readonly Row[], m: Machine, extra: Record<string, unknown>): unknown {
  const r3 = (v: number | null): number | null => (v === null ? null : round(v, 4));
  return {
    ...extra,
    machine: m,
    figures: rows.map((r) => ({
      ...r,
      median: r3(r.median),
      baseline: r3(r.baseline),
      ratio: r3(r.ratio),
      samples: r.samples.map((s) => round(s, 4)),
      baselineSamples: r.baselineSamples.map((s) => round(s, 4)),
    })),
    targets: { met: rows.filter((r) => r.pass === true).length, total: rows.filter((r) => r.target).length },
  };
}

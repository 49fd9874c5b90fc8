// The soak's model of the wants (SPEC 13.1), kept from the commands it runs, and only from them:
// a `start` writes `up` (also for a service it finds running, taking a once flag away), a `stop`
// writes `down`, and a `once` writes `down` for a service it acts on, before it signals the worker.
// A worker never writes one: a once-flagged run that ends leaves the want as `once` wrote it.
// Each write happens at some moment inside its command's interval, so the last one written is any
// write that no sure write began after. The sampler thread sees every change of a want file; each
// must come from a write of a command that ran in its window.
import fs from 'node:fs';
import path from 'node:path';
import { minimatch } from 'minimatch';
import type { PidRecord } from './soak-lib.js';

export type WantValue = 'up' | 'down' | 'none';

/** A want file as the sampler thread saw it change: written after `after`, by `at` (ms since 1970). */
export interface WantChange {
  name: string;
  value: WantValue;
  after: number;
  at: number;
}

/** The names the patterns match, as reraise matches them (SPEC 6: minimatch, no dot names). */
export function matchNames(patterns: readonly string[], names: readonly string[]): Set<string> {
  return new Set(names.filter((n) => patterns.some((p) => minimatch(n, p, { dot: false, nonegate: true, nocomment: true }))));
}

/** What the want file of `name` says: a want, none, or why it is no want file (SPEC 13.1). */
export function readWantFile(wantDir: string, name: string): WantValue | { bad: string } {
  const file = path.join(wantDir, name);
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return 'none';
  if (!st.isFile()) return { bad: `${file} is not a regular file` };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    return { bad: `${file}: ${(error as Error).message}` };
  }
  if (text === 'up\n') return 'up';
  if (text === 'down\n') return 'down';
  return { bad: `${file} holds ${JSON.stringify(text)}, not one want line` };
}

/**
 * When revive may try a service in ERROR again, read from its record as SPEC 13.2 words it:
 * `config_revive_sec` x 2^revivals after the ERROR, never more than an hour apart (or the gap).
 */
export function revivalDue(record: PidRecord): number {
  const reviveSec = Number(record.extra.revive_sec ?? '60');
  const revivals = Number(record.extra.revivals ?? '0');
  const gap = Math.min(Math.max(3600, reviveSec), reviveSec * 2 ** Math.min(revivals, 32));
  return record.epoch + Math.ceil(gap);
}

interface Write {
  value: 'up' | 'down';
  /** The write happened in [s, e] (ms since 1970): the interval of the command that made it. */
  s: number;
  e: number;
  /** False when the command may not have written at all (it failed, or was cut short). */
  certain: boolean;
  by: string;
}

export class WantModel {
  private readonly writes = new Map<string, Write[]>();

  private of(name: string): Write[] {
    let list = this.writes.get(name);
    if (!list) this.writes.set(name, (list = []));
    return list;
  }

  add(name: string, value: 'up' | 'down', s: number, e: number, certain: boolean, by: string): void {
    this.of(name).push({ value, s, e, certain, by });
  }

  /** The wants the file may hold now: of every write that may have been the last one. */
  allowed(name: string): Set<WantValue> {
    const list = this.writes.get(name) ?? [];
    const out = new Set<WantValue>();
    if (!list.some((w) => w.certain)) out.add('none');
    for (const w of list) {
      if (!list.some((v) => v !== w && v.certain && v.s > w.e)) out.add(w.value);
    }
    return out;
  }

  /** The writes of `name` (those within 5 s of `near`, when given), for a violation's detail. */
  describe(name: string, t0: number, near?: number): string {
    const all = this.writes.get(name) ?? [];
    const list = near === undefined ? all : all.filter((w) => w.s <= near + 5000 && w.e >= near - 5000);
    const at = (ms: number): string => ((ms - t0) / 1000).toFixed(3);
    return list.slice(-6).map((w) => `${w.value} by ${w.by} [${at(w.s)}, ${at(w.e)}]${w.certain ? '' : '?'}`).join('; ') || 'no write';
  }

  /** Whether a write of `value` to the want of `name` may have happened between `s` and `e`. */
  mayWrite(name: string, value: 'up' | 'down', s: number, e: number): boolean {
    return (this.writes.get(name) ?? []).some((w) => w.value === value && w.s <= e && w.e >= s);
  }

  /** The write that explains a change the sampler saw, or undefined when none can. */
  explain(change: WantChange): Write | undefined {
    if (change.value === 'none') return undefined;
    return (this.writes.get(change.name) ?? []).find((w) => w.value === change.value && w.s <= change.at && w.e >= change.after);
  }
}

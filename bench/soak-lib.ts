// Helpers of the soak test (bench/soak.ts): a seeded PRNG, /proc scans under the run's marker,
// signals sent only after a fresh identity check, the pid-file line check, and the CLI runner.
import fs from 'node:fs';
import { spawn } from 'node:child_process';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** A key of `weights`, chosen in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [key, w] of entries) {
      x -= w;
      if (x < 0) return key;
    }
    return entries[entries.length - 1][0];
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// /proc

export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  /** One-letter state: R, S, T (stopped), Z (zombie), ... */
  state: string;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  startTicks: number;
  /** argv joined by spaces, trailing empty strings dropped (as `ps` shows a process title). */
  cmdline: string;
  /** RERAISE_SERVICE from the environment, when set. */
  service?: string;
}

const CLOCK_TICKS = 100;

/** Boot time in epoch seconds, to the hundredth (as reraise computes it). */
export function bootTime(): number {
  return Date.now() / 1000 - Number.parseFloat(fs.readFileSync('/proc/uptime', 'utf8'));
}

export function startEpoch(proc: Proc, boot: number): number {
  return boot + proc.startTicks / CLOCK_TICKS;
}

function readStat(pid: number): { state: string; ppid: number; pgid: number; startTicks: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]), startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

function readEnviron(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  } catch {
    return undefined;
  }
}

function readCmdline(pid: number): string {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    while (argv.length && argv[argv.length - 1] === '') argv.pop();
    return argv.join(' ');
  } catch {
    return '';
  }
}

/** Every process whose environment holds `marker` (`RERAISE_PIDDIR=<the run's pid dir>`). */
export function scan(marker: string): Proc[] {
  const out: Proc[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const env = readEnviron(pid);
    if (!env || !env.includes(marker)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const serviceVar = env.find((e) => e.startsWith('RERAISE_SERVICE='));
    out.push({
      pid, ...stat, cmdline: readCmdline(pid),
      service: serviceVar === undefined ? undefined : serviceVar.slice('RERAISE_SERVICE='.length),
    });
  }
  return out;
}

/** The process `pid` as a scan would show it (with or without a marker); undefined when it is gone. */
export function procOf(pid: number): Proc | undefined {
  const stat = readStat(pid);
  if (!stat) return undefined;
  const serviceVar = readEnviron(pid)?.find((e) => e.startsWith('RERAISE_SERVICE='));
  return { pid, ...stat, cmdline: readCmdline(pid), service: serviceVar?.slice('RERAISE_SERVICE='.length) };
}

/** Whether `proc` is still that very process (same start time) and not a zombie. */
export function stillAlive(proc: Proc): boolean {
  const stat = readStat(proc.pid);
  return !!stat && stat.startTicks === proc.startTicks && stat.state !== 'Z' && stat.state !== 'X';
}

/** Live (not zombie) processes only. */
export function living(procs: readonly Proc[]): Proc[] {
  return procs.filter((p) => p.state !== 'Z' && p.state !== 'X');
}

/** The worker title of `name`, as /proc/PID/cmdline shows it. */
export function workerTitle(name: string): string {
  return `auto-reraise ${name}`;
}

/** The name a worker supervises, when `proc` carries a worker title. */
export function workerName(proc: Proc): string | undefined {
  return proc.cmdline.startsWith('auto-reraise ') ? proc.cmdline.slice('auto-reraise '.length) : undefined;
}

/**
 * Signals `proc` only if the pid still names the same process (same start time) and that process
 * still carries the marker: never a pid the kernel gave to someone else meanwhile.
 */
export function verifiedKill(proc: Proc, marker: string, signal: NodeJS.Signals): boolean {
  const stat = readStat(proc.pid);
  if (!stat || stat.startTicks !== proc.startTicks || stat.state === 'Z') return false;
  const env = readEnviron(proc.pid);
  if (!env || !env.includes(marker)) return false;
  try {
    process.kill(proc.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs every process of the run until none is left (a worker may respawn between two scans). */
export async function killEverything(marker: string): Promise<number> {
  let killed = 0;
  for (let i = 0; i < 100; i++) {
    const procs = living(scan(marker));
    if (procs.length === 0) return killed;
    // Workers first, so that they cannot start their services again.
    procs.sort((a, b) => Number(workerName(b) !== undefined) - Number(workerName(a) !== undefined));
    for (const p of procs) if (verifiedKill(p, marker, 'SIGKILL')) killed++;
    await sleep(20);
  }
  return killed;
}

// ---------------------------------------------------------------------------------------------
// pid files

/** The whole content of a pid file, as SPEC 4 allows it: one line, its newline included. */
export const PID_LINE = /^(START|RUN|STOP|ERROR) (-|\d+) (-|\d+) (-|\d+) \d+( [^ =]+=[^ ]*)*\n$/;

export interface PidRecord {
  state: string;
  exitCode?: number;
  pid?: number;
  workerPid?: number;
  epoch: number;
  extra: Record<string, string>;
}

export function parsePidLine(text: string): PidRecord | undefined {
  if (!PID_LINE.test(text)) return undefined;
  const [state, exit, pid, worker, epoch, ...rest] = text.slice(0, -1).split(' ');
  const num = (s: string): number | undefined => (s === '-' ? undefined : Number(s));
  const extra: Record<string, string> = {};
  for (const token of rest) {
    const eq = token.indexOf('=');
    extra[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return { state, exitCode: num(exit), pid: num(pid), workerPid: num(worker), epoch: Number(epoch), extra };
}

/**
 * The fields each state must have (SPEC 4's table): which of EXITCODE, PID, WORKERPID are numbers
 * and which are `-`. Undefined when the record agrees with the table, else what disagrees.
 */
export function stateTableProblem(r: PidRecord): string | undefined {
  // null: either. A RUN with no worker is an orphan's record, given back by a worker that found it (SPEC 13.2).
  const want: Record<string, [boolean, boolean, boolean | null]> = {
    START: [false, false, true],
    RUN: [false, true, null],
    STOP: [true, false, true],
    ERROR: [true, false, false],
  };
  const [exit, pid, worker] = want[r.state];
  const has = [r.exitCode !== undefined, r.pid !== undefined, r.workerPid !== undefined];
  const names = ['EXITCODE', 'PID', 'WORKERPID'];
  const bad = [exit, pid, worker].map((w, i) => (w === null || w === has[i] ? '' : `${names[i]} should be ${w ? 'a number' : '-'}`)).filter(Boolean);
  return bad.length ? `${r.state}: ${bad.join(', ')}` : undefined;
}

export function readPidText(pidDir: string, name: string): string | undefined {
  try {
    return fs.readFileSync(`${pidDir}/${name}`, 'utf8');
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// the CLI

export interface CliResult {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
  timedOut: boolean;
}

/** Runs `bin/reraise ARGS` with `env`; a run longer than `timeoutMs` is SIGKILLed (it is our own child). */
export function runCli(bin: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }, timeoutMs);
    child.on('error', (error) => {
      err += `spawn error: ${error.message}\n`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ args, code, signal, out, err, ms: Date.now() - started, timedOut });
    });
  });
}

/** Shell-style quoting for reproduction lines. */
export function shq(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

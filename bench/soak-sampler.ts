// The soak test's pid-file sampler, run in a worker thread so that the clients' event loop never
// delays it: every few ms it reads every pid file of the pid dir and checks that each read is one
// whole line of SPEC 4 whose fields agree with its state, and reads every want file of the want dir
// (SPEC 13.1): each read must be one want line, and each change is reported with the window it
// happened in, for the soak to find the command that wrote it. A RUN record says readiness and
// health as SPEC 14 words it: `ready=0|1` exactly for a service with a rule (an orphan's record,
// given back or being taken over, aside), never back from 1 to 0 in one run, 1 only once the run
// marked itself ready, and `checks=N check=WHY` only for a checked, ready run, N below
// config_check_fail; each such count is reported. Stops when the shared flag is set.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PID_LINE, parsePidLine, stateTableProblem, type PidRecord } from './soak-lib.js';
import type { WantChange, WantValue } from './soak-wants.js';

/** A service's readiness rule, and its config_check_fail when it is checked (null: no checks). */
export interface SamplerRule {
  rule: 'fd' | 'port' | 'url' | 'log';
  checkFail: number | null;
}

/** A RUN record with failed checks, as read: once per run and count. */
export interface HealthSeen {
  name: string;
  pid: number;
  worker?: number;
  checks: number;
  check: string;
  at: number;
}

interface Input {
  pidDir: string;
  wantDir: string;
  /** Where each probed service creates ready.PID just before it becomes ready. */
  markDir: string;
  rules: Record<string, SamplerRule>;
  flag: SharedArrayBuffer;
  intervalMs: number;
  t0: number;
}

export interface SamplerBad {
  at: number;
  name: string;
  text: string;
  why: string;
}

export interface SamplerReport {
  type: 'bad' | 'final';
  bad: SamplerBad[];
  wants: WantChange[];
  health: HealthSeen[];
  reads?: number;
  wantReads?: number;
  sweeps?: number;
  tempSeen?: number;
}

const { pidDir, wantDir, markDir, rules, flag, intervalMs, t0 } = workerData as Input;
const stop = new Int32Array(flag);
let reads = 0;
let wantReads = 0;
let sweeps = 0;
let tempSeen = 0;
let pending: SamplerBad[] = [];
let changes: WantChange[] = [];
let health: HealthSeen[] = [];
let lastPost = Date.now();
/** What each want file held at the last sweep (none when it was not there). */
const wants = new Map<string, WantValue>();
let lastSweep = Date.now();

/** Per service: the worker each run (pid) was first read under, and the last RUN record's run and ready. */
const runs = new Map<string, Map<number, number | undefined>>();
const lastReady = new Map<string, { run: string; ready: string }>();
const marked = new Set<number>();
const healthKeys = new Set<string>();
const WHY = /^(refused|timeout|reset|bad-answer|http-\d{3})$/;

/** What is wrong with the readiness keys of a RUN record of `name`, if anything. */
function readinessProblem(name: string, r: PidRecord): string | undefined {
  const rule = rules[name];
  const { ready, checks, check } = r.extra;
  const pid = r.pid!;
  let seen = runs.get(name);
  if (!seen) runs.set(name, (seen = new Map()));
  const firstWorker = seen.has(pid) ? seen.get(pid) : r.workerPid;
  if (!seen.has(pid)) seen.set(pid, r.workerPid);
  if (!rule) {
    return ready !== undefined || checks !== undefined || check !== undefined ? 'ready, checks or check in the record of a service without a readiness rule' : undefined;
  }
  if (ready === undefined) {
    // An orphan's record given back (no worker), or rewritten by the worker taking it over (SPEC 13.2).
    const orphans = r.workerPid === undefined || firstWorker !== r.workerPid;
    if (!orphans) return 'no ready= in the RUN record of a service with a readiness rule, under the worker that started it';
    return checks !== undefined || check !== undefined ? 'checks or check without ready=' : undefined;
  }
  if (ready !== '0' && ready !== '1') return `ready=${ready}, neither 0 nor 1`;
  const run = `${pid} ${r.workerPid ?? '-'} ${r.epoch}`;
  const last = lastReady.get(name);
  lastReady.set(name, { run, ready });
  if (last?.run === run && last.ready === '1' && ready === '0') return 'ready=1, then ready=0 again in the same run';
  if (ready === '1' && !marked.has(pid)) {
    if (!fs.existsSync(`${markDir}/ready.${pid}`)) return `ready=1 before pid ${pid} marked itself ready`;
    marked.add(pid);
  }
  if (checks === undefined && check === undefined) return undefined;
  if (rule.checkFail === null) return 'checks or check in the record of a service without config_check_sec';
  if (ready !== '1') return 'checks or check before the run is ready';
  if (checks === undefined || check === undefined) return 'checks without check, or check without checks';
  const n = Number(checks);
  if (!/^\d+$/.test(checks) || n < 1 || n >= rule.checkFail) return `checks=${checks}: not from 1 to config_check_fail - 1 = ${rule.checkFail - 1}`;
  if (!WHY.test(check)) return `check=${check}: none of refused, timeout, reset, http-CODE, bad-answer`;
  const key = `${name} ${run} ${n} ${check}`;
  if (!healthKeys.has(key)) {
    healthKeys.add(key);
    health.push({ name, pid, worker: r.workerPid, checks: n, check, at: Date.now() });
  }
  return undefined;
}

/** Every want file once: a change since the last sweep happened after that sweep began. */
function sweepWants(): void {
  const sweptAt = Date.now();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(wantDir).filter((n) => !n.startsWith('.'));
  } catch {
    // not made yet, or (never) gone
  }
  const seen = new Set<string>();
  for (const name of entries) {
    let text: string;
    try {
      text = fs.readFileSync(`${wantDir}/${name}`, 'utf8');
    } catch {
      continue; // removed between readdir and read: the next sweep tells
    }
    wantReads++;
    seen.add(name);
    const value: WantValue | undefined = text === 'up\n' ? 'up' : text === 'down\n' ? 'down' : undefined;
    if (value === undefined) {
      pending.push({ at: (Date.now() - t0) / 1000, name: `want ${name}`, text, why: 'not one whole want line' });
      continue;
    }
    if ((wants.get(name) ?? 'none') !== value) changes.push({ name, value, after: lastSweep, at: Date.now() });
    wants.set(name, value);
  }
  for (const [name, value] of wants) {
    if (value !== 'none' && !seen.has(name) && !fs.existsSync(`${wantDir}/${name}`)) {
      changes.push({ name, value: 'none', after: lastSweep, at: Date.now() });
      wants.set(name, 'none');
    }
  }
  lastSweep = sweptAt;
}

while (Atomics.load(stop, 0) === 0) {
  sweepWants();
  let names: string[] = [];
  try {
    names = fs.readdirSync(pidDir);
  } catch {
    // not made yet
  }
  for (const name of names) {
    if (name.startsWith('.')) {
      if (name.endsWith('.tmp')) tempSeen++;
      continue;
    }
    let text: string;
    try {
      text = fs.readFileSync(`${pidDir}/${name}`, 'utf8');
    } catch {
      continue; // removed between readdir and read
    }
    reads++;
    const at = (Date.now() - t0) / 1000;
    if (!PID_LINE.test(text)) {
      pending.push({ at, name, text, why: 'not one whole pid-file line' });
      continue;
    }
    const record = parsePidLine(text)!;
    const problem = stateTableProblem(record);
    if (problem) pending.push({ at, name, text, why: `fields disagree with SPEC 4's table: ${problem}` });
    else if (record.state === 'RUN') {
      const wrong = readinessProblem(name, record);
      if (wrong) pending.push({ at, name, text, why: `readiness keys disagree with SPEC 14: ${wrong}` });
    }
  }
  sweeps++;
  if ((pending.length || changes.length || health.length) && Date.now() - lastPost > 200) {
    parentPort!.postMessage({ type: 'bad', bad: pending, wants: changes, health } satisfies SamplerReport);
    pending = [];
    changes = [];
    health = [];
    lastPost = Date.now();
  }
  Atomics.wait(stop, 0, 0, intervalMs);
}
sweepWants();
parentPort!.postMessage({ type: 'final', bad: pending, wants: changes, health, reads, wantReads, sweeps, tempSeen } satisfies SamplerReport);

// The soak test's pid-file sampler, run in a worker thread so that the clients' event loop never
// delays it: every few ms it reads every pid file of the pid dir and checks that each read is one
// whole line of SPEC 4 whose fields agree with its state, and reads every want file of the want dir
// (SPEC 13.1): each read must be one want line, and each change is reported with the window it
// happened in, for the soak to find the command that wrote it. Stops when the shared flag is set.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PID_LINE, parsePidLine, stateTableProblem } from './soak-lib.js';
import type { WantChange, WantValue } from './soak-wants.js';

interface Input {
  pidDir: string;
  wantDir: string;
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
  reads?: number;
  wantReads?: number;
  sweeps?: number;
  tempSeen?: number;
}

const { pidDir, wantDir, flag, intervalMs, t0 } = workerData as Input;
const stop = new Int32Array(flag);
let reads = 0;
let wantReads = 0;
let sweeps = 0;
let tempSeen = 0;
let pending: SamplerBad[] = [];
let changes: WantChange[] = [];
let lastPost = Date.now();
/** What each want file held at the last sweep (none when it was not there). */
const wants = new Map<string, WantValue>();
let lastSweep = Date.now();

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
    const problem = stateTableProblem(parsePidLine(text)!);
    if (problem) pending.push({ at, name, text, why: `fields disagree with SPEC 4's table: ${problem}` });
  }
  sweeps++;
  if ((pending.length || changes.length) && Date.now() - lastPost > 200) {
    parentPort!.postMessage({ type: 'bad', bad: pending, wants: changes } satisfies SamplerReport);
    pending = [];
    changes = [];
    lastPost = Date.now();
  }
  Atomics.wait(stop, 0, 0, intervalMs);
}
sweepWants();
parentPort!.postMessage({ type: 'final', bad: pending, wants: changes, reads, wantReads, sweeps, tempSeen } satisfies SamplerReport);

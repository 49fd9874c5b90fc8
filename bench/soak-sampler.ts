// The soak test's pid-file sampler, run in a worker thread so that the clients' event loop never
// delays it: every few ms it reads every pid file of the pid dir and checks that each read is one
// whole line of SPEC 4 whose fields agree with its state. Stops when the shared flag is set.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PID_LINE, parsePidLine, stateTableProblem } from './soak-lib.js';

interface Input {
  pidDir: string;
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
  reads?: number;
  sweeps?: number;
  tempSeen?: number;
}

const { pidDir, flag, intervalMs, t0 } = workerData as Input;
const stop = new Int32Array(flag);
let reads = 0;
let sweeps = 0;
let tempSeen = 0;
let pending: SamplerBad[] = [];
let lastPost = Date.now();

while (Atomics.load(stop, 0) === 0) {
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
  if (pending.length && Date.now() - lastPost > 200) {
    parentPort!.postMessage({ type: 'bad', bad: pending } satisfies SamplerReport);
    pending = [];
    lastPost = Date.now();
  }
  Atomics.wait(stop, 0, 0, intervalMs);
}
parentPort!.postMessage({ type: 'final', bad: pending, reads, sweeps, tempSeen } satisfies SamplerReport);

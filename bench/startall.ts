// Figure 5: `reraise start '*'` with 20 services: wall time until every pid file says RUN, and the CPU it took.
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { childrenOf, cpuTicks, TICKS_PER_SECOND, waitedChildrenTicks } from './proc.js';
import { row, type Row } from './report.js';
import { median } from './stats.js';
import { names, sleeper, type Figure, type Plan, type RowSpec } from './plan.js';
import { RERAISE, Sandbox, sleep } from './sandbox.js';

const wall: RowSpec = { id: '5a-start-wall', figure: "start '*', 20 services: wall time to all RUN", unit: 'ms', target: null };
const cpu: RowSpec = { id: '5b-start-cpu', figure: "start '*', 20 services: CPU", unit: 's', target: null };

const POLL_MS = 2;
const TIMEOUT_MS = 60_000;
const elapsedMs = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

interface Sample {
  wallMs: number;
  cpuSeconds: number;
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** One round: launch `start '*'`, poll the pid files, then add the command's CPU to the workers'. */
async function startRound(box: Sandbox, services: readonly string[], devNull: number): Promise<Sample> {
  const before = waitedChildrenTicks();
  const t0 = process.hrtime.bigint();
  const child = spawn(RERAISE, ['start', '*'], { env: box.env, stdio: ['ignore', devNull, devNull] });
  const exited = exitOf(child);
  const files = services.map((n) => box.pidFile(n));
  let workers: number[] | undefined;
  while (!workers) {
    const lines = files.map((f) => {
      try {
        return fs.readFileSync(f, 'latin1');
      } catch {
        return '';
      }
    });
    if (lines.every((l) => l.startsWith('RUN '))) {
      workers = lines.map((l) => Number(l.split(' ', 4)[3]));
      break;
    }
    if (elapsedMs(t0) > TIMEOUT_MS) throw new Error(`not every pid file says RUN ${TIMEOUT_MS / 1000} s after start '*'`);
    await sleep(POLL_MS);
  }
  const wallMs = elapsedMs(t0);
  const workerTicks = workers.reduce((sum, pid) => sum + cpuTicks(pid), 0);
  const code = await exited;
  if (code !== 0) throw new Error(`reraise start '*' exited ${code}`);
  // The command has been waited for: its utime+stime are now in this process's cutime+cstime.
  const commandTicks = waitedChildrenTicks() - before;
  return { wallMs, cpuSeconds: (commandTicks + workerTicks) / TICKS_PER_SECOND };
}

/** The baseline: 20 bare node processes launched at once, until each has spawned its sleep. */
async function bareRound(box: Sandbox, count: number): Promise<Sample> {
  const t0 = process.hrtime.bigint();
  const bare = Array.from({ length: count }, () => box.spawnBare());
  while (!bare.every((c) => c.pid !== undefined && childrenOf(c.pid).length > 0)) {
    if (elapsedMs(t0) > TIMEOUT_MS) throw new Error('the bare node processes did not spawn sleep');
    await sleep(POLL_MS);
  }
  const wallMs = elapsedMs(t0);
  const ticks = bare.reduce((sum, c) => sum + cpuTicks(c.pid!), 0);
  // Reap them all before the next round, so that none lands in the next round's cutime.
  const exits = bare.map((c) => exitOf(c));
  for (const c of bare) c.kill('SIGKILL');
  await Promise.all(exits);
  box.killLeftovers();
  return { wallMs, cpuSeconds: ticks / TICKS_PER_SECOND };
}

export const startAll: Figure = {
  title: "start '*'",
  rows: [wall, cpu],
  async run(plan: Plan, progress): Promise<Row[]> {
    const box = Sandbox.create('start');
    const devNull = fs.openSync('/dev/null', 'w');
    try {
      const services = names('svc-', plan.services);
      for (const name of services) box.addService(name, sleeper(0.2));
      const starts: Sample[] = [];
      const bares: Sample[] = [];
      for (let round = 0; round < plan.startRounds; round++) {
        progress(`round ${round + 1}/${plan.startRounds}`);
        starts.push(await startRound(box, services, devNull));
        await box.stopAll();
        if (box.ours().length > 0) throw new Error("processes left after stop '*'");
        await sleep(300);
        bares.push(await bareRound(box, plan.services));
        await sleep(300);
      }
      const wallMs = starts.map((s) => s.wallMs);
      const cpuS = starts.map((s) => s.cpuSeconds);
      return [
        row({ ...wall, decimals: 0, median: median(wallMs), baseline: median(bares.map((s) => s.wallMs)),
          baselineLabel: '20 bare node + sleep', samples: wallMs, baselineSamples: bares.map((s) => s.wallMs),
          note: `${plan.startRounds} rounds, stop '*' between them; baseline: the bench launches 20 bare node processes at once until each has spawned sleep` }),
        row({ ...cpu, decimals: 2, median: median(cpuS), baseline: median(bares.map((s) => s.cpuSeconds)),
          baselineLabel: '20 bare node + sleep', samples: cpuS, baselineSamples: bares.map((s) => s.cpuSeconds),
          note: "the command's own utime+stime (this process's cutime+cstime after reaping it) plus utime+stime of the 20 workers when all say RUN; 10 ms ticks" }),
      ];
    } finally {
      fs.closeSync(devNull);
      await box.dispose();
    }
  },
};

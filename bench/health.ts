// Figure 8: what proof of health costs (SPEC 14.2): a plain worker's wakeups, and a worker that checks every second.
import fs from 'node:fs';
import net from 'node:net';
import { contextSwitches, cpuTicks, memoryOf, TICKS_PER_SECOND, type Wakeups } from './proc.js';
import { row, type Row } from './report.js';
import { median } from './stats.js';
import { names, sleeper, type Figure, type Plan, type RowSpec } from './plan.js';
import { Sandbox, sleep } from './sandbox.js';

const MiB = 1024;
/** Reads of USS over the idle window, after the first. */
const USS_READS = 10;
const CHECK_SEC = 1;

const wakeups: RowSpec = { id: '8a-idle-wakeups', figure: 'idle worker wakeups over the idle window', unit: '',
  target: { of: 'value', op: '<=', limit: 0, text: '0 wakeups' } };
const checkUss: RowSpec = { id: '8b-check-uss', figure: 'USS of a worker checking every second', unit: 'MiB',
  target: { of: 'ratio', op: '<=', limit: 1.05, text: '<= 1.05x baseline' } };
const checkCpu: RowSpec = { id: '8c-check-cpu', figure: 'CPU of a worker checking every second', unit: '% of a core',
  target: { of: 'value', op: '<=', limit: 1, text: '<= 1%' } };

/** `count` distinct ports nothing listens on now: the kernel's picks, held at once so that none repeats, let go again. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => net.createServer());
  await Promise.all(servers.map((s) => new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** A service that is ready once its port accepts, and is then checked every CHECK_SEC: a TCP listener that hangs up. */
function checked(port: number): string {
  const code = `require('net').createServer(s=>s.end()).listen(${port},'127.0.0.1')`;
  return `config_ready_port=${port}\nconfig_check_sec=${CHECK_SEC}\nexec "$RERAISE_NODE" -e "${code}"\n`;
}

/** The key=value tokens of a pid file, after its five fields. */
function keysOf(box: Sandbox, name: string): Map<string, string> {
  let line = '';
  try {
    line = fs.readFileSync(box.pidFile(name), 'latin1');
  } catch {
    // no pid file yet: no keys
  }
  return new Map(line.trim().split(' ').slice(5).map((token) => {
    const eq = token.indexOf('=');
    return [token.slice(0, eq), token.slice(eq + 1)] as [string, string];
  }));
}

/** Waits until every named record says ready=1 (SPEC 14.1). */
async function waitReady(box: Sandbox, services: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const notReady = services.filter((n) => keysOf(box, n).get('ready') !== '1');
    if (notReady.length === 0) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ready=1: ${notReady.slice(0, 5).join(', ')}`);
    await sleep(10);
  }
}

const delta = (after: Wakeups, before: Wakeups): Wakeups => ({ main: after.main - before.main, all: after.all - before.all });

/**
 * Plain idle workers, workers that check a TCP listener every second, and bare node processes live
 * side by side; memory is read at one moment after the settle time and a few checks, then wakeups
 * (context switches of every thread) and CPU over the idle window.
 */
export const healthCost: Figure = {
  title: 'the cost of proof of health',
  rows: [wakeups, checkUss, checkCpu],
  async run(plan: Plan, progress): Promise<Row[]> {
    const box = Sandbox.create('health');
    try {
      const n = plan.healthProcesses;
      const plain = names('idle-', n);
      const checking = names('check-', n);
      for (const name of plain) box.addService(name, sleeper(0.2));
      const ports = await freePorts(n);
      checking.forEach((name, i) => box.addService(name, checked(ports[i])));
      const bare = plain.map(() => box.spawnBare());
      await box.mustRun(['start', '*']);
      const plainRecords = await box.waitRunning(plain);
      const checkRecords = await box.waitRunning(checking);
      await waitReady(box, checking);
      await box.waitBareReady(bare);
      await sleep(plan.settleMs + plan.healthChecksBeforeRead * CHECK_SEC * 1000);

      const plainWorkers = plainRecords.map((r) => r.workerPid!);
      const checkWorkers = checkRecords.map((r) => r.workerPid!);
      const listeners = checkRecords.map((r) => r.pid!);
      const bares = bare.map((c) => c.pid!);
      const uss = (pid: number): number => memoryOf(pid).ussKiB / MiB;
      // A checking worker's young generation fills and is collected as checks go on: its memory is
      // the median over the window, read every few seconds beside the plain ones' (reading wakes no one).
      const plainSeries = plainWorkers.map((pid) => [uss(pid)]);
      const checkSeries = checkWorkers.map((pid) => [uss(pid)]);

      progress(`wakeups and CPU over ${plan.healthIdleSeconds} s`);
      const plainSwitches0 = plainWorkers.map(contextSwitches);
      const bareSwitches0 = bares.map(contextSwitches);
      const checkSwitches0 = checkWorkers.map(contextSwitches);
      const listenerSwitches0 = listeners.map(contextSwitches);
      const plainTicks0 = plainWorkers.map(cpuTicks);
      const checkTicks0 = checkWorkers.map(cpuTicks);
      const t0 = process.hrtime.bigint();
      for (let read = 0; read < USS_READS; read++) {
        await sleep((plan.healthIdleSeconds * 1000) / USS_READS);
        plainWorkers.forEach((pid, i) => plainSeries[i].push(uss(pid)));
        checkWorkers.forEach((pid, i) => checkSeries[i].push(uss(pid)));
      }
      const plainUss = plainSeries.map(median);
      const checkUssMiB = checkSeries.map(median);
      const checkTicks = checkWorkers.map((pid, i) => cpuTicks(pid) - checkTicks0[i]);
      const plainTicks = plainWorkers.map((pid, i) => cpuTicks(pid) - plainTicks0[i]);
      const windowSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const plainSwitches = plainWorkers.map((pid, i) => delta(contextSwitches(pid), plainSwitches0[i]));
      const bareSwitches = bares.map((pid, i) => delta(contextSwitches(pid), bareSwitches0[i]));
      const checkSwitches = checkWorkers.map((pid, i) => delta(contextSwitches(pid), checkSwitches0[i]));
      const listenerSwitches = listeners.map((pid, i) => delta(contextSwitches(pid), listenerSwitches0[i]));
      const firstRead = (series: number[][]): number => median(series.map((reads) => reads[0]));

      // Every service must still be the one measured, and every check must have passed: the window is of healthy runs.
      const all = [...plain, ...checking];
      const before = [...plainRecords, ...checkRecords];
      if (all.some((name, i) => box.record(name)?.pid !== before[i].pid)) throw new Error('a service restarted during the idle window');
      const unhealthy = checking.filter((name) => keysOf(box, name).get('ready') !== '1' || keysOf(box, name).has('checks'));
      if (unhealthy.length > 0) throw new Error(`a check failed during the idle window: ${unhealthy.join(', ')} (${JSON.stringify([...keysOf(box, unhealthy[0])])})`);
      // Each check is a connection the listener accepts: a listener that woke less than once a check was not checked.
      const expectedChecks = Math.floor(windowSeconds / CHECK_SEC) - 1;
      const listenerWakeups = listenerSwitches.map((s) => s.main);
      if (Math.min(...listenerWakeups) < expectedChecks) {
        throw new Error(`a listener woke ${Math.min(...listenerWakeups)} times in ${windowSeconds.toFixed(1)} s: its worker did not check it every ${CHECK_SEC} s`);
      }

      const percent = (ticks: number): number => (ticks / TICKS_PER_SECOND / windowSeconds) * 100;
      const allOf = (list: Wakeups[]): number[] => list.map((s) => s.all);
      const mainOf = (list: Wakeups[]): number[] => list.map((s) => s.main);
      const window = `${plan.healthIdleSeconds} s`;
      return [
        row({ ...wakeups, figure: `idle worker wakeups over ${window}`, decimals: 0, median: median(allOf(plainSwitches)),
          baseline: median(allOf(bareSwitches)), baselineLabel: 'bare node + sleep', samples: allOf(plainSwitches), baselineSamples: allOf(bareSwitches),
          note: `context switches (voluntary + nonvoluntary, every thread's /proc/PID/task/TID/status) of ${n} workers without any ` +
            `config_ready_* or config_check_* line (config_start_sec=0.2, exec sleep), from ${plan.settleMs / 1000 + plan.healthChecksBeforeRead * CHECK_SEC} s ` +
            `after they all ran; ` +
            `max ${Math.max(...allOf(plainSwitches))} (main thread: median ${median(mainOf(plainSwitches))}, max ${Math.max(...mainOf(plainSwitches))}), ` +
            `${n} bare node processes in the same window: max ${Math.max(...allOf(bareSwitches))}` }),
        row({ ...checkUss, decimals: 2, median: median(checkUssMiB), baseline: median(plainUss), baselineLabel: 'plain idle worker',
          samples: checkUssMiB, baselineSamples: plainUss,
          note: `${n} workers with config_ready_port and config_check_sec=${CHECK_SEC} (a node TCP listener that hangs up) and ${n} plain ` +
            `idle workers (config_start_sec=0.2, exec sleep), each the median of ${USS_READS + 1} reads at the same moments over the ` +
            `${plan.healthIdleSeconds} s window, from ${plan.settleMs / 1000} s + ${plan.healthChecksBeforeRead} checks after ready; ` +
            `USS = Private_Clean + Private_Dirty of /proc/PID/smaps_rollup; the first read alone: ${firstRead(checkSeries).toFixed(2)} MiB ` +
            `against ${firstRead(plainSeries).toFixed(2)} MiB (the young generation of a checking worker fills and is collected as checks go on)` }),
        row({ ...checkCpu, figure: `CPU of a worker checking every second, over ${window}`, decimals: 2,
          median: median(checkTicks.map(percent)), baseline: median(plainTicks.map(percent)), baselineLabel: 'plain idle worker',
          samples: checkTicks.map(percent), baselineSamples: plainTicks.map(percent),
          note: `utime+stime of the ${n} checking workers (1 tick = 10 ms) over ${windowSeconds.toFixed(1)} s, as % of one core; ` +
            `max ${Math.max(...checkTicks)} ticks (plain: ${Math.max(...plainTicks)}); they woke a median ${median(allOf(checkSwitches))} times ` +
            `(main thread ${median(mainOf(checkSwitches))}), their listeners ${median(listenerWakeups)}` }),
      ];
    } finally {
      await box.dispose();
    }
  },
};

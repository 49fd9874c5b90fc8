// Figures 1, 2 and 6: an idle worker's memory and CPU against a bare node process, and PSS per added service.
import { cpuTicks, memoryOf } from './proc.js';
import { row, type Row } from './report.js';
import { median } from './stats.js';
import { names, sleeper, type Figure, type Plan, type RowSpec } from './plan.js';
import { Sandbox, sleep } from './sandbox.js';

const MiB = 1024;

const rss: RowSpec = { id: '1a-rss', figure: 'idle worker RSS', unit: 'MiB',
  target: { of: 'ratio', op: '<=', limit: 1.10, text: '<= 1.10x baseline' } };
const uss: RowSpec = { id: '1b-uss', figure: 'idle worker USS', unit: 'MiB',
  target: { of: 'ratio', op: '<=', limit: 1.15, text: '<= 1.15x baseline' } };
const idle: RowSpec = { id: '6-idle', figure: 'idle worker CPU over the idle window', unit: 'ticks',
  target: { of: 'value', op: '<=', limit: 0, text: '0 ticks' } };
const pss: RowSpec = { id: '2-pss', figure: 'worker PSS per service, 20 running', unit: 'MiB',
  target: { of: 'ratio', op: '<', limit: 1, text: '< 1-service PSS' } };

/**
 * Idle workers and bare node processes live side by side, so that they share the node binary's pages
 * alike; memory is read at one moment a few seconds after start, then CPU over the idle window.
 */
export const workerMemoryAndIdle: Figure = {
  title: 'idle worker memory and CPU',
  rows: [rss, uss, idle],
  async run(plan: Plan, progress): Promise<Row[]> {
    const box = Sandbox.create('memory');
    try {
      const services = names('idle-', plan.memoryProcesses);
      for (const name of services) box.addService(name, sleeper(0.2));
      const bare = services.map(() => box.spawnBare());
      await box.mustRun(['start', '*']);
      const records = await box.waitRunning(services);
      await box.waitBareReady(bare);
      await sleep(plan.settleMs);

      const workers = records.map((r) => r.workerPid!);
      const bares = bare.map((c) => c.pid!);
      const workerMem = workers.map(memoryOf);
      const bareMem = bares.map(memoryOf);

      progress(`idle CPU over ${plan.idleSeconds} s`);
      const workerTicks0 = workers.map(cpuTicks);
      const bareTicks0 = bares.map(cpuTicks);
      await sleep(plan.idleSeconds * 1000);
      const workerIdle = workers.map((pid, i) => cpuTicks(pid) - workerTicks0[i]);
      const bareIdle = bares.map((pid, i) => cpuTicks(pid) - bareTicks0[i]);
      // Every service must still be the one measured: a restart in the window would not be idle.
      const after = services.map((n) => box.record(n));
      if (after.some((r, i) => r?.pid !== records[i].pid)) throw new Error('a service restarted during the idle window');

      const mem = (list: typeof workerMem, key: 'rssKiB' | 'ussKiB'): number[] => list.map((m) => m[key] / MiB);
      const n = plan.memoryProcesses;
      return [
        row({ ...rss, decimals: 1, median: median(mem(workerMem, 'rssKiB')), baseline: median(mem(bareMem, 'rssKiB')),
          baselineLabel: 'bare node + sleep', samples: mem(workerMem, 'rssKiB'), baselineSamples: mem(bareMem, 'rssKiB'),
          note: `${n} workers (config_start_sec=0.2, exec sleep) and ${n} bare \`node -e "spawn('sleep')"\` read at the same moment, ${plan.settleMs / 1000} s after start` }),
        row({ ...uss, decimals: 1, median: median(mem(workerMem, 'ussKiB')), baseline: median(mem(bareMem, 'ussKiB')),
          baselineLabel: 'bare node + sleep', samples: mem(workerMem, 'ussKiB'), baselineSamples: mem(bareMem, 'ussKiB'),
          note: 'USS = Private_Clean + Private_Dirty of /proc/PID/smaps_rollup' }),
        row({ ...idle, figure: `idle worker CPU over ${plan.idleSeconds} s`, decimals: 0, median: median(workerIdle),
          baseline: median(bareIdle), baselineLabel: 'bare node + sleep', samples: workerIdle, baselineSamples: bareIdle,
          note: `utime+stime of ${n} idle workers (1 tick = 10 ms), same window as ${n} bare node processes; max ${Math.max(...workerIdle)} ticks (bare: ${Math.max(...bareIdle)})` }),
      ];
    } finally {
      await box.dispose();
    }
  },
};

/** PSS of one lone worker, then the total PSS of 20 workers / 20, alternating over several rounds. */
export const pssPerService: Figure = {
  title: 'PSS per added service',
  rows: [pss],
  async run(plan: Plan, progress): Promise<Row[]> {
    const lone: number[] = [];
    const perService: number[] = [];
    for (let round = 0; round < plan.pssRounds; round++) {
      progress(`round ${round + 1}/${plan.pssRounds}`);
      const one = Sandbox.create('pss1');
      try {
        one.addService('one', sleeper(0.2));
        await one.mustRun(['start', 'one']);
        const [record] = await one.waitRunning(['one']);
        await sleep(plan.settleMs);
        lone.push(memoryOf(record.workerPid!).pssKiB / MiB);
      } finally {
        await one.dispose();
      }
      const many = Sandbox.create('pss20');
      try {
        const services = names('svc-', plan.services);
        for (const name of services) many.addService(name, sleeper(0.2));
        await many.mustRun(['start', '*']);
        const records = await many.waitRunning(services);
        await sleep(plan.settleMs);
        const total = records.reduce((sum, r) => sum + memoryOf(r.workerPid!).pssKiB, 0);
        perService.push(total / plan.services / MiB);
      } finally {
        await many.dispose();
      }
    }
    return [row({ ...pss, decimals: 1, median: median(perService), baseline: median(lone), baselineLabel: '1 service running',
      samples: perService, baselineSamples: lone,
      note: `total Pss of the ${plan.services} workers / ${plan.services}, against the Pss of a lone worker; ${plan.pssRounds} rounds, read ${plan.settleMs / 1000} s after start` })];
  },
};

// Figures 3 and 4: restart latency after kill -9, and the wall time of `reraise status`.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { row, type Row } from './report.js';
import { median, p95 } from './stats.js';
import { names, sleeper, type Figure, type Plan, type RowSpec } from './plan.js';
import { RERAISE, Sandbox, sleep } from './sandbox.js';

const ms = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

const restartMedian: RowSpec = { id: '3a-restart', figure: 'restart after kill -9, median', unit: 'ms',
  target: { of: 'value', op: '<', limit: 5, text: '< 5 ms' } };
const restartP95: RowSpec = { id: '3b-restart-p95', figure: 'restart after kill -9, p95', unit: 'ms',
  target: { of: 'value', op: '<', limit: 15, text: '< 15 ms' } };

const RESTART_TIMEOUT_MS = 10_000;

/**
 * One sample: SIGKILL the service, then wait until the pid file says RUN with a new, live pid.
 * The wait is woken by inotify (fs.watch on the pid dir), not a spin: on 2 cores a spinning
 * reader takes the core the worker needs to respawn, and measures itself more than the worker.
 * A slow poll backs the watcher up in case an event is coalesced away.
 */
function timeRestart(pidFile: string, oldPid: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let line = '';
    const check = (): void => {
      try {
        line = fs.readFileSync(pidFile, 'latin1');
      } catch {
        return; // never missing (it is renamed into place), but a read must not end the sample
      }
      if (!line.startsWith('RUN ')) return;
      const pid = Number(line.split(' ', 3)[2]);
      if (pid > 0 && pid !== oldPid && fs.existsSync(`/proc/${pid}`)) finish(ms(t0, process.hrtime.bigint()));
    };
    const watcher = fs.watch(path.dirname(pidFile), check);
    const poll = setInterval(check, 50);
    const timeout = setTimeout(() => finish(new Error(
      `no new RUN pid ${RESTART_TIMEOUT_MS / 1000} s after kill -9 of ${oldPid}; pid file: ${line.trim() || '(unreadable)'}`)), RESTART_TIMEOUT_MS);
    const finish = (result: number | Error): void => {
      watcher.close();
      clearInterval(poll);
      clearTimeout(timeout);
      if (typeof result === 'number') resolve(result);
      else reject(result);
    };
    const t0 = process.hrtime.bigint();
    process.kill(oldPid, 'SIGKILL');
  });
}

/** One baseline sample: the bench itself spawns sleep and waits for the 'spawn' event. */
async function timeSpawn(env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = process.hrtime.bigint();
  const child = spawn('sleep', ['100000'], { stdio: 'ignore', env });
  await once(child, 'spawn');
  const took = ms(t0, process.hrtime.bigint());
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  return took;
}

export const restartLatency: Figure = {
  title: 'restart latency',
  rows: [restartMedian, restartP95],
  async run(plan: Plan, progress): Promise<Row[]> {
    const box = Sandbox.create('restart');
    try {
      box.addService('svc', sleeper(0));
      await box.mustRun(['start', 'svc']);
      await box.waitRunning(['svc']);
      await sleep(300);
      const restarts: number[] = [];
      const spawns: number[] = [];
      for (let i = 0; i < plan.restarts; i++) {
        if (i % 10 === 0) progress(`kill ${i + 1}/${plan.restarts}`);
        const [record] = await box.waitRunning(['svc'], 10_000, 1);
        // Let the worker finish its bookkeeping of the last run (log line, pid file) before the next kill.
        await sleep(100);
        restarts.push(await timeRestart(box.pidFile('svc'), record.pid!));
        await sleep(20);
        spawns.push(await timeSpawn(box.env));
      }
      const note = `${plan.restarts} times: kill -9 of the service (config_start_sec=0, exec sleep), timed until the pid file ` +
        'says RUN with a new pid that exists in /proc (woken by inotify on the pid dir); baseline: the bench spawns sleep ' +
        "until the 'spawn' event, interleaved with the kills";
      return [
        row({ ...restartMedian, decimals: 2, median: median(restarts), baseline: median(spawns), baselineLabel: 'spawn sleep',
          samples: restarts, baselineSamples: spawns, note }),
        row({ ...restartP95, decimals: 2, median: p95(restarts), baseline: p95(spawns), baselineLabel: 'spawn sleep, p95',
          samples: restarts, baselineSamples: spawns, note: 'nearest-rank p95 of the same samples' }),
      ];
    } finally {
      await box.dispose();
    }
  },
};

const cliRow = (count: number, limit: number | null): RowSpec => ({
  id: `4-status-${String(count).padStart(4, '0')}`,
  figure: `reraise status, ${count} service${count === 1 ? '' : 's'}`,
  unit: 'ms',
  target: limit === null ? null : { of: 'ratio', op: '<=', limit, text: `<= ${limit.toFixed(1)}x baseline` },
});
const CLI_SIZES: Array<[number, number | null]> = [[1, null], [100, 2.0], [1000, 3.0]];
const RUNNING = 10;
/** The size at which status is also timed without the code cache (what the cache saves), and revive is timed. */
const UNCACHED_SIZE = 100;
const reviveRow: RowSpec = { id: `4-revive-${String(UNCACHED_SIZE).padStart(4, '0')}`,
  figure: `reraise revive, ${UNCACHED_SIZE} services, nothing to do`, unit: 'ms',
  target: { of: 'ratio', op: '<=', limit: 2.0, text: '<= 2.0x baseline' } };
const uncachedRow: RowSpec = { id: `4-status-${String(UNCACHED_SIZE).padStart(4, '0')}-nocache`,
  figure: `reraise status, ${UNCACHED_SIZE} services, without the code cache`, unit: 'ms', target: null };

/** Wall time of one command, stdout and stderr to /dev/null; a non-zero exit is an error. */
async function timeCommand(file: string, args: readonly string[], env: NodeJS.ProcessEnv, devNull: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const child = spawn(file, args, { env, stdio: ['ignore', devNull, devNull] });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  const took = ms(t0, process.hrtime.bigint());
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${code ?? signal}`);
  return took;
}

interface CommandTimes {
  status: number[];
  bare: number[];
  ratios: number[];
}

/** `pairs` times `reraise ARGS` then node -e 0, A B A B, after one warm-up run of each. */
async function timeStatus(env: NodeJS.ProcessEnv, pairs: number, devNull: number, args = ['status']): Promise<CommandTimes> {
  await timeCommand(RERAISE, args, env, devNull); // warm-up, not counted (it writes the code cache)
  await timeCommand(process.execPath, ['-e', '0'], env, devNull);
  const status: number[] = [];
  const bare: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    status.push(await timeCommand(RERAISE, args, env, devNull));
    bare.push(await timeCommand(process.execPath, ['-e', '0'], env, devNull));
    ratios.push(status[i] / bare[i]);
  }
  return { status, bare, ratios };
}

/**
 * revive with nothing to do (SPEC 13.2): the running services wanted up, half of the others
 * stopped (wanted down), the rest never started (no want). It must print nothing.
 */
async function timeRevive(box: Sandbox, all: string[], count: number, env: NodeJS.ProcessEnv, pairs: number, devNull: number): Promise<Row> {
  const stopped = all.slice(RUNNING, RUNNING + Math.floor((count - RUNNING) / 2));
  await box.mustRun(['stop', ...stopped]);
  const check = await box.mustRun(['revive']);
  if (check.stdout !== '' || check.stderr !== '') throw new Error(`revive had something to do: ${check.stdout}${check.stderr}`);
  const t = await timeStatus(env, pairs, devNull, ['revive']);
  return row({ ...reviveRow, decimals: 1, median: median(t.status), baseline: median(t.bare),
    baselineLabel: 'node -e 0', ratio: median(t.ratios), ratioKind: 'median of pairwise ratios',
    samples: t.status, baselineSamples: t.bare,
    note: `${RUNNING} running and wanted up, ${stopped.length} stopped (wanted down), ${count - RUNNING - stopped.length} never started; ` +
      `${pairs} pairs revive / node -e 0 run A B A B; the code cache in a cache dir of the bench's own` });
}

/** The code cache files in `dir` (SPEC 12.5), none when it does not exist. */
function cacheFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.v8')) : [];
}

export const cliLatency: Figure = {
  title: 'CLI latency',
  rows: [...CLI_SIZES.map(([count, limit]) => cliRow(count, limit)), uncachedRow, reviveRow],
  async run(plan: Plan, progress): Promise<Row[]> {
    const box = Sandbox.create('cli');
    const devNull = fs.openSync('/dev/null', 'w');
    // A cache dir of the bench's own, so that the figures do not depend on the user's ~/.cache.
    const cacheHome = path.join(box.root, 'cache');
    const cached = { ...box.env, XDG_CACHE_HOME: cacheHome };
    // The same command where the cache may not be used (SPEC 12.5): a cache home writable by others.
    const looseHome = path.join(box.root, 'loose-cache');
    const uncached = { ...box.env, XDG_CACHE_HOME: looseHome };
    try {
      fs.mkdirSync(looseHome);
      fs.chmodSync(looseHome, 0o777);
      const all = names('svc-', 1000, 4);
      const rows: Row[] = [];
      let created = 0;
      for (const [count, limit] of CLI_SIZES) {
        progress(`${count} service${count === 1 ? '' : 's'}`);
        for (; created < count; created++) box.addService(all[created], sleeper(0.2));
        const running = all.slice(0, Math.min(count, RUNNING));
        await box.mustRun(['start', ...running]);
        await box.waitRunning(running);
        // Check once, with output, that status sees what it should; then time it with output to /dev/null.
        const check = await box.mustRun(['status']);
        const lines = check.stdout.trim().split('\n').filter((l) => /^svc-\d{4} /.test(l));
        const up = lines.filter((l) => /^\S+ +running /.test(l)).length;
        if (lines.length !== count || up !== running.length) {
          throw new Error(`status lists ${lines.length} services (${up} running), expected ${count} (${running.length} running)`);
        }
        const note = `${running.length} running, ${count - running.length} not started; ${plan.cliPairs} pairs status / node -e 0 run A B A B, ` +
          'ratio = median of the pairwise ratios; stdout to /dev/null';
        const t = await timeStatus(cached, plan.cliPairs, devNull);
        if (cacheFiles(path.join(cacheHome, 'reraise')).length !== 1) throw new Error(`status wrote no code cache in ${cacheHome}/reraise`);
        rows.push(row({ ...cliRow(count, limit), decimals: 1, median: median(t.status), baseline: median(t.bare),
          baselineLabel: 'node -e 0', ratio: median(t.ratios), ratioKind: 'median of pairwise ratios',
          samples: t.status, baselineSamples: t.bare, note: `${note}; the code cache in a cache dir of the bench's own` }));
        if (count !== UNCACHED_SIZE) continue;
        progress(`${count} services, without the code cache`);
        const u = await timeStatus(uncached, plan.cliPairs, devNull);
        if (fs.readdirSync(looseHome).length !== 0) throw new Error(`status wrote in ${looseHome}, which others can write to`);
        rows.push(row({ ...uncachedRow, decimals: 1, median: median(u.status), baseline: median(u.bare),
          baselineLabel: 'node -e 0', ratio: median(u.ratios), ratioKind: 'median of pairwise ratios',
          samples: u.status, baselineSamples: u.bare,
          note: `${note}; XDG_CACHE_HOME writable by others, so the CLI compiles without the code cache and writes none` }));
        progress(`${count} services, revive with nothing to do`);
        rows.push(await timeRevive(box, all, count, cached, plan.cliPairs, devNull));
        // The next size starts from these services as they were: the stopped ones are simply not running.
      }
      return rows;
    } finally {
      fs.closeSync(devNull);
      await box.dispose();
    }
  },
};

// Wants and revive through bin/reraise: what the user asked for survives dead workers, reboots and giving up (SPEC 13).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { RERAISE, cmdline, environOf as environ, isAlive, killUntilGone, never, procStat, sandbox, type Sandbox } from './sandbox.js';

const LONG = 'config_start_sec=0.2\nconfig_stop_sec=2\nexec sleep 1000\n';
/** Prints a counter every 10 ms, and where it was when told to stop: the log shows any line lost. */
const COUNTER = 'config_start_sec=0.2\nconfig_stop_sec=2\ni=0\ntrap \'echo "term at $i"; exit 0\' TERM\n' +
  'while :; do i=$((i+1)); echo "n $i"; sleep 0.01; done\n';


/** The process groups running the service now (its workers aside): more than one is two copies. */
function serviceGroups(box: Sandbox, name: string): Set<string> {
  const groups = new Set<string>();
  for (const pid of box.ourProcesses()) {
    if (!environ(pid).includes(`RERAISE_SERVICE=${name}`) || cmdline(pid).startsWith('auto-reraise')) continue;
    const stat = procStat(pid);
    if (stat && stat[0] !== 'Z') groups.add(stat[2]);
  }
  return groups;
}

/** Samples the service's groups until `done` settles; the most seen at once. */
async function mostCopiesWhile(box: Sandbox, name: string, done: Promise<unknown>): Promise<number> {
  let settled = false;
  void done.finally(() => {
    settled = true;
  });
  let most = 0;
  while (!settled) {
    most = Math.max(most, serviceGroups(box, name).size);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Math.max(most, serviceGroups(box, name).size);
}

function wantFile(box: Sandbox, name: string): string {
  return path.join(box.logDir, '.want', name);
}

function want(box: Sandbox, name: string): string | undefined {
  try {
    return fs.readFileSync(wantFile(box, name), 'utf8');
  } catch {
    return undefined;
  }
}

async function json(box: Sandbox, name: string): Promise<Record<string, unknown>> {
  const out = await box.reraise('status', '--json', name);
  return (JSON.parse(out.stdout) as Record<string, unknown>[])[0];
}

/** Starts NAME and kills its worker with SIGKILL: the service runs on, orphaned. */
async function orphan(box: Sandbox, name: string): Promise<{ service: number; worker: number; logged: number }> {
  expect((await box.reraise('start', name)).exitCode).toBe(0);
  const rec = box.pidFile(name)!;
  const worker = Number(rec.workerPid);
  const service = Number(rec.pid);
  const logged = (/^(?:\S+Z )?n (\d+)$/m.test(box.log(name)) ? Math.max(...[...box.log(name).matchAll(/^(?:\S+Z )?n (\d+)$/gm)].map((m) => Number(m[1]))) : 0);
  process.kill(worker, 'SIGKILL');
  await box.waitFor('the worker gone', () => !isAlive(worker));
  return { service, worker, logged };
}

/**
 * Nothing lost of what came after `from` (a count the log had reached when the worker was
 * killed): a line the killed worker had read but not yet written died with it, and the one after
 * may be on its way, but from there on every number is there, once, in order.
 */
function expectWholeAfter(run: number[], from: number): void {
  const after = run.filter((n) => n > from + 1);
  expect(after).toEqual(after.map((_, i) => (after[0] ?? 0) + i));
  expect(run.filter((n) => n <= from)).toEqual(run.filter((n) => n <= from).map((_, i) => i + 1));
}

/** The counter's numbers in the log, run by run: each run counts 1, 2, 3 ... with nothing missing. */
function countedRuns(log: string): number[][] {
  const runs: number[][] = [];
  for (const line of log.split('\n')) {
    // Stamped by default (SPEC 15.7): the count follows the stamp.
    const m = /^(?:\S+Z )?n (\d+)$/.exec(line);
    if (!m) continue;
    const n = Number(m[1]);
    if (n === 1) runs.push([]);
    runs[runs.length - 1].push(n);
  }
  return runs;
}

describe('wants (SPEC 13.1)', () => {
  it('start records up, stop records down, and status shows the want', async () => {
    const box = sandbox();
    box.script('web', LONG);
    box.script('idle', LONG);
    expect(want(box, 'web')).toBeUndefined();
    expect(await json(box, 'web')).toMatchObject({ wanted: 'none', nextRevival: null });
    await box.reraise('start', 'web');
    expect(want(box, 'web')).toBe('up\n');
    expect(fs.statSync(wantFile(box, 'web')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(wantFile(box, 'web'))).mode & 0o777).toBe(0o700);
    const status = await box.reraise('status');
    // Where state and want agree the panel line is as it was: the want is in --json.
    expect(status.stdout).toMatch(/^web +running +\d+ +\d+ +\S+ +0 +- +- +\S+% +\S+$/m);
    expect(status.stdout).toMatch(/^idle +not running +- +- +- +- +- +- +- +-$/m);
    expect(await json(box, 'web')).toMatchObject({ wanted: 'up', state: 'running' });
    await box.reraise('stop', 'web');
    expect(want(box, 'web')).toBe('down\n');
    expect((await box.reraise('status', 'web')).stdout).toMatch(/^web +not running +- +- +- +- +- +- +- +-$/m);
    expect(await json(box, 'web')).toMatchObject({ wanted: 'down', state: 'down' });
    // A stop of a service that does not run records down too, and is no failure.
    expect((await box.reraise('stop', 'idle')).exitCode).toBe(0);
    expect(want(box, 'idle')).toBe('down\n');
  });

  it('a service that runs while wanted down says so, and revive leaves it running', async () => {
    const box = sandbox();
    box.script('web', LONG);
    await box.reraise('start', 'web');
    fs.writeFileSync(wantFile(box, 'web'), 'down\n');
    expect((await box.reraise('status', 'web')).stdout).toMatch(/^web +running .* wanted: down, but running$/m);
    expect(await box.reraise('revive')).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(box.pidFile('web')?.state).toBe('RUN');
  });

  it('stop still stops when the want dir cannot be used, and says revive may start it again', async () => {
    const box = sandbox();
    box.script('web', LONG);
    await box.reraise('start', 'web');
    fs.chmodSync(path.join(box.logDir, '.want'), 0o777);
    const stopped = await box.reraise('stop', 'web');
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stdout).toBe('web: stopped');
    expect(stopped.stderr).toMatch(/unable to use want dir .*writable by others.*; reraise revive may start it again/);
    expect(box.pidFile('web')).toBeUndefined();
  });

  it('clean removes an ERROR file as ever, and its revival count with it: the next revive tries at once', async () => {
    const box = sandbox();
    box.script('bad', 'config_start_sec=0.3\nconfig_revive_sec=600\nexit 3\n');
    await box.reraise('start', 'bad');
    await box.waitFor('ERROR', () => box.pidFile('bad')?.state === 'ERROR');
    expect(await box.reraise('revive')).toMatchObject({ exitCode: 0, stdout: '' });
    expect((await box.reraise('clean')).stdout).toBe('bad: removed ERROR pid file (exit code 3)');
    expect((await box.reraise('revive')).stdout).toMatch(/^bad: started \(pid \d+\)$/);
  });

  it('a start that is refused (bad config) leaves the want as it was', async () => {
    const box = sandbox();
    box.script('bad', 'config_start_sec=soon\nexec sleep 1000\n');
    const out = await box.reraise('start', 'bad');
    expect(out.exitCode).toBe(1);
    expect(want(box, 'bad')).toBeUndefined();
  });

  it('RERAISE_WANTDIR puts the wants elsewhere, and the service gets it in its environment', async () => {
    const box = sandbox();
    const wantDir = path.join(box.root, 'wants');
    box.script('web', LONG);
    const env = { ...box.env, RERAISE_WANTDIR: wantDir };
    await execa(RERAISE, ['start', 'web'], { env });
    expect(fs.readFileSync(path.join(wantDir, 'web'), 'utf8')).toBe('up\n');
    expect(environ(Number(box.pidFile('web')!.pid))).toContain(`RERAISE_WANTDIR=${wantDir}`);
    await execa(RERAISE, ['stop', 'web'], { env });
  });

  it('once makes the want down at once; start takes it back; the run that ends is not revived', async () => {
    const box = sandbox();
    // Long enough to outlive four commands on a busy machine, short enough to wait for its end.
    box.script('job', 'config_start_sec=0.2\nsleep 3\n');
    await box.reraise('start', 'job');
    expect((await box.reraise('once', 'job')).exitCode).toBe(0);
    expect(want(box, 'job')).toBe('down\n');
    // Flagged once, the run is not "wanted down, but running".
    expect((await box.reraise('status', 'job')).stdout).not.toMatch(/wanted/);
    expect((await box.reraise('start', 'job')).stdout).toBe('job: skip (already running); once cleared');
    expect(want(box, 'job')).toBe('up\n');
    expect((await box.reraise('once', 'job')).exitCode).toBe(0);
    await box.waitFor('the worker gone', () => box.pidFile('job') === undefined, 8000);
    expect(want(box, 'job')).toBe('down\n');
    const revived = await box.reraise('revive');
    expect(revived).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(box.pidFile('job')).toBeUndefined();
  });

  it.each([
    ['garbage', (file: string) => fs.writeFileSync(file, 'maybe\n'), /not a want: "maybe\\n"/],
    ['empty', (file: string) => fs.writeFileSync(file, ''), /empty/],
    ['a symbolic link', (file: string) => fs.symlinkSync('/etc/hostname', file), /a symbolic link/],
    ['a FIFO', (file: string) => execa('mkfifo', [file]), /a FIFO/],
    ['a directory', (file: string) => fs.mkdirSync(file), /a directory/],
  ])('a want that is %s: an error naming it, taken as no want, nothing started', async (_, make, reason) => {
    const box = sandbox();
    box.script('web', LONG);
    fs.mkdirSync(path.dirname(wantFile(box, 'web')), { recursive: true, mode: 0o700 });
    await make(wantFile(box, 'web'));
    const revived = await box.reraise('revive');
    expect(revived.exitCode).toBe(1);
    expect(revived.stdout).toBe('');
    expect(revived.stderr).toContain(`reraise: web: unable to use want ${wantFile(box, 'web')} (RERAISE_WANTDIR, default): `);
    expect(revived.stderr).toMatch(reason);
    expect(revived.stderr).toMatch(/taken as no want/);
    expect(box.pidFile('web')).toBeUndefined();
    const status = await box.reraise('status', 'web');
    expect(status.exitCode).toBe(0);
    expect(status.stderr).toMatch(reason);
    expect(status.stdout).toMatch(/^web +not running/m);
  });

  it('an unreadable want (mode 000) is refused by name when revive runs as a user who cannot read it', async () => {
    if (process.getuid!() === 0) return; // root reads it anyway: the users suite covers other users
    const box = sandbox();
    box.script('web', LONG);
    fs.mkdirSync(path.dirname(wantFile(box, 'web')), { recursive: true, mode: 0o700 });
    fs.writeFileSync(wantFile(box, 'web'), 'up\n', { mode: 0 });
    const revived = await box.reraise('revive');
    expect(revived.exitCode).toBe(1);
    expect(revived.stderr).toMatch(/permission denied/);
    expect(box.pidFile('web')).toBeUndefined();
  });
});

describe('revive (SPEC 13.2)', () => {
  it('prints nothing and exits 0 when there is nothing to do', async () => {
    const box = sandbox();
    box.script('web', LONG);
    box.script('never', LONG);
    await box.reraise('start', 'web');
    const revived = await box.reraise('revive');
    expect(revived).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
  });

  it('starts a service wanted up that is not running, and only that one', async () => {
    const box = sandbox();
    for (const name of ['up1', 'up2', 'down1', 'none1']) box.script(name, LONG);
    fs.mkdirSync(path.join(box.logDir, '.want'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(wantFile(box, 'up1'), 'up\n');
    fs.writeFileSync(wantFile(box, 'up2'), 'up\n');
    fs.writeFileSync(wantFile(box, 'down1'), 'down\n');
    const revived = await box.reraise('revive');
    expect(revived.exitCode).toBe(0);
    expect(revived.stdout.split('\n')).toEqual([
      expect.stringMatching(/^up1: started \(pid \d+\)$/),
      expect.stringMatching(/^up2: started \(pid \d+\)$/),
    ]);
    expect(box.pidFile('up1')?.state).toBe('RUN');
    expect(box.pidFile('down1')).toBeUndefined();
    expect(box.pidFile('none1')).toBeUndefined();
    // Patterns narrow it, as for every command; one that matches nothing is an error.
    await box.reraise('stop', 'up1');
    fs.writeFileSync(wantFile(box, 'up1'), 'up\n');
    const narrowed = await box.reraise('revive', 'up2', 'nope*');
    expect(narrowed.exitCode).toBe(1);
    expect(narrowed.stdout).toBe('');
    expect(narrowed.stderr).toMatch(/nope\*: no such service/);
    expect(box.pidFile('up1')).toBeUndefined();
  });

  it('kill -9 of the worker: revive puts the service back under a new worker, no line lost, never two copies', async () => {
    const box = sandbox();
    box.script('cnt', COUNTER);
    const { service, logged } = await orphan(box, 'cnt');
    // It goes on writing into the pipe nobody reads while it is orphaned.
    await new Promise((r) => setTimeout(r, 300));
    expect((await box.reraise('status', 'cnt')).stdout).toMatch(/^cnt +orphaned .*wanted: up: reraise revive takes it over$/m);
    const reviving = box.reraise('revive');
    expect(await mostCopiesWhile(box, 'cnt', reviving)).toBe(1);
    const revived = await reviving;
    expect(revived.exitCode).toBe(0);
    const rec = box.pidFile('cnt')!;
    expect(revived.stdout).toBe(`cnt: took over orphaned pid ${service}; running again as pid ${rec.pid}`);
    expect(isAlive(service)).toBe(false);
    const worker = Number(rec.workerPid);
    expect(cmdline(worker)).toBe('auto-reraise cnt');
    expect((await box.reraise('status', 'cnt')).stdout).toMatch(new RegExp(`^cnt +running +${rec.pid} +${worker} `, 'm'));
    // Its output reaches the log again, and stop goes through the new worker.
    await box.waitFor('the new run in the log', () => countedRuns(box.log('cnt')).length === 2 && countedRuns(box.log('cnt'))[1].length > 5);
    expect((await box.reraise('stop', 'cnt')).stdout).toBe('cnt: stopped');
    expect(isAlive(worker)).toBe(false);
    const log = box.log('cnt');
    expect(log).toMatch(/taking over orphaned pid \d+ \(its worker is gone\): stopping it to run it again under this worker/);
    const runs = countedRuns(log);
    expect(runs).toHaveLength(2);
    // Every number from the kill to where the orphan was stopped, none twice, none missing.
    expectWholeAfter(runs[0], logged);
    expect(runs[1]).toEqual(runs[1].map((_, i) => i + 1));
    const stoppedAt = /term at (\d+)/.exec(log)!;
    expect(runs[0][runs[0].length - 1]).toBe(Number(stoppedAt[1]));
    expect(log.indexOf('orphaned service stopped')).toBeGreaterThan(log.indexOf(`term at ${stoppedAt[1]}`));
  });

  it('an orphan that ignores the stop signal is killed after config_stop_sec, then run again', async () => {
    const box = sandbox();
    box.script('stubborn', 'config_start_sec=0.2\nconfig_stop_sec=0.5\ntrap "" TERM\nwhile :; do sleep 0.05; done\n');
    const { service } = await orphan(box, 'stubborn');
    const revived = await box.reraise('revive');
    expect(revived.stdout).toMatch(new RegExp(`^stubborn: took over orphaned pid ${service}; running again as pid \\d+$`));
    expect(box.log('stubborn')).toMatch(/orphaned service stopped \(after SIGKILL\)/);
    expect(serviceGroups(box, 'stubborn').size).toBe(1);
  });

  it('start still refuses an orphan; stop of an orphan marks it down and revive leaves it alone', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const { service } = await orphan(box, 'web');
    const started = await box.reraise('start', 'web');
    expect(started.exitCode).toBe(1);
    expect(started.stderr).toMatch(/orphaned: service pid \d+ is still running without its worker/);
    expect((await box.reraise('stop', 'web')).stdout).toBe(`web: stopped orphaned service (pid ${service})`);
    expect(want(box, 'web')).toBe('down\n');
    expect(await box.reraise('revive')).toMatchObject({ exitCode: 0, stdout: '' });
    expect(box.pidFile('web')).toBeUndefined();
  });

  it('while a takeover runs: status says running under the new worker, a second revive says nothing, a stop stops it', async () => {
    const box = sandbox();
    box.script('stub', 'config_start_sec=0.2\nconfig_stop_sec=2\ntrap "" TERM\nwhile :; do sleep 0.05; done\n');
    const { service } = await orphan(box, 'stub');
    const first = box.reraise('revive');
    const worker = await box.waitFor('the new worker in the record', () => {
      const rec = box.pidFile('stub');
      return rec && rec.pid === String(service) && rec.workerPid !== '-' && isAlive(Number(rec.workerPid)) ? Number(rec.workerPid) : undefined;
    });
    expect((await box.reraise('status', 'stub')).stdout).toMatch(new RegExp(`^stub +running +${service} +${worker} `, 'm'));
    expect(await box.reraise('revive')).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    const stopped = await box.reraise('stop', 'stub');
    expect(stopped).toMatchObject({ exitCode: 0, stdout: 'stub: stopped' });
    expect(await first).toMatchObject({ exitCode: 0, stdout: '' });
    expect(isAlive(service)).toBe(false);
    expect(isAlive(worker)).toBe(false);
    expect(box.pidFile('stub')).toBeUndefined();
    expect(serviceGroups(box, 'stub').size).toBe(0);
  });

  it('while a takeover runs, an orphan that was not yet ready still says so: starting, and ready false in --json (SPEC 14.1)', async () => {
    const box = sandbox();
    box.script('slowup', 'config_ready_fd=3\nconfig_ready_sec=60\nconfig_stop_sec=2\ntrap "" TERM\nwhile :; do sleep 0.05; done\n');
    const { service } = await orphan(box, 'slowup');
    expect(box.pidFile('slowup')?.extra.ready).toBe('0');
    const reviving = box.reraise('revive');
    const worker = await box.waitFor('the new worker in the record', () => {
      const rec = box.pidFile('slowup');
      return rec && rec.pid === String(service) && rec.workerPid !== '-' && isAlive(Number(rec.workerPid)) ? Number(rec.workerPid) : undefined;
    });
    expect(box.pidFile('slowup')?.extra.ready).toBe('0');
    expect((await box.reraise('status', 'slowup')).stdout).toMatch(new RegExp(`^slowup +starting +${service} +${worker} `, 'm'));
    expect(JSON.parse((await box.reraise('status', '--json', 'slowup')).stdout)[0]).toMatchObject({ pid: service, ready: false });
    expect((await box.reraise('stop', 'slowup')).exitCode).toBe(0);
    expect((await reviving).exitCode).toBe(0);
    expect(isAlive(service)).toBe(false);
  });

  it('an orphan whose record a cleaner took: start refuses it by pid and gives it its record back; revive takes it over', async () => {
    const box = sandbox();
    box.script('cnt', COUNTER);
    const { service, logged } = await orphan(box, 'cnt');
    fs.unlinkSync(path.join(box.pidDir, 'cnt'));
    const started = await box.reraise('start', 'cnt');
    expect(started.exitCode).toBe(1);
    expect(started.stderr).toContain(`cnt: orphaned: service pid ${service} is still running without its worker`);
    expect(serviceGroups(box, 'cnt').size).toBe(1);
    expect((await box.reraise('status', 'cnt')).stdout).toMatch(new RegExp(`^cnt +orphaned +${service} `, 'm'));
    fs.unlinkSync(path.join(box.pidDir, 'cnt'));
    const reviving = box.reraise('revive');
    expect(await mostCopiesWhile(box, 'cnt', reviving)).toBe(1);
    expect((await reviving).stdout).toMatch(new RegExp(`^cnt: took over orphaned pid ${service}; running again as pid \\d+$`));
    await box.reraise('stop', 'cnt');
    const runs = countedRuns(box.log('cnt'));
    expectWholeAfter(runs[0], logged);
    expect(runs[1]).toEqual(runs[1].map((_, i) => i + 1));
  });

  it('a pid dir named through a symbolic link: the takeover still finds the orphan\'s pipe and loses no line', async () => {
    const box = sandbox();
    // A link above the pid dir (the pid dir itself may not be one: SPEC 12.2).
    const realParent = path.join(box.root, 'real');
    fs.mkdirSync(realParent, { mode: 0o700 });
    const linkParent = path.join(box.root, 'link');
    fs.symlinkSync(realParent, linkParent);
    const real = path.join(realParent, 'pids');
    box.script('cnt', COUNTER);
    const env = { ...box.env, RERAISE_PIDDIR: path.join(linkParent, 'pids') };
    const run = (...args: string[]) => execa(RERAISE, args, { env, reject: false });
    const marker = `RERAISE_PIDDIR=${env.RERAISE_PIDDIR}`;
    const ours = (): number[] => fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number)
      .filter((pid) => pid !== process.pid && environ(pid).includes(marker));
    try {
      expect((await run('start', 'cnt')).exitCode).toBe(0);
      const rec = fs.readFileSync(path.join(real, 'cnt'), 'utf8').split(' ');
      await box.waitFor('a few lines', () => countedRuns(box.log('cnt'))[0]?.length > 3);
      const logged = Math.max(...countedRuns(box.log('cnt'))[0]);
      process.kill(Number(rec[3]), 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      expect((await run('revive')).stdout).toMatch(/^cnt: took over orphaned pid \d+/);
      await box.waitFor('the new run in the log', () => countedRuns(box.log('cnt')).length === 2 && countedRuns(box.log('cnt'))[1].length > 3);
      await run('stop', 'cnt');
      const runs = countedRuns(box.log('cnt'));
      expectWholeAfter(runs[0], logged);
      expect(runs[1]).toEqual(runs[1].map((_, i) => i + 1));
      expect(runs[0][runs[0].length - 1]).toBe(Number(/term at (\d+)/.exec(box.log('cnt'))![1]));
    } finally {
      // Every process of this test carries the link's path: the sandbox's own cleanup would miss them.
      await killUntilGone(ours);
    }
  });

  it('a worker killed while it stops its service: stop ends what is left and never says stopped while it runs', async () => {
    const box = sandbox();
    box.script('stub', 'config_start_sec=0.2\nconfig_stop_sec=2\ntrap "" TERM\nwhile :; do sleep 0.05; done\n');
    await box.reraise('start', 'stub');
    const rec = box.pidFile('stub')!;
    const stopping = box.reraise('stop', 'stub');
    // Well inside the stop's 2 s of grace, whenever the stop's signal reached the worker.
    await new Promise((r) => setTimeout(r, 300));
    process.kill(Number(rec.workerPid), 'SIGKILL');
    const stopped = await stopping;
    expect(stopped.exitCode, stopped.all).toBe(0);
    expect(stopped.stdout).toMatch(new RegExp(`^stub: stopped orphaned service \\(pid ${rec.pid}, after SIGKILL\\)$`));
    expect(serviceGroups(box, 'stub').size).toBe(0);
  });

  it('an orphan with no want is left alone (status says so)', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const { service } = await orphan(box, 'web');
    fs.unlinkSync(wantFile(box, 'web'));
    expect(await box.reraise('revive')).toMatchObject({ exitCode: 0, stdout: '' });
    expect(isAlive(service)).toBe(true);
    await box.reraise('stop', 'web');
  });

  it('a worker killed in the retry wait (STOP): revive starts the service again', async () => {
    const box = sandbox();
    // Good first run, then quick exits with a long retry wait.
    const marker = path.join(box.root, 'ran-once');
    box.script('flaky', `config_start_sec=0.3\nconfig_retry_sec=60\nconfig_max_retry=3\nif [ -e ${marker} ]; then exit 4; fi\ntouch ${marker}\nsleep 0.5\nexit 1\n`);
    await box.reraise('start', 'flaky');
    // The second quick exit waits 60 s before its retry.
    await box.waitFor('the long retry wait', () => box.pidFile('flaky')?.state === 'STOP' && box.pidFile('flaky')!.extra.retries === '2', 15_000);
    const worker = Number(box.pidFile('flaky')!.workerPid);
    process.kill(worker, 'SIGKILL');
    await box.waitFor('the worker gone', () => !isAlive(worker));
    expect((await box.reraise('status', 'flaky')).stdout).toMatch(/^flaky +stale .*wanted: up, not running: reraise revive starts it$/m);
    fs.unlinkSync(marker);
    const revived = await box.reraise('revive');
    expect(revived.stdout).toMatch(/^flaky: started \(pid \d+\)$/);
    expect(box.pidFile('flaky')?.state).toBe('RUN');
  });

  it('a worker killed while its service is starting (inside config_start_sec): revive takes it over', async () => {
    const box = sandbox();
    box.script('slow', 'config_start_sec=30\nconfig_stop_sec=2\nexec sleep 1000\n');
    const { service } = await orphan(box, 'slow');
    const revived = await box.reraise('revive');
    expect(revived.stdout).toMatch(new RegExp(`^slow: took over orphaned pid ${service}; running again as pid \\d+$`));
    expect(serviceGroups(box, 'slow').size).toBe(1);
  });

  it('two revives at once, and a revive beside a start: one worker, one service', async () => {
    const box = sandbox();
    box.script('web', LONG);
    fs.mkdirSync(path.join(box.logDir, '.want'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(wantFile(box, 'web'), 'up\n');
    const runs = [box.reraise('revive'), box.reraise('revive'), box.reraise('start', 'web'), box.reraise('revive')];
    const most = await mostCopiesWhile(box, 'web', Promise.all(runs));
    const results = await Promise.all(runs);
    expect(most).toBe(1);
    for (const r of results) expect(r.exitCode, r.all).toBe(0);
    const started = results.filter((r) => /started/.test(r.stdout));
    expect(started).toHaveLength(1);
    const workers = box.ourProcesses().filter((pid) => cmdline(pid) === 'auto-reraise web');
    expect(workers).toHaveLength(1);
    // A concurrent orphan takeover too: two revives, one new worker.
    process.kill(workers[0], 'SIGKILL');
    await box.waitFor('the worker gone', () => !isAlive(workers[0]));
    const both = [box.reraise('revive'), box.reraise('revive')];
    expect(await mostCopiesWhile(box, 'web', Promise.all(both))).toBe(1);
    const took = (await Promise.all(both)).filter((r) => /took over/.test(r.stdout));
    expect(took).toHaveLength(1);
    expect(box.ourProcesses().filter((pid) => cmdline(pid) === 'auto-reraise web')).toHaveLength(1);
  });

  it('a revive racing a stop: the want decides, nothing is left running', async () => {
    const box = sandbox();
    box.script('web', LONG);
    for (let round = 0; round < 5; round++) {
      fs.mkdirSync(path.join(box.logDir, '.want'), { recursive: true, mode: 0o700 });
      fs.writeFileSync(wantFile(box, 'web'), 'up\n');
      const [, stopped] = await Promise.all([box.reraise('revive'), box.reraise('stop', 'web')]);
      expect(stopped.exitCode, stopped.all).toBe(0);
      expect(want(box, 'web')).toBe('down\n');
      // Whatever order they ran in, a stop that said "stopped" or "not running" leaves nothing.
      if (box.pidFile('web')?.state === 'RUN') await box.reraise('stop', 'web');
      await box.waitFor('nothing running', () => serviceGroups(box, 'web').size === 0);
      await never(() => serviceGroups(box, 'web').size > 0, 200);
    }
  });

  it('ERROR wanted up: tried again after a gap that doubles, reset by a good run; status says when', async () => {
    const box = sandbox();
    const good = path.join(box.root, 'good');
    box.script('bad', `config_start_sec=0.3\nconfig_revive_sec=1\nif [ -e ${good} ]; then exec sleep 1000; fi\nexit 3\n`);
    await box.reraise('start', 'bad');
    await box.waitFor('ERROR', () => box.pidFile('bad')?.state === 'ERROR');
    expect(box.pidFile('bad')!.extra).toMatchObject({ revivals: '0', revive_sec: '1' });
    const first = await json(box, 'bad');
    expect(first).toMatchObject({ state: 'error', wanted: 'up' });
    expect(first.nextRevival).toBe(Number(box.pidFile('bad')!.epoch) + 1);
    await box.waitFor('the first revival due', () => Date.now() / 1000 >= Number(first.nextRevival), 5000);
    const r1 = await box.reraise('revive');
    expect(r1.stdout).toMatch(/^bad: revived after ERROR \(pid \d+, revival 1\)$/);
    await box.waitFor('ERROR again', () => box.pidFile('bad')?.state === 'ERROR' && box.pidFile('bad')!.extra.revivals === '1');
    // Not due for 2 s: a revive now does nothing, and says nothing.
    const early = await box.reraise('revive');
    expect(early).toMatchObject({ exitCode: 0, stdout: '' });
    const second = await json(box, 'bad');
    expect(second.nextRevival).toBe(Number(box.pidFile('bad')!.epoch) + 2);
    expect((await box.reraise('status', 'bad')).stdout).toMatch(/wanted: up: next revival in [12]s|wanted: up: revival due/);
    await box.waitFor('the second revival due', () => Date.now() / 1000 >= Number(second.nextRevival), 5000);
    fs.writeFileSync(good, '');
    const r2 = await box.reraise('revive');
    expect(r2.stdout).toMatch(/^bad: revived after ERROR \(pid \d+, revival 2\)$/);
    expect((await json(box, 'bad')).state).toBe('running');
  });

  it('ERROR wanted down is left alone; a start by hand counts revivals from 0 again', async () => {
    const box = sandbox();
    box.script('bad', 'config_start_sec=0.3\nconfig_revive_sec=0\nexit 3\n');
    await box.reraise('start', 'bad');
    await box.waitFor('ERROR', () => box.pidFile('bad')?.state === 'ERROR');
    await box.reraise('revive');
    await box.waitFor('ERROR after a revival', () => box.pidFile('bad')?.state === 'ERROR' && box.pidFile('bad')!.extra.revivals === '1');
    await box.reraise('start', 'bad');
    await box.waitFor('ERROR after the start', () => box.pidFile('bad')?.state === 'ERROR' && box.pidFile('bad')!.extra.revivals === '0');
    await box.reraise('stop', 'bad');
    expect(await box.reraise('revive')).toMatchObject({ exitCode: 0, stdout: '' });
    expect(box.pidFile('bad')?.extra.revivals).toBe('0');
  });

  it('cleans stale pid files, and drops the wants of services whose script is gone', async () => {
    const box = sandbox();
    box.script('web', LONG);
    box.script('gone', LONG);
    await box.reraise('start', 'web', 'gone');
    const worker = Number(box.pidFile('gone')!.workerPid);
    const service = Number(box.pidFile('gone')!.pid);
    process.kill(worker, 'SIGKILL');
    process.kill(service, 'SIGKILL');
    await box.waitFor('both gone', () => !isAlive(worker) && !isAlive(service));
    fs.unlinkSync(path.join(box.dir, 'gone'));
    // A stale record of a service with no want is cleaned too.
    fs.writeFileSync(path.join(box.pidDir, 'old'), 'STOP 1 - 999999 1700000000\n');
    const revived = await box.reraise('revive');
    expect(revived.exitCode).toBe(0);
    expect(revived.stdout.split('\n')).toEqual([
      `gone: want dropped: no such service in ${box.dir} (RERAISE_DIR)`,
      'old: removed stale pid file',
    ]);
    expect(want(box, 'gone')).toBeUndefined();
    expect(box.pidFile('gone')).toBeUndefined();
    expect(box.pidFile('old')).toBeUndefined();
    expect(box.pidFile('web')?.state).toBe('RUN');
  });

  it('a service wanted up that cannot run is a failure, named, and nothing else is held back', async () => {
    const box = sandbox();
    box.script('noexec', LONG, 0o644);
    box.script('web', LONG);
    fs.mkdirSync(path.join(box.logDir, '.want'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(wantFile(box, 'noexec'), 'up\n');
    fs.writeFileSync(wantFile(box, 'web'), 'up\n');
    const revived = await box.reraise('revive');
    expect(revived.exitCode).toBe(1);
    expect(revived.stderr).toMatch(/^reraise: noexec: .*not executable/m);
    expect(revived.stdout).toMatch(/^web: started/);
  });

  it('the reboot: every worker and service killed, the pid dir emptied; revive brings back exactly those wanted up', async () => {
    const box = sandbox();
    for (const name of ['a', 'b', 'c', 'd']) box.script(name, LONG);
    box.script('p', 'config_start_sec=0.2\nexec sleep 1000\n');
    await box.reraise('start', 'a', 'b', 'c', 'p');
    await box.reraise('stop', 'c');
    await box.reraise('once', 'p');
    // The machine goes down: everything dies at once, nobody cleans up.
    await killUntilGone(() => box.ourProcesses());
    fs.rmSync(box.pidDir, { recursive: true, force: true });
    const revived = await box.reraise('revive');
    expect(revived.exitCode, revived.all).toBe(0);
    // p was flagged once: that run was its last, whether or not it had ended.
    expect(revived.stdout.split('\n').map((l) => l.split(':')[0])).toEqual(['a', 'b']);
    for (const name of ['a', 'b']) expect(box.pidFile(name)?.state, name).toBe('RUN');
    for (const name of ['c', 'd', 'p']) expect(box.pidFile(name), name).toBeUndefined();
    // The pid dir kept across the reboot: records of dead pids are stale, not running.
    for (const pid of box.ourProcesses()) process.kill(pid, 'SIGKILL');
    await box.waitFor('all gone', () => box.ourProcesses().length === 0);
    const again = await box.reraise('revive');
    expect(again.stdout.split('\n').map((l) => l.split(':')[0])).toEqual(['a', 'b']);
  });

  it('an rc.log service: the old rc.log finishes the orphan\'s output before the new one starts', async () => {
    const box = sandbox();
    const dir = path.join(box.dir, 'perp');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'rc.main'), `#!/bin/sh\n[ "$1" = start ] || exit 0\n${COUNTER}`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'rc.log'), '#!/bin/sh\nexec reraise logger "$2"\n', { mode: 0o755 });
    const { service } = await orphan(box, 'perp');
    await new Promise((r) => setTimeout(r, 300));
    const revived = await box.reraise('revive');
    expect(revived.stdout).toMatch(new RegExp(`^perp: took over orphaned pid ${service}; running again as pid \\d+$`));
    await box.waitFor('the new run in the log', () => countedRuns(box.log('perp')).length === 2);
    await box.reraise('stop', 'perp');
    const runs = countedRuns(box.log('perp'));
    for (const run of runs) expect(run).toEqual(run.map((_, i) => i + 1));
    const loggers = box.ourProcesses().filter((pid) => cmdline(pid).includes('logger'));
    expect(loggers).toEqual([]);
  });

  it('revive --help goes through the full CLI; options are checked', async () => {
    const box = sandbox();
    const help = await box.reraise('revive', '--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/revive/);
    const bad = await box.reraise('revive', '--nope');
    expect(bad.exitCode).toBe(2);
    expect(await box.reraise('boot')).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('reraise: boot: missing what to do: install, remove or show') });
    expect(await box.reraise('boot', 'frob')).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('reraise: boot: unknown "frob": install, remove or show') });
  });
});

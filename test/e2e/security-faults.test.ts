// Faults that must not hang or lie (SPEC 4, 5.2, 6, 7, 12.6): a FIFO or a device where a script, rc.main,
// rc.log, a pid file or a log file is expected never blocks a command or a worker; a full or read-only pid dir
// makes start fail clearly and status say what it cannot know; a worker's memory stays bounded whatever its
// service prints; a service name that starts with `-` is named after `--`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CAN_USE_USERS, ROOT, argvOf, canMount, environ, mountTmpfs, processesOf, runAs, scratch, useUsers, usePackage, userBox, waitFor,
  writeFor, type Box, type RunResult, type User,
} from './users.js';
import { sandbox } from './sandbox.js';

const LONG = 'config_start_sec=0.2\nconfig_stop_sec=1\nexec sleep 1000\n';
/** Long enough to notice a hang, short enough to keep the suite fast. */
const WITHIN = 5000;

/** Runs the commands, four at a time, each with a timeout; every one must have returned by itself. */
async function noneBlocks(box: Box, commands: string[][]): Promise<Map<string, RunResult>> {
  const results = new Map<string, RunResult>();
  for (let i = 0; i < commands.length; i += 4) {
    const batch = commands.slice(i, i + 4);
    const done = await Promise.all(batch.map((args) => box.reraiseWithin(WITHIN, ...args)));
    batch.forEach((args, j) => results.set(args.join(' '), done[j]));
  }
  const blocked = [...results].filter(([, r]) => r.timedOut).map(([cmd]) => cmd);
  expect(blocked, 'commands that blocked (killed after 5 s)').toEqual([]);
  return results;
}

async function mkfifo(user: User, file: string, mode = '755'): Promise<void> {
  const r = await runAs(user, ['mkfifo', '-m', mode, file], { PATH: '/usr/bin:/bin' });
  expect(r.exitCode, r.stderr).toBe(0);
}

/** A character device (1,5: /dev/zero) of the user's at `file`. */
function mknodZero(user: User, file: string): void {
  execFileSync('mknod', ['-m', '755', file, 'c', '1', '5']);
  fs.chownSync(file, user.uid, user.gid);
}

function workersOf(user: User, name: string): number[] {
  return processesOf(user.uid).filter((pid) => argvOf(pid).join(' ') === `auto-reraise ${name}`);
}

/** Every process of the sandbox's user that belongs to it (its pid dir in the environment). */
function running(box: Box): number[] {
  return processesOf(box.user.uid).filter((pid) => environ(pid).includes(`RERAISE_PIDDIR=${box.pidDir}`));
}

async function nothingLeft(box: Box): Promise<void> {
  await waitFor('nothing of the service left running', () => running(box).length === 0, 5000);
}

/** The state word of `name` in the status panel. */
function stateOf(stdout: string, name: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} `));
  const rest = line?.slice(name.length).trim();
  return rest && (/^(not running|not executable)\b/.exec(rest)?.[1] ?? rest.split(/\s/)[0]);
}

describe.runIf(CAN_USE_USERS)('a FIFO or a device where a file is expected', () => {
  const users = useUsers();
  const pkg = usePackage();

  it.each([
    ['a FIFO as a script', 'fifo-script'],
    ['a device as a script', 'device-script'],
    ['a FIFO as rc.main', 'fifo-main'],
    ['a device as rc.main', 'device-main'],
  ])('%s: no command blocks, start refuses it by name', async (_label, kind) => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    let file: string;
    if (kind.endsWith('script')) {
      file = path.join(box.dir, 'web');
    } else {
      fs.mkdirSync(path.join(box.dir, 'web'));
      fs.chownSync(path.join(box.dir, 'web'), owner.uid, owner.gid);
      file = path.join(box.dir, 'web', 'rc.main');
    }
    if (kind.startsWith('fifo')) await mkfifo(owner, file);
    else mknodZero(owner, file);
    const results = await noneBlocks(box, [
      ['status'], ['status', 'web'], ['status', '--json'], ['list'], ['start', 'web'], ['start', '*'], ['start', '--wait', 'web'],
      ['restart', 'web'], ['stop', 'web'], ['clean'], ['log', 'web'], ['signal', 'HUP', 'web'], ['once', 'web'],
    ]);
    const start = results.get('start web')!;
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toContain(file);
    expect(results.get('status web')!.stdout).toMatch(/^web +not executable/m);
    await nothingLeft(box);
    expect(fs.lstatSync(file).isFIFO() || fs.lstatSync(file).isCharacterDevice()).toBe(true);
  });

  it('a FIFO as rc.log: no command blocks; start refuses it by name, or starts the service and it stops', async () => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    const dir = path.join(box.dir, 'web');
    fs.mkdirSync(dir);
    fs.chownSync(dir, owner.uid, owner.gid);
    writeFor(path.join(dir, 'rc.main'), owner, LONG);
    const log = path.join(dir, 'rc.log');
    await mkfifo(owner, log);
    const results = await noneBlocks(box, [['status'], ['list'], ['start', 'web'], ['status', 'web']]);
    const start = results.get('start web')!;
    if (start.exitCode === 0) {
      await noneBlocks(box, [['status', 'web'], ['log', 'web'], ['stop', 'web']]);
    } else {
      expect(start.stderr).toContain(log);
    }
    await nothingLeft(box);
  });

  it.each([
    ['the script', 'script'],
    ['rc.main', 'rc.main'],
  ])('%s replaced by a FIFO under a running service: the worker does not block, status and stop work', async (_label, kind) => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    const body = 'config_start_sec=0\nconfig_stop_sec=1\nexec sleep 1000\n';
    let file: string;
    if (kind === 'script') {
      file = box.script('web', body);
    } else {
      fs.mkdirSync(path.join(box.dir, 'web'));
      fs.chownSync(path.join(box.dir, 'web'), owner.uid, owner.gid);
      file = writeFor(path.join(box.dir, 'web', 'rc.main'), owner, body);
    }
    const started = await box.reraise('start', 'web');
    expect(started.exitCode, started.stderr).toBe(0);
    const [, , pid, worker] = box.pidRecord('web')!;
    const swap = await runAs(owner, ['sh', '-c', 'rm -f "$0" && mkfifo -m 755 "$0"', file], { PATH: '/usr/bin:/bin' });
    expect(swap.exitCode, swap.stderr).toBe(0);
    // config_start_sec=0: the run was a success, so the worker reads its config again for the next one.
    process.kill(Number(pid), 'SIGKILL');
    await waitFor('the killed run gone', () => !processesOf(owner.uid).includes(Number(pid)), 5000);
    const results = await noneBlocks(box, [['status', 'web'], ['stop', 'web']]);
    expect(results.get('stop web')!.exitCode, results.get('stop web')!.stderr).toBe(0);
    await waitFor('the worker gone', () => !workersOf(owner, 'web').includes(Number(worker)), 3000);
    await nothingLeft(box);
  });

  it('a FIFO as a pid file: no command blocks, and clean leaves it alone', async () => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    box.script('web', LONG);
    expect((await box.reraise('status')).exitCode).toBe(0);
    const fifo = path.join(box.pidDir, 'web');
    await mkfifo(owner, fifo, '600');
    const results = await noneBlocks(box, [
      ['status'], ['status', 'web'], ['status', '--json'], ['list'], ['clean'], ['log', 'web'], ['stop', 'web'],
    ]);
    expect(results.get('status')!.stdout, 'status does not say it runs').not.toMatch(/^web +running/m);
    expect(fs.lstatSync(fifo).isFIFO(), 'clean left the FIFO alone').toBe(true);
    // One after the other: a stop run beside a start may come first, and then rightly stops nothing.
    for (const args of [['start', 'web'], ['status', 'web'], ['stop', 'web']]) await noneBlocks(box, [args]);
    await nothingLeft(box);
  });

  it('a FIFO as <log dir>/NAME/current: no command blocks, log names it, and the worker does not block on it', async () => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    // More than a pipe holds: a writer blocked on the FIFO would never get past it.
    const printed = path.join(box.root, 'printed');
    box.script('web', `config_start_sec=0.2\nconfig_stop_sec=1\nhead -c 300000 /dev/zero | tr "\\0" x; echo\ntouch ${printed}\nexec sleep 1000\n`);
    fs.mkdirSync(box.logDir, { mode: 0o700 });
    fs.mkdirSync(path.join(box.logDir, 'web'), { mode: 0o700 });
    fs.chownSync(box.logDir, owner.uid, owner.gid);
    fs.chownSync(path.join(box.logDir, 'web'), owner.uid, owner.gid);
    const current = path.join(box.logDir, 'web', 'current');
    await mkfifo(owner, current, '600');
    const log = (await noneBlocks(box, [['log', 'web'], ['log', '-n', '1', 'web']])).get('log web')!;
    expect(log.exitCode).not.toBe(0);
    expect(log.stderr).toContain(current);
    const results = await noneBlocks(box, [['start', 'web']]);
    await noneBlocks(box, [['status', 'web']]);
    if (results.get('start web')!.exitCode === 0) {
      // The worker takes the 300 kB line (a pipe holds 64 kB): a worker stuck on the FIFO would leave the script stuck too.
      await waitFor('the service past its output', () => fs.existsSync(printed), WITHIN);
      const later = await noneBlocks(box, [['status', 'web'], ['stop', 'web']]);
      expect(later.get('stop web')!.exitCode, later.get('stop web')!.stderr).toBe(0);
    }
    await nothingLeft(box);
  });
});

describe.runIf(CAN_USE_USERS)('a full or read-only pid dir', () => {
  const users = useUsers();
  const pkg = usePackage();

  /** Fills a tmpfs: files until no inode is left, then one until no block is left. */
  function fill(dir: string, user: User): void {
    for (let i = 0; ; i++) {
      try {
        fs.writeFileSync(path.join(dir, `.fill-${i}`), '');
        fs.chownSync(path.join(dir, `.fill-${i}`), user.uid, user.gid);
      } catch {
        break;
      }
    }
    try {
      fs.unlinkSync(path.join(dir, '.fill-0'));
      const fd = fs.openSync(path.join(dir, '.fill-0'), 'w');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(4096));
      } catch {
        // full
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // no inode left even for that: full enough
    }
  }

  async function startFails(box: Box): Promise<void> {
    const r = await box.reraiseWithin(10_000, 'start', 'web');
    expect(r.timedOut).toBe(false);
    expect(r.stdout, 'start must not say it started').not.toMatch(/started|already running/);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^reraise: /m);
    expect(r.stderr, 'the error names the pid dir').toContain(box.pidDir);
    expect(r.stderr, 'and its variable (SPEC 2)').toContain('RERAISE_PIDDIR');
    await nothingLeft(box);
  }

  it.runIf(canMount())('full (a tiny tmpfs): start fails with an error naming the pid dir and leaves nothing running', async () => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    box.script('web', LONG);
    mountTmpfs(box.pidDir, `size=16k,nr_inodes=16,mode=0700,uid=${owner.uid},gid=${owner.gid}`);
    fill(box.pidDir, owner);
    await startFails(box);
  });

  it('read-only for the owner (chmod 0500 of their own pid dir): start fails naming it, nothing runs', async () => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    box.script('web', LONG);
    expect((await box.reraise('status')).exitCode).toBe(0);
    fs.chmodSync(box.pidDir, 0o500);
    await startFails(box);
  });

  it.runIf(canMount())('read-only for root (a read-only mount): start fails naming it, nothing runs', async () => {
    const box = userBox(pkg, ROOT, { base: scratch('root') });
    box.script('web', LONG);
    mountTmpfs(box.pidDir, 'size=64k,mode=0700');
    execFileSync('mount', ['-o', 'remount,ro', box.pidDir]);
    await startFails(box);
  });

  it.each([
    ['made read-only (the owner: chmod 0500)', 'read-only'],
    ...(canMount() ? [['filled up (a tiny tmpfs)', 'full']] : []),
  ])('%s under a running service: status warns, and says unknown, never not running, once the record is out of date', async (_label, how) => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    box.script('web', 'config_start_sec=0\nconfig_stop_sec=1\nexec sleep 1000\n');
    if (how === 'full') mountTmpfs(box.pidDir, `size=16k,nr_inodes=16,mode=0700,uid=${owner.uid},gid=${owner.gid}`);
    expect((await box.reraise('start', 'web')).exitCode).toBe(0);
    const [, , pid, workerPid] = box.pidRecord('web')!;
    const worker = Number(workerPid);
    if (how === 'full') fill(box.pidDir, owner);
    else fs.chmodSync(box.pidDir, 0o500);
    const before = await box.reraiseWithin(WITHIN, 'status', 'web');
    expect(stateOf(before.stdout, 'web')).toBe('running');
    // The run ends; the worker cannot record it (nor a new run): the record names a run that has ended.
    process.kill(Number(pid), 'SIGKILL');
    const again = (): boolean => running(box).some((p) => p !== Number(pid) && environ(p).includes('RERAISE_SERVICE=web') &&
      argvOf(p).join(' ') === 'sleep 1000');
    await waitFor('the service running again, or its worker gone', () => again() || !workersOf(owner, 'web').includes(worker), 5000);
    const after = await box.reraiseWithin(WITHIN, 'status', 'web');
    if (again() || workersOf(owner, 'web').includes(worker)) {
      expect(stateOf(after.stdout, 'web'), after.stdout).toBe('unknown');
    } else {
      expect(stateOf(after.stdout, 'web'), after.stdout).not.toBe('running');
    }
    expect(before.stderr, 'status warns that the pid dir cannot be written').toContain(box.pidDir);
    expect(after.stderr, 'status warns that the pid dir cannot be written').toContain(box.pidDir);
  });

  it.runIf(canMount())('hidden under a read-only mount while the service runs (root): status says unknown, never not running', async () => {
    const box = userBox(pkg, ROOT, { base: scratch('root') });
    box.script('web', LONG);
    expect((await box.reraise('start', 'web')).exitCode).toBe(0);
    expect(running(box).length).toBeGreaterThan(0);
    // An empty read-only file system over the pid dir: the worker lives, its record is gone from view.
    mountTmpfs(box.pidDir, 'size=64k,mode=0700');
    execFileSync('mount', ['-o', 'remount,ro', box.pidDir]);
    const r = await box.reraiseWithin(WITHIN, 'status', 'web');
    expect(r.timedOut).toBe(false);
    expect(stateOf(r.stdout, 'web'), r.stdout).not.toBe('not running');
    expect(stateOf(r.stdout, 'web'), r.stdout).toBe('unknown');
    expect(r.stderr, 'status warns that the pid dir cannot be written').toContain(box.pidDir);
  });
});

describe('a worker\'s memory, whatever the service prints', () => {
  it('one 128 MiB line with config_log_size at its maximum: the worker\'s peak memory grows by far less, and the line is written whole', async () => {
    const box = sandbox();
    const trigger = path.join(box.root, 'go');
    // Node frees the chunks it has read only at its next GC: even a worker that streams the line grows by some
    // tens of MiB (about 45 MiB for 128 MiB here); one that holds the line grows by more than the line.
    const size = 128 << 20;
    box.script('big', [
      // 1048576M = 2^40 bytes, the maximum (SPEC 7 says "at most 1T", and allows only the k and M suffixes).
      'config_start_sec=0.2', 'config_stop_sec=1', 'config_log_size=1048576M', 'config_log_stamp=0',
      `while [ ! -e ${trigger} ]; do sleep 0.05; done`,
      `head -c ${size} /dev/zero | tr '\\0' x; echo`, 'exec sleep 1000', '',
    ].join('\n'));
    expect((await box.reraise('start', 'big')).exitCode).toBe(0);
    const worker = Number(box.pidFile('big')!.workerPid);
    const hwm = (): number => Number(/^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${worker}/status`, 'utf8'))![1]) * 1024;
    const before = hwm();
    fs.writeFileSync(trigger, '');
    const logDir = path.join(box.logDir, 'big');
    const total = (): number => fs.readdirSync(logDir).reduce((sum, f) => sum + fs.statSync(path.join(logDir, f)).size, 0);
    await box.waitFor('the line in the log', () => total() >= size + 1, 25_000);
    const growth = hwm() - before;
    expect(growth, `peak RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(size * 0.6);
    // Whole: somewhere in current, a line of exactly `size` x's (and its newline).
    const current = fs.readFileSync(path.join(logDir, 'current'));
    const whole = Buffer.alloc(size, 'x');
    let found = 0;
    for (let at = 0; at < current.length;) {
      const end = current.indexOf(0x0a, at);
      const stop = end === -1 ? current.length : end;
      if (stop - at === size && current.subarray(at, stop).equals(whole)) found++;
      at = stop + 1;
    }
    expect(found, 'the line, whole, in current').toBe(1);
  });
});

describe('a service name that starts with -', () => {
  it('is named after --: start, status, stop', async () => {
    const box = sandbox();
    box.script('-web', LONG);
    const start = await box.reraise('start', '--', '-web');
    expect({ exit: start.exitCode, stderr: start.stderr }).toEqual({ exit: 0, stderr: '' });
    const rec = box.pidFile('-web')!;
    expect(start.stdout).toBe(`-web: started (pid ${rec.pid})`);
    const status = await box.reraise('status', '--', '-web');
    expect({ exit: status.exitCode, stderr: status.stderr }).toEqual({ exit: 0, stderr: '' });
    expect(status.stdout).toMatch(new RegExp(`^-web +running +${rec.pid} `, 'm'));
    const stop = await box.reraise('stop', '--', '-web');
    expect({ exit: stop.exitCode, stdout: stop.stdout, stderr: stop.stderr }).toEqual({ exit: 0, stdout: '-web: stopped', stderr: '' });
    expect(box.ourProcesses()).toEqual([]);
  });
});

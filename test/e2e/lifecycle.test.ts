// The worker's life as users see it through bin/reraise: start, run, retry, restart, stop (SPEC 4, 5, 6).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { RERAISE, cmdline, isAlive, procStat, sandbox } from './sandbox.js';

const LONG = 'config_start_sec=0.2\nconfig_stop_sec=2\nexec sleep 1000\n';

function environ(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

describe('start', () => {
  it('forks a detached worker titled auto-reraise NAME that writes RUN and runs the script in its own group', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const started = await box.reraise('start', 'web');
    expect(started.exitCode).toBe(0);
    const rec = box.pidFile('web')!;
    expect(started.stdout).toBe(`web: started (pid ${rec.pid})`);
    expect(rec.state).toBe('RUN');
    expect(rec.exitCode).toBe('-');
    const worker = Number(rec.workerPid);
    const service = Number(rec.pid);
    expect(Math.abs(Number(rec.epoch) - Date.now() / 1000)).toBeLessThan(3);
    expect(cmdline(worker)).toBe('auto-reraise web');
    // Own session for the worker; own session and group for the service.
    expect(procStat(worker)?.[3]).toBe(String(worker));
    expect(procStat(service)?.[2]).toBe(String(service));
    expect(procStat(service)?.[3]).toBe(String(service));
    expect(fs.readlinkSync(`/proc/${worker}/cwd`)).toBe(box.dir);
    expect(fs.readlinkSync(`/proc/${worker}/fd/0`)).toBe('/dev/null');
    expect(environ(service)).toEqual(expect.arrayContaining([
      'RERAISE_SERVICE=web', `RERAISE_DIR=${box.dir}`, `RERAISE_PIDDIR=${box.pidDir}`,
    ]));
  });

  it.each([
    ['had none', undefined],
    ['had an empty one', ''],
    ['had their own', 'glibc.malloc.arena_max=2'],
  ])('runs the worker with its malloc tuning and gives the service the GLIBC_TUNABLES the user %s (SPEC 5.2)', async (_how, own) => {
    const box = sandbox();
    box.script('tuned', LONG);
    if (own !== undefined) box.env.GLIBC_TUNABLES = own;
    // A stray value of the protocol's variable is not taken for the user's.
    box.env.RERAISE_GLIBC_TUNABLES = 'glibc.malloc.tcache_count=0';
    expect((await box.reraise('start', 'tuned')).exitCode).toBe(0);
    const rec = box.pidFile('tuned')!;
    const tunables = (list: string[]): string[] => list.filter((v) => /^(RERAISE_)?GLIBC_TUNABLES=/.test(v));
    const workerEnv = tunables(environ(Number(rec.workerPid)));
    // glibc rewrites the variable in place as it reads it: the worker's own value is seen only alone.
    if (!own) expect(workerEnv).toContain('GLIBC_TUNABLES=glibc.malloc.mmap_threshold=16384');
    expect(workerEnv.filter((v) => v.startsWith('RERAISE_'))).toEqual(own === undefined ? [] : [`RERAISE_GLIBC_TUNABLES=${own}`]);
    expect(tunables(environ(Number(rec.pid)))).toEqual(own === undefined ? [] : [`GLIBC_TUNABLES=${own}`]);
  });

  it('returns at once when its output is captured: the worker holds none of its descriptors', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const t0 = Date.now();
    const out = await execa('sh', ['-c', `out=$("${RERAISE}" start web); echo "$out" | cat`], { env: box.env, timeout: 8000 });
    expect(out.stdout).toMatch(/^web: started \(pid \d+\)$/);
    expect(Date.now() - t0).toBeLessThan(8000);
    const worker = Number(box.pidFile('web')!.workerPid);
    for (const fd of fs.readdirSync(`/proc/${worker}/fd`)) {
      const target = fs.readlinkSync(`/proc/${worker}/fd/${fd}`);
      expect(target.startsWith('pipe:') && Number(fd) <= 3, `fd ${fd} -> ${target}`).toBe(false);
    }
  });

  it('appends the service output to <log dir>/NAME/current, across restarts', async () => {
    const box = sandbox();
    box.script('talk', 'config_start_sec=0.2\necho "hello $$"\necho oops >&2\nexec sleep 1000\n');
    await box.reraise('start', 'talk');
    await box.waitFor('first output', () => box.log('talk').includes('oops'));
    const first = box.pidFile('talk')!.pid;
    expect((await box.reraise('restart', 'talk')).exitCode).toBe(0);
    await box.waitFor('second output', () => (box.log('talk').match(/hello \d+/g) ?? []).length === 2);
    const log = box.log('talk');
    expect(log).toContain(`hello ${first}`);
    expect(log).toContain(`hello ${box.pidFile('talk')!.pid}`);
  });

  it('ten starts at the same moment make exactly one worker and one service process', async () => {
    const box = sandbox();
    box.script('x', LONG);
    const results = await Promise.all(Array.from({ length: 10 }, () => box.reraise('start', 'x')));
    expect(results.map((r) => r.exitCode)).toEqual(Array(10).fill(0));
    const started = results.filter((r) => r.stdout.startsWith('x: started'));
    expect(started).toHaveLength(1);
    expect(results.filter((r) => r.stdout === 'x: skip (already running)')).toHaveLength(9);
    const rec = box.pidFile('x')!;
    await box.waitFor('losers to exit', () => box.ourProcesses().length === 2);
    const ours = box.ourProcesses().sort();
    expect(ours).toEqual([Number(rec.pid), Number(rec.workerPid)].sort());
    expect(cmdline(Number(rec.workerPid))).toBe('auto-reraise x');
  });

  it('skips a running service', async () => {
    const box = sandbox();
    box.script('web', LONG);
    await box.reraise('start', 'web');
    const again = await box.reraise('start', 'web');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe('web: skip (already running)');
  });
});

describe('retry policy', () => {
  it('a quick exit on the first run is ERROR at once, even with exit code 0, and the worker does not spin', async () => {
    const box = sandbox();
    box.script('quick', 'config_start_sec=5\nexit 0\n');
    expect((await box.reraise('start', 'quick')).exitCode).toBe(0);
    const rec = await box.waitFor('ERROR', () => box.pidFile('quick')?.state === 'ERROR' && box.pidFile('quick'));
    expect(rec.exitCode).toBe('0');
    expect(rec.pid).toBe('-');
    expect(rec.workerPid).toBe('-');
    await box.waitFor('the worker to exit', () => box.ourProcesses().length === 0, 3000);
    expect(box.log('quick')).toContain('quick: failed to start (exit code 0, retries 0)');
    const status = await box.reraise('status', 'quick');
    expect(status.stdout).toMatch(/^quick\s+ERROR\s+-\s+-\s+-\s+\S+\s+0\s/m);
  });

  it('after a good run, quick exits are retried max_retry times with growing waits, then ERROR', async () => {
    const box = sandbox();
    const count = path.join(box.root, 'count');
    box.script('flaky', [
      'config_start_sec=0.4', 'config_max_retry=2', 'config_retry_sec=0.3',
      `n=$(cat ${count} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${count}`,
      'echo "run $n at $(date +%s.%N)"',
      '[ "$n" = 1 ] && exec sleep 0.6',
      'exit 3',
    ].join('\n'));
    await box.reraise('start', 'flaky');
    const rec = await box.waitFor('ERROR', () => box.pidFile('flaky')?.state === 'ERROR' && box.pidFile('flaky'), 10_000);
    expect(rec.exitCode).toBe('3');
    expect(fs.readFileSync(count, 'utf8').trim()).toBe('4');
    const log = box.log('flaky');
    expect(log).toContain('flaky: failed to start (exit code 3, retries 2)');
    const at = [...log.matchAll(/run (\d) at ([\d.]+)/g)].map((m) => Number(m[2]));
    // run 2 follows run 1's good exit at once; retry 1 waits 0 s; retry 2 waits 1 x 0.3 s.
    expect(at[3] - at[2]).toBeGreaterThanOrEqual(0.28);
    expect(at[2] - at[1]).toBeLessThan(0.28);
  });

  it('a run that lasts config_start_sec resets the retries: it keeps restarting', async () => {
    const box = sandbox();
    box.script('cycle', 'config_start_sec=0.2\nconfig_max_retry=0\necho run\nexec sleep 0.3\n');
    await box.reraise('start', 'cycle');
    await box.waitFor('four runs', () => (box.log('cycle').match(/^(\S+Z )?run$/gm) ?? []).length >= 4);
    const rec = box.pidFile('cycle')!;
    expect(['RUN', 'START']).toContain(rec.state);
    expect(Number(rec.extra.restarts)).toBeGreaterThanOrEqual(3);
  });

  it('a service killed by a signal after a good run is started again at once, with a new pid', async () => {
    const box = sandbox();
    box.script('web', LONG);
    await box.reraise('start', 'web');
    const first = Number(box.pidFile('web')!.pid);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(first, 'SIGKILL');
    const rec = await box.waitFor('a new RUN', () => {
      const r = box.pidFile('web');
      return r?.state === 'RUN' && Number(r.pid) !== first && r;
    });
    expect(isAlive(Number(rec.pid))).toBe(true);
    expect(rec.extra.restarts).toBe('1');
    expect(box.log('web')).toContain('killed by SIGKILL');
  });

  it('config is read again before every run; a bad value later is a warning, not the end', async () => {
    const box = sandbox();
    const file = box.script('web', 'config_start_sec=0.2\nconfig_stop_sec=2\nexec sleep 1000\n');
    await box.reraise('start', 'web');
    fs.writeFileSync(file, '#!/bin/sh\nconfig_start_sec=0.2\nconfig_stop_sec=ten\nexec sleep 1000\n');
    expect((await box.reraise('restart', 'web')).exitCode).toBe(0);
    await box.waitFor('the warning', () => box.log('web').includes('config_stop_sec: bad value "ten"'));
    expect(box.pidFile('web')!.extra.stop_sec).toBe('2');
    expect((await box.reraise('status', 'web')).stdout).toMatch(/running/);
  });
});

describe('stop', () => {
  it('stops the service and its worker, removes the pid file, and start works right after', async () => {
    const box = sandbox();
    box.script('web', LONG);
    await box.reraise('start', 'web');
    const rec = box.pidFile('web')!;
    const stopped = await box.reraise('stop', 'web');
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout).toBe('web: stopped');
    expect(isAlive(Number(rec.pid))).toBe(false);
    expect(isAlive(Number(rec.workerPid))).toBe(false);
    expect(box.pidFile('web')).toBeUndefined();
    const again = await box.reraise('start', 'web');
    expect(again.stdout).toMatch(/^web: started/);
    const already = await box.reraise('stop', 'web', 'web');
    expect(already.exitCode).toBe(0);
    const twice = await box.reraise('stop', 'web');
    expect(twice.exitCode).toBe(0);
    expect(twice.stdout).toBe('web: not running');
  });

  it('a script that ignores SIGTERM is killed with SIGKILL after config_stop_sec, children and all', async () => {
    const box = sandbox();
    box.script('stubborn', "config_start_sec=0.2\nconfig_stop_sec=0.5\ntrap '' TERM\nsleep 1000 &\nwait\nwait\n");
    await box.reraise('start', 'stubborn');
    await box.waitFor('script and child', () => box.ourProcesses().length === 3);
    const ours = box.ourProcesses();
    const t0 = Date.now();
    const stopped = await box.reraise('stop', 'stubborn');
    const took = Date.now() - t0;
    expect(stopped.exitCode).toBe(0);
    expect(took).toBeGreaterThanOrEqual(450);
    expect(ours.filter(isAlive)).toEqual([]);
    expect(box.log('stubborn')).toContain('SIGKILL');
  });

  it('a script that leaves a child behind (sleep 1000 & wait): nothing of it survives', async () => {
    const box = sandbox();
    box.script('parent', 'config_start_sec=0.2\nsleep 1000 &\nwait\n');
    await box.reraise('start', 'parent');
    await box.waitFor('script and child', () => box.ourProcesses().length === 3);
    const ours = box.ourProcesses();
    expect((await box.reraise('stop', 'parent')).exitCode).toBe(0);
    expect(ours.filter(isAlive)).toEqual([]);
  });

  it('a service whose script was deleted can still be stopped', async () => {
    const box = sandbox();
    const file = box.script('gone', LONG);
    await box.reraise('start', 'gone');
    // The shell reads the script by path after exec: delete it only once it runs `sleep`.
    await box.waitFor('the service to exec sleep', () => cmdline(Number(box.pidFile('gone')?.pid)) === 'sleep 1000');
    fs.rmSync(file);
    const stopped = await box.reraise('stop', 'gone');
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout).toBe('gone: stopped');
    expect(box.ourProcesses()).toEqual([]);
  });
});

describe('restart', () => {
  it('restarts a running service with a new pid and counts no retry', async () => {
    const box = sandbox();
    box.script('web', 'config_start_sec=5\nconfig_max_retry=0\nconfig_stop_sec=2\nexec sleep 1000\n');
    await box.reraise('start', 'web');
    for (let i = 1; i <= 3; i++) {
      const before = box.pidFile('web')!.pid;
      const restarted = await box.reraise('restart', 'web');
      expect(restarted.exitCode).toBe(0);
      const rec = box.pidFile('web')!;
      expect(restarted.stdout).toBe(`web: restarted (pid ${rec.pid})`);
      expect(rec.pid).not.toBe(before);
      expect(rec.state).toBe('RUN');
      expect(rec.extra.retries).toBe('0');
    }
  });

  it('does not start a stopped service: a failure when named, not with a glob', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const named = await box.reraise('restart', 'web');
    expect(named.exitCode).toBe(1);
    expect(named.stderr).toContain('web: not running');
    const globbed = await box.reraise('restart', 'w*');
    expect(globbed.exitCode).toBe(0);
    expect(box.ourProcesses()).toEqual([]);
  });
});

describe('a worker killed with SIGKILL', () => {
  it('leaves an orphan that status names, start refuses with a hint, and stop ends', async () => {
    const box = sandbox();
    box.script('web', LONG);
    await box.reraise('start', 'web');
    const rec = box.pidFile('web')!;
    process.kill(Number(rec.workerPid), 'SIGKILL');
    await box.waitFor('worker gone', () => !isAlive(Number(rec.workerPid)));
    const status = await box.reraise('status', 'web');
    expect(status.stdout).toMatch(new RegExp(`^web\\s+orphaned\\s+${rec.pid}\\s`, 'm'));
    const start = await box.reraise('start', 'web');
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toContain(`reraise: web: orphaned: service pid ${rec.pid}`);
    expect(start.stderr).toContain('reraise stop web');
    expect(box.ourProcesses()).toEqual([Number(rec.pid)]);
    const stop = await box.reraise('stop', 'web');
    expect(stop.exitCode).toBe(0);
    expect(isAlive(Number(rec.pid))).toBe(false);
    expect(box.pidFile('web')).toBeUndefined();
    expect((await box.reraise('start', 'web')).exitCode).toBe(0);
  });
});

describe('clean', () => {
  it('removes ERROR and stale pid files and never a live one', async () => {
    const box = sandbox();
    box.script('live', LONG);
    box.script('dead', 'config_start_sec=5\nexit 1\n');
    await box.reraise('start', 'live', 'dead');
    await box.waitFor('ERROR', () => box.pidFile('dead')?.state === 'ERROR');
    fs.writeFileSync(path.join(box.pidDir, 'stale'), `RUN - 999999 999998 ${Math.floor(Date.now() / 1000)}\n`);
    const cleaned = await box.reraise('clean');
    expect(cleaned.exitCode).toBe(0);
    expect(cleaned.stdout.split('\n').sort()).toEqual(['dead: removed ERROR pid file (exit code 1)', 'stale: removed stale pid file']);
    expect(box.pidFile('live')?.state).toBe('RUN');
    // Beside the live pid file, only its worker's lock (SPEC 12.3).
    expect(fs.readdirSync(box.pidDir).sort()).toEqual([`.live.lock.${box.pidFile('live')!.workerPid}`, 'live']);
  });
});

describe('a name as long as a file name may be', () => {
  // 250 bytes: the pid file and the log directory take it as it is; the worker's own files beside the
  // pid file (temp names, the FIFO, the lock socket) would not fit in NAME_MAX, and use a hash of it.
  it('starts, shows, stops and cleans up', async () => {
    const box = sandbox();
    const name = `svc-${'x'.repeat(246)}`;
    box.script(name, LONG);
    const started = await box.reraise('start', name);
    expect({ exit: started.exitCode, stderr: started.stderr }).toEqual({ exit: 0, stderr: '' });
    expect(box.pidFile(name)?.state).toBe('RUN');
    expect((await box.reraise('status', name)).stdout).toMatch(new RegExp(`^${name} +running`, 'm'));
    expect((await box.reraise('stop', name)).stdout).toBe(`${name}: stopped`);
    await box.reraise('clean');
    expect(fs.readdirSync(box.pidDir)).toEqual([]);
  });
});

describe('clean and leftovers', () => {
  it("removes temp files and FIFOs of writers that died, and keeps a live writer's", async () => {
    const box = sandbox();
    box.script('web', LONG);
    await box.reraise('status');
    const dead = 9_999_999; // above any pid_max: never a live process
    const leftovers = ['tmp', 'clean', 'fifo'].map((kind) => `.web.${dead}.${kind}`);
    const live = `.web.${process.pid}.tmp`;
    for (const file of [...leftovers, live]) {
      if (file.endsWith('.fifo')) await execa('mkfifo', [path.join(box.pidDir, file)]);
      else fs.writeFileSync(path.join(box.pidDir, file), 'x');
    }
    expect((await box.reraise('clean')).exitCode).toBe(0);
    expect(fs.readdirSync(box.pidDir)).toEqual([live]);
  });
});

describe('as root, a script owned by another user', () => {
  it.runIf(process.getuid!() === 0)('runs as its owner', async () => {
    const box = sandbox();
    fs.chmodSync(box.root, 0o755);
    fs.chmodSync(box.dir, 0o755);
    const file = box.script('theirs', LONG);
    fs.chownSync(file, 65534, 65534);
    const started = await box.reraise('start', 'theirs');
    expect(started.exitCode).toBe(0);
    const pid = Number(box.pidFile('theirs')!.pid);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+65534\s/m);
    expect((await box.reraise('status', 'theirs')).stdout).toMatch(/running/);
    expect((await box.reraise('stop', 'theirs')).exitCode).toBe(0);
    expect(isAlive(pid)).toBe(false);
  });

  it.runIf(process.getuid!() === 0)('as another user without root, needs sudo: its absence or a password prompt is a clear error', async () => {
    const box = sandbox();
    fs.chmodSync(box.root, 0o755);
    fs.chmodSync(box.dir, 0o755);
    const file = box.script('roots', LONG);
    const work = path.join(box.root, 'nobody');
    fs.mkdirSync(work);
    fs.chownSync(work, 65534, 65534);
    const env = { ...box.env, RERAISE_PIDDIR: path.join(work, 'pids'), RERAISE_LOGDIR: path.join(work, 'logs'), HOME: work };
    const run = await execa(RERAISE, ['start', 'roots'], { env, uid: 65534, gid: 65534, reject: false, stdin: 'ignore' });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^reraise: roots: owned by root(; running it as root needs sudo, which is not installed|, and "sudo -n -u root" refused)/);
    expect(run.stderr).toContain(file);
    expect(fs.existsSync(path.join(work, 'pids', 'roots'))).toBe(false);
  });
});

describe('a service that writes output, when its worker is killed with SIGKILL', () => {
  it('keeps running (no SIGPIPE from the held log pipe), and stop ends it', async () => {
    const box = sandbox();
    box.script('noisy', 'config_start_sec=0.2\nwhile :; do echo tick; sleep 0.01; done\n');
    await box.reraise('start', 'noisy');
    const rec = box.pidFile('noisy')!;
    await box.waitFor('output', () => box.log('noisy').includes('tick'));
    process.kill(Number(rec.workerPid), 'SIGKILL');
    await box.waitFor('worker gone', () => !isAlive(Number(rec.workerPid)));
    // Long enough for a few hundred writes into a pipe whose reader died.
    const until = Date.now() + 1000;
    await box.waitFor('a second of orphaned life', () => !isAlive(Number(rec.pid)) || Date.now() > until, 3000);
    expect(isAlive(Number(rec.pid))).toBe(true);
    expect((await box.reraise('status', 'noisy')).stdout).toMatch(/^noisy\s+orphaned/m);
    expect((await box.reraise('stop', 'noisy')).exitCode).toBe(0);
    expect(box.ourProcesses()).toEqual([]);
  });
});

describe('an orphan whose shell dies, leaving a child in its process group', () => {
  it('is still orphaned: stop ends the child, clean keeps the record until then, start makes no second copy', async () => {
    const box = sandbox();
    box.script('child', 'config_start_sec=0.2\nconfig_stop_sec=1\nsleep 1000 &\nwait\n');
    await box.reraise('start', 'child');
    await box.waitFor('shell and child', () => box.ourProcesses().length === 3);
    const rec = box.pidFile('child')!;
    const [worker, shell] = [Number(rec.workerPid), Number(rec.pid)];
    process.kill(worker, 'SIGKILL');
    await box.waitFor('worker gone', () => !isAlive(worker));
    process.kill(shell, 'SIGKILL');
    await box.waitFor('shell gone', () => !isAlive(shell));
    const left = box.ourProcesses();
    expect(left).toHaveLength(1);
    expect(cmdline(left[0])).toBe('sleep 1000');
    expect((await box.reraise('status', 'child')).stdout).toMatch(new RegExp(`^child\\s+orphaned\\s+${shell}\\s`, 'm'));
    expect((await box.reraise('clean')).stdout).toBe('');
    expect(box.pidFile('child')).toBeDefined();
    const start = await box.reraise('start', 'child');
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toContain('orphaned');
    expect(box.ourProcesses()).toEqual(left);
    const stop = await box.reraise('stop', 'child');
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toMatch(/^child: stopped orphaned service/);
    expect(box.ourProcesses()).toEqual([]);
    expect(box.pidFile('child')).toBeUndefined();
  });
});

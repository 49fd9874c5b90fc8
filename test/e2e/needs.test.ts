// config_needs through bin/reraise: start order, waiting, failures, stop's warning, revive's order (SPEC 14.3).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './sandbox.js';

/** Start epochs of the runs, from each service's own line in a shared file: the order they really ran in. */
function starts(box: Sandbox): string[] {
  try {
    return fs.readFileSync(path.join(box.root, 'order'), 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}

/** A service that notes its start, then becomes ready after `readyAfter` seconds (by its fd), and runs on. */
function service(box: Sandbox, name: string, needs: string, readyAfter = 0): void {
  const order = path.join(box.root, 'order');
  box.script(name, `${needs ? `config_needs="${needs}"\n` : ''}config_ready_fd=3\nconfig_ready_sec=20\nconfig_stop_sec=1\n` +
    `echo ${name} >> ${order}\nsleep ${readyAfter}\necho >&3\nexec sleep 1000\n`);
}

describe('start and config_needs', () => {
  it('starts what a service needs first, waits until each is ready, then the service; status says waiting meanwhile', async () => {
    const box = sandbox();
    service(box, 'db', '', 0.8);
    service(box, 'cache', '');
    service(box, 'app', 'db cache');
    const started = box.reraise('start', 'app');
    let seen = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !/^app +waiting .*waiting for db, cache/m.test(seen);) {
      seen = (await box.reraise('status', 'app')).stdout;
    }
    expect(seen).toMatch(/^app +waiting .*waiting for db, cache/m);
    const json = JSON.parse((await box.reraise('status', '--json', 'app')).stdout)[0];
    expect(json).toMatchObject({ state: 'waiting', note: 'waiting for db, cache' });
    const done = await started;
    expect(done.exitCode, done.all).toBe(0);
    expect(done.stdout.split('\n').filter((l) => l.includes(': started'))).toEqual([
      expect.stringMatching(/^db: started/), expect.stringMatching(/^cache: started/), expect.stringMatching(/^app: started/),
    ]);
    expect(starts(box).slice(-1)).toEqual(['app']);
    expect(new Set(starts(box).slice(0, 2))).toEqual(new Set(['db', 'cache']));
    // The mark is gone with the wait.
    expect(fs.readdirSync(box.pidDir).filter((f) => f.endsWith('.waiting'))).toEqual([]);
    await box.reraise('stop', '*');
  });

  it('a need already running is not started again, but waited for; start * starts in that order', async () => {
    const box = sandbox();
    service(box, 'db', '', 0.3);
    service(box, 'app', 'db');
    service(box, 'web', 'app');
    expect((await box.reraise('start', 'db')).exitCode).toBe(0);
    const all = await box.reraise('start', '*');
    expect(all.exitCode, all.all).toBe(0);
    expect(all.stdout).toContain('db: skip (already running)');
    expect(starts(box)).toEqual(['db', 'app', 'web']);
    await box.reraise('stop', '*');
  });

  it.each([
    ['a need that names no service', { app: 'config_needs="db dbx"\nexec sleep 1000\n', db: 'config_start_sec=0.2\nexec sleep 1000\n' }, 'app',
      /app: unable to start: .*\/app:2: config_needs: no service "dbx"/],
    ['a cycle', { app: 'config_needs=db\nexec sleep 1000\n', db: 'config_needs=app\nexec sleep 1000\n' }, 'app',
      /app: unable to start: .*\/app:2: config_needs: a cycle: app -> db -> app/],
  ])('%s: refused at start with the services, the file and the line; nothing runs', async (_, scripts, name, error) => {
    const box = sandbox();
    for (const [n, body] of Object.entries(scripts)) box.script(n, `#!/bin/sh\n${body}`);
    const start = await box.reraise('start', name);
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toMatch(error);
    expect(box.ourProcesses()).toEqual([]);
  });

  it('a need that fails to start: what needs it is not started, the error names the need, exit 1', async () => {
    const box = sandbox();
    box.script('db', 'config_start_sec=0.5\nexit 3\n');
    service(box, 'app', 'db');
    const start = await box.reraise('start', 'app');
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toContain('db: failed to start');
    expect(start.stderr).toContain('app: unable to start: its need db failed to start');
    expect(box.pidFile('app')).toBeUndefined();
    expect(starts(box)).toEqual([]);
  });
});

describe('stop and revive with config_needs', () => {
  it('stop of a need stops only it, and warns which running services need it', async () => {
    const box = sandbox();
    service(box, 'db', '');
    service(box, 'app', 'db');
    expect((await box.reraise('start', 'app')).exitCode).toBe(0);
    const stop = await box.reraise('stop', 'db');
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toBe('db: stopped');
    expect(stop.stderr).toBe('reraise: db: warning: app needs it and is running');
    expect(box.pidFile('app')?.state).toBe('RUN');
    const both = await box.reraise('stop', 'app', 'db');
    expect(both.stderr).toBe('');
  });

  it('revive starts what is wanted up in the order of needs, one line each', async () => {
    const box = sandbox();
    service(box, 'db', '', 0.5);
    service(box, 'app', 'db');
    expect((await box.reraise('start', 'app')).exitCode).toBe(0);
    // The reboot: every process gone with SIGKILL, the pid dir emptied.
    for (const pid of box.ourProcesses()) process.kill(pid, 'SIGKILL');
    await box.waitFor('all gone', () => box.ourProcesses().length === 0);
    for (const f of fs.readdirSync(box.pidDir)) fs.rmSync(path.join(box.pidDir, f), { force: true });
    fs.writeFileSync(path.join(box.root, 'order'), '');
    const revive = await box.reraise('revive');
    expect(revive.exitCode, revive.all).toBe(0);
    expect(revive.stdout.split('\n')).toEqual([expect.stringMatching(/^app: started/), expect.stringMatching(/^db: started/)]);
    expect(starts(box).filter(Boolean)).toEqual(['db', 'app']);
    await box.reraise('stop', '*');
  });

  it('revive waits for a need that runs but is not ready yet, though it does not start it', async () => {
    const box = sandbox();
    service(box, 'db', '', 1.5);
    service(box, 'app', 'db');
    expect((await box.reraise('start', 'app')).exitCode).toBe(0);
    // app's run and worker gone (an OOM kill), its want still up; db restarted, not ready for a while.
    const app = box.pidFile('app')!;
    const pids = [Number(app.workerPid), Number(app.pid)];
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await box.waitFor('app gone', () => box.ourProcesses().every((pid) => !pids.includes(pid)));
    fs.rmSync(path.join(box.pidDir, 'app'));
    fs.writeFileSync(path.join(box.root, 'order'), '');
    expect((await box.reraise('restart', 'db')).exitCode).toBe(0);
    const revive = await box.reraise('revive');
    expect(revive.exitCode, revive.all).toBe(0);
    expect(revive.stdout).toMatch(/^app: started \(pid \d+\)$/);
    expect(box.pidFile('db')?.extra.ready).toBe('1');
    expect(starts(box).filter(Boolean)).toEqual(['db', 'app']);
    await box.reraise('stop', '*');
  });

  it('revive does not wait for an orphaned need (nothing will make it ready): what needs it starts', async () => {
    const box = sandbox();
    service(box, 'db', '');
    service(box, 'app', 'db');
    expect((await box.reraise('start', 'app')).exitCode).toBe(0);
    process.kill(Number(box.pidFile('db')!.workerPid), 'SIGKILL');
    const app = box.pidFile('app')!;
    const pids = [Number(app.workerPid), Number(app.pid)];
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await box.waitFor('app gone', () => box.ourProcesses().every((pid) => !pids.includes(pid)));
    fs.rmSync(path.join(box.pidDir, 'app'));
    expect((await box.reraise('status', 'db')).stdout).toMatch(/^db +orphaned /m);
    const revive = await box.reraise('revive', 'app');
    expect(revive.exitCode, revive.all).toBe(0);
    expect(revive.stdout).toMatch(/^app: started \(pid \d+\)$/);
    await box.reraise('stop', '*');
  });

  it('revive still says what is wrong with a need it waits for: a want it cannot use', async () => {
    const box = sandbox();
    service(box, 'db', '');
    service(box, 'app', 'db');
    expect((await box.reraise('start', 'app')).exitCode).toBe(0);
    const app = box.pidFile('app')!;
    const pids = [Number(app.workerPid), Number(app.pid)];
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await box.waitFor('app gone', () => box.ourProcesses().every((pid) => !pids.includes(pid)));
    fs.rmSync(path.join(box.pidDir, 'app'));
    fs.writeFileSync(path.join(box.logDir, '.want', 'db'), 'maybe\n');
    const revive = await box.reraise('revive');
    expect(revive.exitCode, revive.all).toBe(1);
    expect(revive.stderr).toMatch(/^reraise: db: unable to use want .*not a want: "maybe\\n"/m);
    expect(revive.stdout).toMatch(/^app: started \(pid \d+\)$/);
    await box.reraise('stop', '*');
  });

  it('clean removes a waiting mark whose start is gone, and no other', async () => {
    const box = sandbox();
    box.script('app', 'config_start_sec=0.2\nexec sleep 1000\n');
    // The pid dir, made as reraise makes it.
    expect((await box.reraise('start', 'app')).exitCode).toBe(0);
    expect((await box.reraise('stop', 'app')).exitCode).toBe(0);
    fs.writeFileSync(path.join(box.pidDir, '.app.waiting'), '999999999 1000 db\n');
    fs.writeFileSync(path.join(box.pidDir, '.live.waiting'), `${process.pid} ${Math.round(Date.now() / 1000 - process.uptime())} db\n`);
    // A mark of a pid that now runs something else (it started later): stale, as its start is gone.
    fs.writeFileSync(path.join(box.pidDir, '.reused.waiting'), `${process.pid} 1000 db\n`);
    fs.writeFileSync(path.join(box.pidDir, '.odd.waiting'), 'not a mark\n');
    expect((await box.reraise('status', 'app')).stdout).toMatch(/^app +not running/m);
    expect((await box.reraise('clean')).exitCode).toBe(0);
    expect(fs.readdirSync(box.pidDir).filter((f) => f.endsWith('.waiting')).sort()).toEqual(['.live.waiting', '.odd.waiting']);
  });
});

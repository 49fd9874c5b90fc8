// Bad directories through the real bin/reraise: a missing named RERAISE_DIR, unsafe pid dirs, loose
// permissions on the service dir and scripts; every error names the path and its variable (SPEC 2).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { RERAISE, cmdline, sandbox, type Sandbox } from './sandbox.js';

const LONG = 'config_start_sec=0.2\nconfig_stop_sec=2\nexec sleep 1000\n';
type Run = Awaited<ReturnType<Sandbox['reraise']>>;

/** Exit 1, nothing on stdout, one `reraise: ` line on stderr holding every needle. */
function expectRefused(r: Run, ...needles: string[]): void {
  expect({ exit: r.exitCode, stdout: r.stdout }).toEqual({ exit: 1, stdout: '' });
  expect(r.stderr).toMatch(/^reraise: [^\n]*$/);
  for (const needle of needles) expect(r.stderr).toContain(needle);
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o7777;
}

/** Runs bin/reraise with the sandbox's env overridden; `undefined` removes a variable. */
function reraiseWith(box: Sandbox, env: Record<string, string | undefined>, ...args: string[]): Promise<Run> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...box.env, ...env })) if (v !== undefined) merged[k] = v;
  return execa(RERAISE, args, { env: merged, extendEnv: false, reject: false, all: true, stdin: 'ignore' });
}

describe('RERAISE_DIR', () => {
  it('a named one that does not exist is an error for start, status, list and new, and is not created', async () => {
    const box = sandbox();
    const missing = path.join(box.root, 'typo.d');
    const env = { RERAISE_DIR: missing };
    const runs = await Promise.all([
      reraiseWith(box, env, 'start', 'web'),
      reraiseWith(box, env, 'status'),
      reraiseWith(box, env, 'list'),
      reraiseWith(box, env, 'new', 'web'),
    ]);
    for (const r of runs) expectRefused(r, missing, 'RERAISE_DIR');
    const help = await reraiseWith(box, env, '--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain(missing);
    expect(fs.existsSync(missing)).toBe(false);
    expect(box.ourProcesses()).toEqual([]);
  });

  it('the default one, $HOME/reraise.d, is created', async () => {
    const box = sandbox();
    const home = path.join(box.root, 'home');
    fs.mkdirSync(home);
    const env = { RERAISE_DIR: undefined, HOME: home };
    const dir = path.join(home, 'reraise.d');
    const list = await reraiseWith(box, env, 'list');
    expect({ exit: list.exitCode, stdout: list.stdout, stderr: list.stderr }).toEqual({ exit: 0, stdout: '', stderr: '' });
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    fs.rmdirSync(dir);
    expect((await reraiseWith(box, env, 'status')).exitCode).toBe(0);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    fs.writeFileSync(path.join(dir, 'web'), `#!/bin/sh\n${LONG}`, { mode: 0o755 });
    const help = await reraiseWith(box, env, '--help');
    expect(help.stdout).toMatch(new RegExp(`^ +services +${dir}\\b.*RERAISE_DIR, default`, 'm'));
    expect(help.stdout).toMatch(/^ +web$/m);
    const start = await reraiseWith(box, env, 'start', 'web');
    expect(start.exitCode).toBe(0);
    expect(cmdline(Number(box.pidFile('web')!.workerPid))).toBe('auto-reraise web');
  });

  it('a named one that is a file is refused, naming it', async () => {
    const box = sandbox();
    const file = path.join(box.root, 'plain');
    fs.writeFileSync(file, '');
    for (const r of await Promise.all(['list', 'status'].map((a) => reraiseWith(box, { RERAISE_DIR: file }, a)))) {
      expectRefused(r, file, 'RERAISE_DIR', 'not a directory');
    }
  });

  it('one that others can write to without the sticky bit is refused; with it, it is accepted', async () => {
    const box = sandbox();
    box.script('web', LONG);
    fs.chmodSync(box.dir, 0o777);
    for (const r of await Promise.all([box.reraise('start', 'web'), box.reraise('status'), box.reraise('list')])) {
      expectRefused(r, box.dir, 'RERAISE_DIR', 'writable by others');
    }
    expect(box.ourProcesses()).toEqual([]);
    expect(mode(box.dir)).toBe(0o777);
    fs.chmodSync(box.dir, 0o1777);
    const start = await box.reraise('start', 'web');
    expect(start.exitCode).toBe(0);
    expect(box.pidFile('web')!.state).toBe('RUN');
  });
});

describe('scripts that others can write to', () => {
  it('a script, an rc.main or an rc.log writable by others is refused, naming the file', async () => {
    const box = sandbox();
    const script = box.script('loose', LONG, 0o757);
    const perp = path.join(box.dir, 'perp');
    fs.mkdirSync(perp);
    const main = path.join(perp, 'rc.main');
    fs.writeFileSync(main, `#!/bin/sh\n${LONG}`);
    fs.chmodSync(main, 0o777);
    const perp2 = path.join(box.dir, 'perp2');
    fs.mkdirSync(perp2);
    fs.writeFileSync(path.join(perp2, 'rc.main'), `#!/bin/sh\n${LONG}`, { mode: 0o755 });
    const log = path.join(perp2, 'rc.log');
    fs.writeFileSync(log, '#!/bin/sh\nexec cat\n');
    fs.chmodSync(log, 0o757);
    const [a, b, c] = await Promise.all(['loose', 'perp', 'perp2'].map((n) => box.reraise('start', n)));
    expectRefused(a, 'loose', script, 'writable by others');
    expectRefused(b, 'perp', main, 'writable by others');
    expectRefused(c, 'perp2', log, 'writable by others');
    expect(box.ourProcesses()).toEqual([]);
    const status = await box.reraise('status', 'loose');
    expect(status.stdout).toMatch(/^loose +not executable[ -]+writable by others/m);
  });
});

describe('RERAISE_PIDDIR', () => {
  it('one owned by another user is refused by every action that uses it', async () => {
    const box = sandbox();
    box.script('web', LONG);
    fs.mkdirSync(box.pidDir, { mode: 0o700 });
    fs.chownSync(box.pidDir, 65534, 65534);
    const runs = await Promise.all(['start', 'status', 'stop', 'restart', 'clean'].map((a) =>
      a === 'status' || a === 'clean' ? box.reraise(a) : box.reraise(a, 'web')));
    for (const r of runs) expectRefused(r, box.pidDir, 'RERAISE_PIDDIR', 'owned by', '65534');
    expect(box.ourProcesses()).toEqual([]);
    expect(fs.statSync(box.pidDir).uid).toBe(65534);
  });

  it.each([
    ['0777', 'others', 0o777],
    ['0770', 'group', 0o770],
  ])('mode %s (writable by %s, no sticky bit) is refused, saying why', async (_label, who, bits) => {
    const box = sandbox();
    box.script('web', LONG);
    fs.mkdirSync(box.pidDir);
    fs.chmodSync(box.pidDir, bits);
    const runs = await Promise.all([box.reraise('start', 'web'), box.reraise('status'), box.reraise('clean')]);
    for (const r of runs) {
      expectRefused(r, box.pidDir, 'RERAISE_PIDDIR', 'writable', 'sticky');
      expect(r.stderr).toMatch(new RegExp(`writable by (its )?${who}`));
    }
    expect(box.ourProcesses()).toEqual([]);
    expect(fs.readdirSync(box.pidDir)).toEqual([]);
    expect(mode(box.pidDir)).toBe(bits);
  });

  it.each([
    ['1777', 0o1777],
    ['1770', 0o1770],
    ['0700', 0o700],
  ])('mode %s is accepted', async (_label, bits) => {
    const box = sandbox();
    box.script('web', LONG);
    fs.mkdirSync(box.pidDir);
    fs.chmodSync(box.pidDir, bits);
    const status = await box.reraise('status');
    expect({ exit: status.exitCode, stdout: status.stdout, stderr: status.stderr })
      .toEqual({ exit: 0, stdout: expect.stringMatching(/^NAME .*\nweb +not running[ -]*$/), stderr: '' });
    const start = await box.reraise('start', 'web');
    expect(start.exitCode).toBe(0);
    expect(box.pidFile('web')!.state).toBe('RUN');
    expect((await box.reraise('stop', 'web')).stdout).toBe('web: stopped');
    expect(mode(box.pidDir)).toBe(bits);
  });

  it('a missing one is created with mode 0700, whatever the umask', async () => {
    const box = sandbox();
    const nested = path.join(box.root, 'a', 'pids');
    for (const [umask, dir] of [['000', box.pidDir], ['022', nested]] as const) {
      const r = await execa('sh', ['-c', `umask ${umask}; exec "$0" status`, RERAISE], {
        env: { ...box.env, RERAISE_PIDDIR: dir }, reject: false,
      });
      expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
      expect(fs.statSync(dir).isDirectory()).toBe(true);
      expect(mode(dir)).toBe(0o700);
    }
  });

  it('a file in its place is refused, naming it', async () => {
    const box = sandbox();
    fs.writeFileSync(box.pidDir, '');
    expectRefused(await box.reraise('status'), box.pidDir, 'RERAISE_PIDDIR', 'not a directory');
  });
});

describe('RERAISE_LOGDIR', () => {
  it('one that cannot be created makes start fail, naming it, and starts nothing', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const blocker = path.join(box.root, 'file');
    fs.writeFileSync(blocker, '');
    const logDir = path.join(blocker, 'logs');
    const r = await reraiseWith(box, { RERAISE_LOGDIR: logDir }, 'start', 'web');
    expectRefused(r, logDir, 'RERAISE_LOGDIR');
    expect(box.ourProcesses()).toEqual([]);
    expect(box.pidFile('web')).toBeUndefined();
  });
});

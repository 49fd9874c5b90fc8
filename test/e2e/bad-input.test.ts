// Bad input through the real bin/reraise: usage errors, bad names and patterns, broken services and config,
// garbage and foreign pid files, `new`/`skeleton`, --help/--version (SPEC 1, 3, 4, 6).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { never, RERAISE, WORKER, cmdline, isAlive, sandbox, type Sandbox } from './sandbox.js';

const LONG = 'config_start_sec=0.2\nconfig_stop_sec=2\nexec sleep 1000\n';
type Run = Awaited<ReturnType<Sandbox['reraise']>>;

/** A usage error: exit 2, nothing on stdout, `reraise: ...` on stderr naming `needle`. */
function expectUsage(r: Run, needle: string): void {
  expect({ exit: r.exitCode, stdout: r.stdout }).toEqual({ exit: 2, stdout: '' });
  expect(r.stderr).toMatch(/^reraise: /);
  expect(r.stderr).toContain(needle);
}

/** A failure: exit 1, every stderr line starts `reraise: `, and the stderr names each needle. */
function expectFailure(r: Run, ...needles: string[]): void {
  expect(r.exitCode).toBe(1);
  for (const line of r.stderr.split('\n')) expect(line).toMatch(/^reraise: /);
  for (const needle of needles) expect(r.stderr).toContain(needle);
}

function pidFiles(box: Sandbox): string[] {
  return fs.existsSync(box.pidDir) ? fs.readdirSync(box.pidDir).filter((f) => !f.startsWith('.')) : [];
}

function expectNothingStarted(box: Sandbox): void {
  expect(pidFiles(box)).toEqual([]);
  expect(box.ourProcesses()).toEqual([]);
}

function writePid(box: Sandbox, name: string, content: string | Buffer): void {
  fs.mkdirSync(box.pidDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(box.pidDir, name), content);
}

describe('usage errors: exit 2, `reraise: ` on stderr', () => {
  it('an unknown action, an unknown option, no action at all', async () => {
    const box = sandbox();
    const [frob, bogus, none, list] = await Promise.all([
      box.reraise('frob'), box.reraise('status', '--bogus'), box.reraise(), box.reraise('list', '--nope'),
    ]);
    expectUsage(frob, 'frob');
    expectUsage(bogus, 'bogus');
    expectUsage(none, 'action');
    expectUsage(list, 'nope');
  });

  it('start, stop and restart without a pattern', async () => {
    const box = sandbox();
    box.script('web', LONG);
    for (const r of await Promise.all(['start', 'stop', 'restart'].map((a) => box.reraise(a)))) {
      expectUsage(r, '');
      expect(r.stderr).toMatch(/pattern|argument/i);
    }
    expectNothingStarted(box);
  });

  it('an unknown option after the patterns starts nothing', async () => {
    const box = sandbox();
    box.script('web', LONG);
    expectUsage(await box.reraise('start', 'web', '--bogus'), 'bogus');
    expectNothingStarted(box);
  });

  // yargs alone would take `web` as the value of --bogus and complain of a missing pattern.
  it('an unknown option before the pattern is named as the fault', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const r = await box.reraise('start', '--bogus', 'web');
    expectNothingStarted(box);
    expectUsage(r, 'bogus');
  });
});

describe('patterns that match nothing', () => {
  it('start nope good: exit 1, nope named on stderr, good still started', async () => {
    const box = sandbox();
    box.script('good', LONG);
    const r = await box.reraise('start', 'nope', 'good', 'zz*');
    expect(r.exitCode).toBe(1);
    const rec = box.pidFile('good')!;
    expect(rec.state).toBe('RUN');
    expect(r.stdout).toBe(`good: started (pid ${rec.pid})`);
    const lines = r.stderr.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.find((l) => l.startsWith('reraise: nope: '))).toContain(box.dir);
    expect(lines.find((l) => l.startsWith('reraise: zz*: '))).toBeDefined();
  });

  it('status and stop name the bad pattern and still act on the good one', async () => {
    const box = sandbox();
    box.script('good', LONG);
    expect((await box.reraise('start', 'good')).exitCode).toBe(0);
    const worker = Number(box.pidFile('good')!.workerPid);
    const status = await box.reraise('status', 'nope', 'good');
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toMatch(/^good +running /m);
    expect(status.stderr).toMatch(/^reraise: nope: /);
    const stop = await box.reraise('stop', 'good', 'nope');
    expect(stop.exitCode).toBe(1);
    expect(stop.stdout).toBe('good: stopped');
    expect(stop.stderr).toMatch(/^reraise: nope: [^\n]*$/);
    expect(isAlive(worker)).toBe(false);
    const restart = await box.reraise('restart', 'nope');
    expectFailure(restart, 'nope');
  });
});

describe('names with / or ..', () => {
  it('are refused by name, and nothing outside the service dir is started', async () => {
    const box = sandbox();
    const marker = path.join(box.root, 'ran');
    const body = `#!/bin/sh\nconfig_start_sec=0.2\ntouch ${marker}\nexec sleep 1000\n`;
    fs.writeFileSync(path.join(box.root, 'x'), body, { mode: 0o755 });
    fs.mkdirSync(path.join(box.dir, 'a'));
    fs.writeFileSync(path.join(box.dir, 'a', 'b'), body, { mode: 0o755 });
    const cases = [['start', '../x'], ['start', 'a/b'], ['stop', '..'], ['start', '..'], ['restart', '../x']];
    const results = await Promise.all(cases.map((args) => box.reraise(...args)));
    cases.forEach((args, i) => {
      expect(results[i].stdout).toBe('');
      expectFailure(results[i], `reraise: ${args[1]}: `);
    });
    await never(() => fs.existsSync(marker));
    expectNothingStarted(box);
  });
});

describe('services that cannot run', () => {
  it('a script that is not executable: start fails naming the file, status and list mark it', async () => {
    const box = sandbox();
    const file = box.script('plain', LONG, 0o644);
    const r = await box.reraise('start', 'plain');
    expect(r.stdout).toBe('');
    expectFailure(r, 'plain', file, 'not executable');
    expectNothingStarted(box);
    const status = await box.reraise('status');
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/^plain +not executable\b/m);
    const json = JSON.parse((await box.reraise('status', 'plain', '--json')).stdout);
    expect(json[0]).toMatchObject({ name: 'plain', state: 'not-executable' });
    const list = await box.reraise('list');
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(/^plain .*not executable/);
  });

  it('a directory without rc.main: start fails naming the directory', async () => {
    const box = sandbox();
    const dir = path.join(box.dir, 'perp');
    fs.mkdirSync(dir);
    const r = await box.reraise('start', 'perp');
    expect(r.stdout).toBe('');
    expectFailure(r, 'perp', dir, 'rc.main');
    expectNothingStarted(box);
  });
});

describe('bad config values', () => {
  const bad: [string, string][] = [
    ['config_start_sec', 'abc'],
    ['config_stop_signal', 'NOPE'],
    ['config_start_sec', '$(touch FILE)'],
  ];
  it.each(bad)('%s=%s: start refuses, naming file, line, key and value; nothing runs', async (key, raw) => {
    const box = sandbox();
    const touched = path.join(box.root, 'touched');
    const value = raw.replace('FILE', touched);
    const file = box.script('svc', `# a comment\nconfig_stop_sec=1\n${key}=${value}\nexec sleep 1000\n`);
    const r = await box.reraise('start', 'svc');
    expect(r.stdout).toBe('');
    // The line is the 4th of the file: the #! line comes first.
    expectFailure(r, `${file}:4`, key, value);
    expect((await box.reraise('status', 'svc')).stdout).toMatch(/^NAME .*\nsvc +not running[ -]*$/);
    await never(() => fs.existsSync(touched) || pidFiles(box).length > 0 || box.ourProcesses().length > 0);
    expectNothingStarted(box);
  });

  it('an unknown key is only a warning: the service starts', async () => {
    const box = sandbox();
    const file = box.script('svc', `config_foo=1\n${LONG}`);
    const r = await box.reraise('start', 'svc');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`svc: started (pid ${box.pidFile('svc')!.pid})`);
    expect(r.stderr).toMatch(/^reraise: .*warning/);
    expect(r.stderr).toContain('config_foo');
    expect(r.stderr).toContain(`${file}:2`);
  });
});

/** `sleep 30` in its own process group, not ours in any way but the start time. */
function foreignSleep(): { pid: number; epoch: number } {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  child.unref();
  return { pid: child.pid!, epoch: Math.floor(Date.now() / 1000) };
}

function killForeign(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

describe('garbage pid files', () => {
  it.each([
    ['text', 'hello world\n'],
    ['binary', Buffer.from([0, 0xff, 0xfe, 0x01, 0x0a, 0x80])],
    ['a bare pid', 'PID\n'],
    ['four fields', 'RUN - PID PID\n'],
  ])('%s: status says stale, stop signals nothing, clean leaves it (not a pid record)', async (_label, content) => {
    const box = sandbox();
    box.script('svc', LONG);
    const sleeper = foreignSleep();
    try {
      writePid(box, 'svc', typeof content === 'string' ? content.replaceAll('PID', String(sleeper.pid)) : content);
      writePid(box, 'ghost', 'hello world\n');
      const status = await box.reraise('status');
      expect({ exit: status.exitCode, stderr: status.stderr }).toEqual({ exit: 0, stderr: '' });
      expect(status.stdout).toMatch(/^ghost +stale\b/m);
      expect(status.stdout).toMatch(/^svc +stale\b/m);
      const stop = await box.reraise('stop', 'svc', 'ghost');
      expect({ exit: stop.exitCode, stdout: stop.stdout, stderr: stop.stderr })
        .toEqual({ exit: 0, stdout: 'ghost: not running\nsvc: not running', stderr: '' });
      await never(() => !isAlive(sleeper.pid), 200);
      expect(status.stdout).toMatch(/^ghost +stale .*not a pid record.*remove it by hand$/m);
      const before = pidFiles(box).map((f) => [f, fs.readFileSync(path.join(box.pidDir, f))]);
      const clean = await box.reraise('clean');
      expect({ exit: clean.exitCode, stderr: clean.stderr }).toEqual({ exit: 0, stderr: '' });
      // Only a pid record is ours to remove (SPEC 6 `clean`): what else is there was put there by someone.
      expect(clean.stdout).toMatch(/^ghost: left alone: .*not a pid record.*remove it by hand$/m);
      expect(clean.stdout).toMatch(/^svc: left alone: /m);
      expect(pidFiles(box).map((f) => [f, fs.readFileSync(path.join(box.pidDir, f))])).toEqual(before);
      expect(isAlive(sleeper.pid)).toBe(true);
    } finally {
      killForeign(sleeper.pid);
    }
  });
});

describe('a pid file naming a live process that is not ours', () => {
  async function neverTouched(box: Sandbox, pid: number, epoch: number, signalled: () => string[]): Promise<void> {
    writePid(box, 'svc', `RUN - ${pid} ${pid} ${epoch}\n`);
    const status = await box.reraise('status', 'svc');
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/^svc +stale\b/m);
    expect(status.stdout).not.toContain('orphaned');
    expect(JSON.parse((await box.reraise('status', 'svc', '--json')).stdout)[0].state).toBe('stale');
    const stop = await box.reraise('stop', 'svc');
    expect({ exit: stop.exitCode, stdout: stop.stdout, stderr: stop.stderr })
      .toEqual({ exit: 0, stdout: 'svc: not running', stderr: '' });
    const clean = await box.reraise('clean', 'svc');
    expect({ exit: clean.exitCode, stdout: clean.stdout }).toEqual({ exit: 0, stdout: 'svc: removed stale pid file' });
    await never(() => !isAlive(pid) || signalled().length > 0, 200);

    writePid(box, 'svc', `RUN - ${pid} ${pid} ${epoch}\n`);
    const start = await box.reraise('start', 'svc');
    expect(start.exitCode).toBe(0);
    const rec = box.pidFile('svc')!;
    expect(start.stdout).toBe(`svc: started (pid ${rec.pid})`);
    expect(rec.state).toBe('RUN');
    expect(Number(rec.workerPid)).not.toBe(pid);
    expect(cmdline(Number(rec.workerPid))).toBe('auto-reraise svc');
    expect((await box.reraise('stop', 'svc')).stdout).toBe('svc: stopped');
    await never(() => !isAlive(pid) || signalled().length > 0, 200);
  }

  it('the test runner itself, as PID and WORKERPID, now, RUN', async () => {
    const box = sandbox();
    box.script('svc', LONG);
    const got: string[] = [];
    const sigs = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;
    const handlers = sigs.map((sig) => [sig, () => got.push(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);
    try {
      await neverTouched(box, process.pid, Math.floor(Date.now() / 1000), () => got);
    } finally {
      for (const [sig, h] of handlers) process.off(sig, h);
    }
  });

  it('a sleep of our own, in its own group, with its own start time', async () => {
    const box = sandbox();
    box.script('svc', LONG);
    const sleeper = foreignSleep();
    try {
      await neverTouched(box, sleeper.pid, sleeper.epoch, () => []);
    } finally {
      killForeign(sleeper.pid);
    }
  });
});

describe('new and skeleton', () => {
  it('new refuses to overwrite, writes mode 0755 whatever the umask, refuses bad names', async () => {
    const box = sandbox();
    const existing = box.script('old', 'echo mine\n', 0o644);
    const before = fs.readFileSync(existing, 'utf8');
    const r = await box.reraise('new', 'old');
    expect(r.stdout).toBe('');
    expectFailure(r, 'old', existing);
    expect(fs.readFileSync(existing, 'utf8')).toBe(before);
    expect(fs.statSync(existing).mode & 0o7777).toBe(0o644);

    const made = await execa('sh', ['-c', 'umask 077; exec "$0" new fresh', RERAISE], { env: box.env, reject: false });
    expect({ exit: made.exitCode, stderr: made.stderr }).toEqual({ exit: 0, stderr: '' });
    const fresh = path.join(box.dir, 'fresh');
    expect(made.stdout).toMatch(/^fresh: /);
    expect(made.stdout).toContain(fresh);
    expect(fs.statSync(fresh).mode & 0o7777).toBe(0o755);
    expect(fs.readFileSync(fresh, 'utf8')).toMatch(/^#!/);

    for (const name of ['../x', 'a/b', '..', '.hidden', 'x.bak']) {
      const bad = await box.reraise('new', name);
      expect(bad.stdout).toBe('');
      expectFailure(bad, `reraise: ${name}: `);
    }
    expect(fs.existsSync(path.join(box.root, 'x'))).toBe(false);
    expect(fs.readdirSync(box.dir).sort()).toEqual(['fresh', 'old']);
  });

  it('skeleton prints a script; an unknown kind is a usage error', async () => {
    const box = sandbox();
    const [plain, minimal, nope] = await Promise.all([
      box.reraise('skeleton'), box.reraise('skeleton', 'minimal'), box.reraise('skeleton', 'nope'),
    ]);
    for (const r of [plain, minimal]) {
      expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
      expect(r.stdout).toMatch(/^#!/);
    }
    expectUsage(nope, 'nope');
    expectUsage(await box.reraise('new', 'svc', 'nope'), 'nope');
    expect(fs.readdirSync(box.dir)).toEqual([]);
  });
});

describe('--help and --version', () => {
  it('--help lists the actions, the three directories as they resolve and the services found', async () => {
    const box = sandbox();
    box.script('alpha', LONG);
    box.script('beta', LONG, 0o644);
    box.script('gamma~', LONG);
    box.script('.hidden', LONG);
    const r = await box.reraise('--help');
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
    for (const action of ['list', 'status', 'start', 'stop', 'restart', 'clean', 'skeleton', 'new']) {
      expect(r.stdout).toMatch(new RegExp(`\\breraise ${action}\\b`));
    }
    for (const [dir, variable] of [[box.dir, 'RERAISE_DIR'], [box.pidDir, 'RERAISE_PIDDIR'], [box.logDir, 'RERAISE_LOGDIR']]) {
      expect(r.stdout).toMatch(new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b.*${variable}`));
    }
    const found = r.stdout.slice(r.stdout.indexOf('Services found'));
    expect(found).toMatch(/^ +alpha$/m);
    expect(found).toMatch(/^ +beta$/m);
    expect(found).not.toContain('gamma');
    expect(found).not.toContain('hidden');
  });

  it('--version prints the package.json version', async () => {
    const box = sandbox();
    const { version } = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const r = await box.reraise('--version');
    expect({ exit: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({ exit: 0, stdout: version, stderr: '' });
  });
});

describe('auto-reraise started by hand', () => {
  it('a usage line for no name or a bad one; an unusable pid dir named on stderr, no stack trace', async () => {
    const box = sandbox();
    box.script('svc', LONG);
    const bare = await execa(WORKER, [], { env: box.env, reject: false, stdin: 'ignore' });
    expect({ exit: bare.exitCode, stderr: bare.stderr }).toEqual({ exit: 2, stderr: 'usage: auto-reraise NAME (started by "reraise start NAME")' });
    const file = path.join(box.root, 'a-file');
    fs.writeFileSync(file, '');
    const r = await execa(WORKER, ['svc'], { env: { ...box.env, RERAISE_PIDDIR: file }, reject: false, stdin: 'ignore' });
    expect({ exit: r.exitCode, stdout: r.stdout }).toEqual({ exit: 1, stdout: '' });
    expect(r.stderr).toBe(`auto-reraise: svc: unable to use pid dir ${file} (RERAISE_PIDDIR): not a directory`);
    expect(box.log('svc')).toContain('unable to use pid dir');
  });
});

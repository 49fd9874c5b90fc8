// signal, pause, cont, up and down through the real bin/reraise: the process group, the identity check (SPEC 4, 6).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { never, isAlive, procStat, sandbox, type Sandbox } from './sandbox.js';

/** A service with a child in its process group: `exec sleep` is the service process itself. */
const GROUP = 'config_start_sec=0.2\nconfig_stop_sec=2\nsleep 1000 &\nexec sleep 1000\n';
const LONG = 'config_start_sec=0.2\nconfig_stop_sec=2\nexec sleep 1000\n';

/** One-letter state: `T` stopped, `S` sleeping; undefined when gone. */
const procState = (pid: number): string | undefined => procStat(pid)?.[0];

/** Our processes in the group `pgid`. */
function groupOf(box: Sandbox, pgid: number): number[] {
  return box.ourProcesses().filter((pid) => procStat(pid)?.[2] === String(pgid));
}

/** The status line of `name` (the panel's first line is the header). */
async function statusLine(box: Sandbox, name: string): Promise<string> {
  const r = await box.reraise('status', name);
  expect(r.exitCode).toBe(0);
  const [header, line, ...rest] = r.stdout.split('\n');
  expect(header).toMatch(/^NAME\s+STATE\s+PID\s+WORKER\s+UP\s+RESTART\s+EXIT\s+FLAGS\b/);
  expect(rest).toEqual([]);
  return line;
}

async function statusJson(box: Sandbox, name: string): Promise<Record<string, unknown>> {
  return JSON.parse((await box.reraise('status', name, '--json')).stdout)[0];
}

async function started(box: Sandbox, name: string): Promise<{ pid: number; workerPid: number }> {
  const r = await box.reraise('start', name);
  expect(r.exitCode).toBe(0);
  const rec = box.pidFile(name)!;
  expect(rec.state).toBe('RUN');
  return { pid: Number(rec.pid), workerPid: Number(rec.workerPid) };
}

describe('signal SIG PATTERN...', () => {
  it('sends the signal, by name or number, to the whole process group of the service', async () => {
    const box = sandbox();
    const marks = path.join(box.root, 'marks');
    const lines = (): string[] => (fs.existsSync(marks) ? fs.readFileSync(marks, 'utf8').trim().split('\n') : []);
    // The child says ready once its trap is set; the main shell set its own before forking the child.
    box.script('web', [
      'config_start_sec=0.2', 'config_stop_sec=2',
      `trap 'echo main >> ${marks}' USR1`,
      `sh -c 'trap "echo child >> ${marks}" USR1; echo ready >> ${marks}; while :; do sleep 1 & wait $!; done' &`,
      'while :; do sleep 1 & wait $!; done', '',
    ].join('\n'));
    const { pid, workerPid } = await started(box, 'web');
    await box.waitFor('the child trap', () => lines().includes('ready'));

    const forms = ['usr1', 'SIGUSR1', 'USR1', String(os.constants.signals.SIGUSR1)];
    for (const [i, form] of forms.entries()) {
      const r = await box.reraise('signal', form, 'web');
      expect({ exit: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({ exit: 0, stdout: `web: sent SIGUSR1 (pid ${pid})`, stderr: '' });
      await box.waitFor(`main and child to trap ${form}`, () => {
        const got = lines();
        return got.filter((l) => l === 'main').length === i + 1 && got.filter((l) => l === 'child').length === i + 1;
      });
    }
    // The worker is not in the group: it was not signalled, and the service was not restarted.
    expect(isAlive(workerPid)).toBe(true);
    expect(box.pidFile('web')!.pid).toBe(String(pid));
    expect(await statusLine(box, 'web')).toMatch(new RegExp(`^web\\s+running\\s+${pid}\\s+${workerPid}\\s`));
  });

  it('a signal that ends the service: the worker starts it again', async () => {
    const box = sandbox();
    // config_start_sec=0: every run is a success, so this one is restarted at once, not given up on.
    box.script('web', 'config_start_sec=0\nconfig_stop_sec=2\nexec sleep 1000\n');
    const { pid } = await started(box, 'web');
    const r = await box.reraise('signal', 'KILL', 'web');
    expect(r.stdout).toBe(`web: sent SIGKILL (pid ${pid})`);
    const rec = await box.waitFor('a new run', () => {
      const now = box.pidFile('web');
      return now?.state === 'RUN' && now.pid !== String(pid) && now;
    });
    expect(isAlive(pid)).toBe(false);
    // EXIT: the worker records how the last run ended (last_signal=KILL).
    expect(await statusLine(box, 'web')).toMatch(new RegExp(`^web\\s+running\\s+${rec.pid}\\s.*\\sSIGKILL(\\s|$)`));
  });

  it.each([
    ['an unknown name', ['BOGUS', 'web'], 'unknown signal "BOGUS"'],
    ['an unknown number', ['999', 'web'], 'unknown signal "999"'],
    ['a dash form', ['-9', 'web'], 'unknown option "-9"'],
    ['no SIG', [], 'missing SIG'],
    ['no PATTERN', ['HUP'], 'missing PATTERN'],
  ])('%s is a usage error, and nothing is signalled', async (_, args, needle) => {
    const box = sandbox();
    box.script('web', LONG);
    const { pid } = await started(box, 'web');
    const r = await box.reraise('signal', ...args);
    expect({ exit: r.exitCode, stdout: r.stdout }).toEqual({ exit: 2, stdout: '' });
    expect(r.stderr).toMatch(/^reraise: /);
    expect(r.stderr).toContain(needle);
    expect(isAlive(pid)).toBe(true);
    expect(box.pidFile('web')!.pid).toBe(String(pid));
  });
});

describe('pause and cont', () => {
  it('pause stops the group and status says paused; cont resumes it and the flag is gone', async () => {
    const box = sandbox();
    box.script('web', GROUP);
    const { pid } = await started(box, 'web');
    const group = await box.waitFor('the child in the group', () => groupOf(box, pid).length === 2 && groupOf(box, pid));

    const paused = await box.reraise('pause', 'web');
    expect({ exit: paused.exitCode, stdout: paused.stdout, stderr: paused.stderr })
      .toEqual({ exit: 0, stdout: `web: paused (pid ${pid})`, stderr: '' });
    await box.waitFor('every process of the group stopped', () => group.every((p) => procState(p) === 'T'));
    expect(await statusLine(box, 'web')).toMatch(new RegExp(`^web\\s+running\\s+${pid}\\s.*\\spaused\\s+\\S+%\\s+\\S+$`));
    expect(await statusJson(box, 'web')).toMatchObject({ state: 'running', pid, paused: true });

    const resumed = await box.reraise('cont', 'web');
    expect({ exit: resumed.exitCode, stdout: resumed.stdout, stderr: resumed.stderr })
      .toEqual({ exit: 0, stdout: `web: continued (pid ${pid})`, stderr: '' });
    await box.waitFor('every process of the group running', () => group.every((p) => procState(p) !== 'T'));
    const line = await statusLine(box, 'web');
    expect(line).toMatch(new RegExp(`^web\\s+running\\s+${pid}\\s`));
    expect(line).not.toContain('paused');
    expect(await statusJson(box, 'web')).toMatchObject({ state: 'running', pid, paused: false });
  });

  it('a paused service still stops', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const { pid } = await started(box, 'web');
    expect((await box.reraise('pause', 'web')).exitCode).toBe(0);
    await box.waitFor('stopped', () => procState(pid) === 'T');
    const stop = await box.reraise('stop', 'web');
    expect({ exit: stop.exitCode, stdout: stop.stdout }).toEqual({ exit: 0, stdout: 'web: stopped' });
    expect(isAlive(pid)).toBe(false);
  });

  it('acts on an orphaned service, whose worker is gone, after the same identity check', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const { pid, workerPid } = await started(box, 'web');
    process.kill(workerPid, 'SIGKILL');
    await box.waitFor('worker gone', () => !isAlive(workerPid));
    expect((await box.reraise('pause', 'web')).stdout).toBe(`web: paused (pid ${pid})`);
    await box.waitFor('stopped', () => procState(pid) === 'T');
    expect(await statusLine(box, 'web')).toMatch(new RegExp(`^web\\s+orphaned\\s+${pid}\\s.*\\spaused\\s+\\S+%\\s+\\S+\\s+worker gone: reraise stop web; wanted: up: reraise revive takes it over$`));
    expect((await box.reraise('cont', 'web')).stdout).toBe(`web: continued (pid ${pid})`);
    await box.waitFor('running again', () => procState(pid) !== 'T');
    expect(await statusLine(box, 'web')).not.toContain('paused');
  });
});

describe('a service that is not running', () => {
  it.each([
    ['signal', ['WINCH']],
    ['pause', []],
    ['cont', []],
  ])('%s: a failure when named, only reported for a glob', async (action, pre) => {
    const box = sandbox();
    box.script('web', LONG);
    box.script('api', LONG);
    const { pid } = await started(box, 'api');
    expect((await box.reraise('stop', 'web')).stdout).toBe('web: not running');

    const named = await box.reraise(action, ...pre, 'web');
    expect({ exit: named.exitCode, stdout: named.stdout, stderr: named.stderr })
      .toEqual({ exit: 1, stdout: '', stderr: 'reraise: web: not running' });
    const globbed = await box.reraise(action, ...pre, 'w*');
    expect({ exit: globbed.exitCode, stdout: globbed.stdout, stderr: globbed.stderr })
      .toEqual({ exit: 0, stdout: 'web: not running', stderr: '' });
    // The running one still gets it, and the verdict of each name is printed in name order.
    const both = await box.reraise(action, ...pre, '*');
    expect(both.exitCode).toBe(0);
    expect(both.stdout.split('\n')).toEqual([expect.stringMatching(new RegExp(`^api: \\S.* \\(pid ${pid}\\)$`)), 'web: not running']);
    const mixed = await box.reraise(action, ...pre, 'api', 'web');
    expect(mixed.exitCode).toBe(1);
    expect(mixed.stdout).toMatch(/^api: /);
    expect(mixed.stderr).toBe('reraise: web: not running');
    if (action === 'pause') await box.reraise('cont', 'api');
  });

  it('a pattern that matches nothing is a failure; the others still act', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const { pid } = await started(box, 'web');
    const r = await box.reraise('pause', 'nope', 'web');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(`web: paused (pid ${pid})`);
    expect(r.stderr).toMatch(/^reraise: nope: no such service/);
    await box.waitFor('stopped', () => procState(pid) === 'T');
    await box.reraise('cont', 'web');
  });
});

describe('a pid file naming a live process that is not ours', () => {
  it('is never signalled, paused or continued', async () => {
    const box = sandbox();
    box.script('svc', LONG);
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    child.unref();
    const pid = child.pid!;
    try {
      const epoch = Math.floor(Date.now() / 1000);
      fs.mkdirSync(box.pidDir, { recursive: true, mode: 0o700 });
      // Its start time matches; only RERAISE_SERVICE=svc is missing. Both the RUN and the orphan reading fail.
      fs.writeFileSync(path.join(box.pidDir, 'svc'), `RUN - ${pid} ${pid} ${epoch}\n`);
      for (const args of [['signal', 'KILL'], ['signal', 'TERM'], ['pause'], ['cont']]) {
        const r = await box.reraise(...args, 'svc');
        expect({ args, exit: r.exitCode, stdout: r.stdout, stderr: r.stderr })
          .toEqual({ args, exit: 1, stdout: '', stderr: 'reraise: svc: not running' });
      }
      expect(await statusLine(box, 'svc')).toMatch(/^svc\s+stale\b/);
      await never(() => !isAlive(pid) || procState(pid) === 'T');
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });
});

describe('up and down', () => {
  it('are start and stop', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const up = await box.reraise('up', 'web');
    expect(up.exitCode).toBe(0);
    const rec = box.pidFile('web')!;
    expect(up.stdout).toBe(`web: started (pid ${rec.pid})`);
    expect(await statusLine(box, 'web')).toMatch(new RegExp(`^web\\s+running\\s+${rec.pid}\\s+${rec.workerPid}\\s`));
    expect((await box.reraise('up', 'web')).stdout).toBe('web: skip (already running)');
    const down = await box.reraise('down', 'web');
    expect({ exit: down.exitCode, stdout: down.stdout }).toEqual({ exit: 0, stdout: 'web: stopped' });
    expect(box.pidFile('web')).toBeUndefined();
    expect(box.ourProcesses()).toEqual([]);
    expect((await box.reraise('down', 'web')).stdout).toBe('web: not running');
  });

  it('demand a pattern, and --help lists them', async () => {
    const box = sandbox();
    for (const action of ['up', 'down']) {
      const r = await box.reraise(action);
      expect({ exit: r.exitCode, stdout: r.stdout }).toEqual({ exit: 2, stdout: '' });
      expect(r.stderr).toContain(`reraise: ${action}: missing PATTERN`);
    }
    const help = await box.reraise('--help');
    expect(help.stdout).toMatch(/\[aliases: up\]/);
    expect(help.stdout).toMatch(/\[aliases: down\]/);
    for (const action of ['signal', 'pause', 'cont']) expect(help.stdout).toMatch(new RegExp(`\\breraise ${action}\\b`));
  });
});

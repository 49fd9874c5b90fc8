// Readiness and liveness through bin/reraise: fd, port, url and log rules, config_ready_sec, checks (SPEC 14.1, 14.2).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './sandbox.js';

/** A port nothing listens on now: the kernel's pick, let go again. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A node program for the service, run by the node that runs reraise. */
const node = (code: string): string => `exec "$RERAISE_NODE" -e ${JSON.stringify(code)}\n`;

/** An HTTP server on `port` whose answers `answer(n)` (n counts from 1) gives: a status code, or 0 to hang. */
const http = (port: number, answer: string, after = 0): string => node(
  `let n=0;setTimeout(()=>require('http').createServer((q,s)=>{n++;const c=(${answer})(n);if(c){s.statusCode=c;s.end('x')}})` +
  `.listen(${port},'127.0.0.1',()=>console.log('listening')),${after})`);

const lines = (text: string, part: string): string[] => text.split('\n').filter((l) => l.includes(part));

async function stopped(box: Sandbox, name: string): Promise<void> {
  const stop = await box.reraise('stop', name);
  expect(stop.exitCode, stop.all).toBe(0);
}

describe('config_ready_fd (SPEC 14.1)', () => {
  it('starting until the newline on the descriptor, then running; start --wait says ready', async () => {
    const box = sandbox();
    const flag = path.join(box.root, 'go');
    box.script('fd', `config_ready_fd=5\nconfig_ready_sec=20\nwhile [ ! -e ${flag} ]; do sleep 0.05; done\necho >&5\nexec sleep 1000\n`);
    expect((await box.reraise('start', 'fd')).exitCode).toBe(0);
    const rec = box.pidFile('fd')!;
    expect(rec.extra.ready).toBe('0');
    const status = await box.reraise('status', 'fd');
    expect(status.stdout).toMatch(new RegExp(`^fd +starting +${rec.pid} +${rec.workerPid} .*not ready yet`, 'm'));
    const json = JSON.parse((await box.reraise('status', '--json', 'fd')).stdout)[0];
    expect(json).toMatchObject({ state: 'starting', ready: false, pid: Number(rec.pid) });
    const waiting = box.reraise('start', '--wait', 'fd');
    fs.writeFileSync(flag, '');
    const waited = await waiting;
    expect(waited.exitCode, waited.all).toBe(0);
    expect(waited.stdout).toContain(`fd: ready (pid ${rec.pid}, config_ready_fd=5)`);
    expect(box.pidFile('fd')!.extra.ready).toBe('1');
    expect((await box.reraise('status', 'fd')).stdout).toMatch(/^fd +running /m);
    expect(box.log('fd')).toMatch(/fd: ready \(config_ready_fd=5\) after \d+\.\ds/);
    await stopped(box, 'fd');
  });

  it('a service that writes garbage, then its line, then more lines and a lot: ready once, never blocked', async () => {
    const box = sandbox();
    box.script('chatty', 'config_ready_fd=3\nconfig_ready_sec=20\nprintf garbage >&3\necho >&3\necho again >&3\n' +
      'head -c 1000000 /dev/zero >&3\necho through\nexec sleep 1000\n');
    const start = await box.reraise('start', '--wait', 'chatty');
    expect(start.exitCode, start.all).toBe(0);
    await box.waitFor('the service past its writes', () => box.log('chatty').includes('through'));
    expect(lines(box.log('chatty'), 'ready (')).toHaveLength(1);
    await stopped(box, 'chatty');
  });

  it('closes the descriptor without a newline: said once, a failed start at config_ready_sec, --wait exits 1 with the log', async () => {
    const box = sandbox();
    box.script('mute', 'config_ready_fd=4\nconfig_ready_sec=0.5\nconfig_stop_sec=1\nexec 4>&-\necho no line\nexec sleep 1000\n');
    const start = await box.reraise('start', '--wait', 'mute');
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toContain('mute: failed to start');
    expect(start.stderr).toContain('not ready after 0.5s (config_ready_sec): stopping it');
    expect(lines(box.log('mute'), 'without a newline')).toHaveLength(1);
    expect(box.pidFile('mute')!.state).toBe('ERROR');
  });

  it('descriptor 3 of a script service is the readiness pipe alone: nothing else arrives on it', async () => {
    const box = sandbox();
    box.script('three', 'config_ready_fd=3\nconfig_ready_sec=20\nif read -t 1 x <&3; then echo STRAY; else echo clean; fi\necho >&3\nexec sleep 1000\n');
    const start = await box.reraise('start', '--wait', 'three');
    expect(start.exitCode, start.all).toBe(0);
    expect(box.log('three')).toContain('clean');
    expect(box.log('three')).not.toContain('STRAY');
    await stopped(box, 'three');
  });

  it('ready, then dead at once, every time: a failed start, not a restart loop', async () => {
    const box = sandbox();
    box.script('flash', 'config_ready_fd=3\nconfig_ready_sec=20\necho >&3\nexit 1\n');
    const start = await box.reraise('start', '--wait', 'flash');
    expect(start.exitCode).toBe(1);
    expect(box.pidFile('flash')?.state).toBe('ERROR');
    expect(lines(box.log('flash'), ': started (pid')).toHaveLength(1);
  });

  it('a run not ready yet can be signalled: it has a pid', async () => {
    const box = sandbox();
    box.script('slowly', `config_ready_fd=3\nconfig_ready_sec=20\ntrap 'echo got-hup' HUP\nwhile :; do sleep 0.1; done\n`);
    expect((await box.reraise('start', 'slowly')).exitCode).toBe(0);
    const signal = await box.reraise('signal', 'HUP', 'slowly');
    expect(signal.exitCode, signal.all).toBe(0);
    await box.waitFor('the HUP trapped', () => box.log('slowly').includes('got-hup'));
    await stopped(box, 'slowly');
  });

  it('descriptor 3 of a perp service with an rc.log (the gate\'s descriptor until it runs)', async () => {
    const box = sandbox();
    const dir = path.join(box.dir, 'perpfd');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'rc.main'), '#!/bin/sh\nconfig_ready_fd=3\nconfig_ready_sec=20\n[ "$1" = start ] || exit 0\necho hello\necho >&3\nexec sleep 1000\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'rc.log'), '#!/bin/sh\nexec reraise logger "$2"\n', { mode: 0o755 });
    const start = await box.reraise('start', '--wait', 'perpfd');
    expect(start.exitCode, start.all).toBe(0);
    expect(start.stdout).toContain('perpfd: ready (pid');
    await box.waitFor('the line logged', () => box.log('perpfd').includes('hello'));
    await stopped(box, 'perpfd');
  });
});

describe('config_ready_port and config_ready_url (SPEC 14.1)', () => {
  it('port: starting while closed, running once it listens', async () => {
    const box = sandbox();
    const port = await freePort();
    box.script('tcp', `config_ready_port=${port}\nconfig_ready_sec=20\n` +
      node(`setTimeout(()=>require('net').createServer(s=>s.end()).listen(${port},'127.0.0.1'),700)`));
    expect((await box.reraise('start', 'tcp')).exitCode).toBe(0);
    expect((await box.reraise('status', 'tcp')).stdout).toMatch(/^tcp +starting /m);
    const waited = await box.reraise('start', '--wait', 'tcp');
    expect(waited.stdout).toContain(`tcp: ready (pid ${box.pidFile('tcp')!.pid}, config_ready_port=${port})`);
    await stopped(box, 'tcp');
  });

  it('url: 503 is not ready, 200 is', async () => {
    const box = sandbox();
    const port = await freePort();
    box.script('web', `config_ready_url=http://localhost:${port}/health\nconfig_ready_sec=20\n${http(port, 'n=>n<3?503:200')}`);
    const waited = await box.reraise('start', '--wait', 'web');
    expect(waited.exitCode, waited.all).toBe(0);
    expect(waited.stdout).toContain(`config_ready_url=http://localhost:${port}/health`);
    await stopped(box, 'web');
  });

  it('a URL that hangs: every probe times out, the start fails at config_ready_sec, and a stop meanwhile is prompt', async () => {
    const box = sandbox();
    const port = await freePort();
    box.script('hang', `config_ready_url=http://127.0.0.1:${port}/\nconfig_ready_sec=6\nconfig_stop_sec=1\n${http(port, '()=>0')}`);
    expect((await box.reraise('start', 'hang')).exitCode).toBe(0);
    await box.waitFor('the server up', () => box.log('hang').includes('listening'));
    const t0 = Date.now();
    await stopped(box, 'hang');
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(box.pidFile('hang')).toBeUndefined();
  });

  it('not ready in time: the group stopped, then the retry policy: ERROR and --wait exit 1', async () => {
    const box = sandbox();
    const port = await freePort();
    box.script('never', `config_ready_port=${port}\nconfig_ready_sec=0.6\nconfig_stop_sec=1\nexec sleep 1000\n`);
    const waited = await box.reraise('start', '--wait', 'never');
    expect(waited.exitCode).toBe(1);
    expect(box.log('never')).toContain('never: not ready after 0.6s (config_ready_sec): stopping it');
    expect(box.pidFile('never')).toMatchObject({ state: 'ERROR', exitCode: '143' });
    expect(box.ourProcesses()).toEqual([]);
  });
});

describe('config_ready_log (SPEC 14.1)', () => {
  it('ready when a line of the run holds the text', async () => {
    const box = sandbox();
    box.script('logged', 'config_ready_log="Listening on port"\nconfig_ready_sec=20\necho starting\nsleep 0.3\necho "server: Listening on port 80"\nexec sleep 1000\n');
    const waited = await box.reraise('start', '--wait', 'logged');
    expect(waited.exitCode, waited.all).toBe(0);
    expect(waited.stdout).toContain('logged: ready (pid');
    expect(box.log('logged')).toContain('logged: ready (config_ready_log="Listening on port")');
    await stopped(box, 'logged');
  });

  it('a perp service with rc.log: refused at start, its reason said', async () => {
    const box = sandbox();
    const dir = path.join(box.dir, 'perplog');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'rc.main'), '#!/bin/sh\nconfig_ready_log=up\n[ "$1" = start ] || exit 0\nexec sleep 1000\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'rc.log'), '#!/bin/sh\nexec reraise logger "$2"\n', { mode: 0o755 });
    const start = await box.reraise('start', 'perplog');
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toContain('config_ready_log needs the worker to write the log');
    expect(box.ourProcesses()).toEqual([]);
  });
});

describe('liveness (SPEC 14.2)', () => {
  it('failed checks show as unhealthy, and config_check_fail in a row restart it, logged with the reason', async () => {
    const box = sandbox();
    const port = await freePort();
    // Answers 200 twice (ready, one good check), then 503 for ever.
    box.script('sick', `config_ready_url=http://127.0.0.1:${port}/\nconfig_check_sec=0.3\nconfig_check_fail=3\nconfig_stop_sec=1\n` +
      http(port, 'n=>n<=2?200:503'));
    const waited = await box.reraise('start', '--wait', 'sick');
    expect(waited.exitCode, waited.all).toBe(0);
    const first = box.pidFile('sick')!.pid;
    const failing = await box.waitFor('a failed check in the record', () => {
      const rec = box.pidFile('sick');
      return rec?.pid === first && rec.extra.checks !== undefined && rec;
    });
    expect(failing.extra.check).toBe('http-503');
    const status = await box.reraise('status', 'sick');
    if (box.pidFile('sick')?.extra.checks) expect(status.stdout).toMatch(/^sick +running .*unhealthy/m);
    await box.waitFor('a new run', () => box.pidFile('sick')?.pid !== first && box.pidFile('sick')?.state === 'RUN');
    expect(box.log('sick')).toContain('sick: unhealthy: 3 checks in a row failed (last: http-503): restarting');
    expect(box.pidFile('sick')!.extra.restarts).toBe('1');
    await stopped(box, 'sick');
  });

  it('a service that turns unhealthy during a stop: one stop, no restart', async () => {
    const box = sandbox();
    const port = await freePort();
    // On SIGTERM it closes its port at once and takes a second to leave: checks fail during the stop.
    box.script('slow', `config_ready_port=${port}\nconfig_check_sec=0.1\nconfig_check_fail=1\nconfig_stop_sec=3\n` +
      node(`const s=require('net').createServer(c=>c.end()).listen(${port},'127.0.0.1');process.on('SIGTERM',()=>{s.close();setTimeout(()=>process.exit(0),1000)})`));
    expect((await box.reraise('start', '--wait', 'slow')).exitCode).toBe(0);
    const pid = box.pidFile('slow')!.pid;
    await stopped(box, 'slow');
    expect(box.log('slow')).not.toContain('unhealthy');
    expect(lines(box.log('slow'), 'started (pid')).toEqual([expect.stringContaining(`started (pid ${pid})`)]);
    expect(box.ourProcesses()).toEqual([]);
  });

  it('a paused service is not restarted for the checks it fails; once continued it is checked again', async () => {
    const box = sandbox();
    const port = await freePort();
    // Healthy while the file is there.
    const healthy = path.join(box.root, 'healthy');
    fs.writeFileSync(healthy, '');
    box.script('frozen', `config_ready_url=http://127.0.0.1:${port}/\nconfig_check_sec=0.2\nconfig_check_fail=1\nconfig_stop_sec=1\n` +
      http(port, `()=>require('fs').existsSync(${JSON.stringify(healthy)})?200:503`));
    expect((await box.reraise('start', '--wait', 'frozen')).exitCode).toBe(0);
    const pid = box.pidFile('frozen')!.pid;
    expect((await box.reraise('pause', 'frozen')).exitCode).toBe(0);
    await box.waitFor('a check that found it paused', () => box.log('frozen').includes('frozen: paused: its failed checks are not counted'));
    expect((await box.reraise('cont', 'frozen')).exitCode).toBe(0);
    expect(box.log('frozen')).not.toContain('unhealthy');
    expect(box.pidFile('frozen')).toMatchObject({ pid, state: 'RUN' });
    expect(box.pidFile('frozen')!.extra.checks).toBeUndefined();
    fs.rmSync(healthy);
    await box.waitFor('the checks going on', () => box.log('frozen').includes('frozen: unhealthy: 1 check in a row failed (last: http-503)'));
    await stopped(box, 'frozen');
  });

  it('a port that opens and closes again: ready, then unhealthy and restarted', async () => {
    const box = sandbox();
    const port = await freePort();
    box.script('flicker', `config_ready_port=${port}\nconfig_check_sec=0.2\nconfig_check_fail=2\nconfig_stop_sec=1\n` +
      node(`const s=require('net').createServer(c=>c.end()).listen(${port},'127.0.0.1');setTimeout(()=>s.close(),400);setInterval(()=>{},1e6)`));
    expect((await box.reraise('start', '--wait', 'flicker')).exitCode).toBe(0);
    await box.waitFor('the restart', () => box.log('flicker').includes('flicker: unhealthy: 2 checks in a row failed (last: refused): restarting'));
    await stopped(box, 'flicker');
  });
});

describe('bad values of the new keys are refused at start with file, line, key and value (SPEC 14)', () => {
  it.each([
    ['config_ready_port=0', 'ready_port', '"0"'],
    ['config_ready_port=70000', 'ready_port', '"70000"'],
    ['config_ready_url=https://127.0.0.1/', 'ready_url', 'not http'],
    ['config_ready_url=http://example.com/', 'ready_url', 'not a loopback host'],
    ['config_ready_fd=2', 'ready_fd', '"2"'],
    ['config_ready_port=80\nconfig_ready_sec=-1', 'ready_sec', '"-1"'],
    ['config_ready_port=80\nconfig_check_sec=99999999999', 'check_sec', '"99999999999"'],
    ['config_check_sec=1', 'check_sec', 'needs config_ready_port or config_ready_url'],
  ])('%s', async (lines, key, said) => {
    const box = sandbox();
    const file = box.script('bad', `${lines}\nexec sleep 1000\n`);
    const start = await box.reraise('start', 'bad');
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: config_${key}: `));
    expect(start.stderr).toContain(said);
    expect(box.ourProcesses()).toEqual([]);
  });
});

// A port on 127.0.0.1 is anyone's: another user who listens on it first does not make a run ready (SPEC 14.1).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CAN_USE_USERS, ROOT, BASE_PATH, spawnAs, useUsers, usePackage, userBox, waitFor, type Box, type User } from './users.js';

/** A port nothing listens on now: the kernel's pick, let go again. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** How the attacker's listener treats a connection: keeps it, closes it at once, or answers HTTP 200. */
const SERVERS = {
  keeps: 'c=>{}',
  closes: 'c=>c.destroy()',
  http: 'c=>c.end("HTTP/1.0 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n")',
} as const;

/** Listens on `port` as `user` and says `listening`; stopped after the test with the others. */
async function listen(user: User | undefined, port: number, how: keyof typeof SERVERS): Promise<void> {
  await started(user, `require('net').createServer(${SERVERS[how]}).listen(${port},'127.0.0.1',()=>console.log('listening'))`);
}

/**
 * The race: each connection is answered (`answer`, maybe nothing) and closed at once, and so is the
 * listener, opened again 30 ms later, so that the tables may show neither when the worker reads them.
 */
async function flap(user: User, port: number, answer: string): Promise<void> {
  await started(user, `const net=require('net');let said=false;function open(){const s=net.createServer(c=>{c.end(${JSON.stringify(answer)});` +
    `c.destroy();s.close();setTimeout(open,30)});s.on('error',()=>setTimeout(open,30));` +
    `s.listen(${port},'127.0.0.1',()=>{if(!said){said=true;console.log('listening')}})}open()`);
}

async function started(user: User | undefined, code: string): Promise<void> {
  const child = spawnAs(user, [process.execPath, '-e', code], { HOME: '/', PATH: BASE_PATH });
  await waitFor('the listener', () => child.lines.includes('listening'), 5000);
}

const foreignLine = (port: number, uid: number): string => `web: not ready: 127.0.0.1:${port} is answered by uid ${uid}, not by the service`;

async function expectNotReady(box: Box, port: number, attacker: User): Promise<void> {
  const waited = await box.reraise('start', '--wait', 'web');
  expect(waited.exitCode, waited.all).toBe(1);
  expect(waited.stderr).toContain('web: failed to start');
  const log = box.log('web');
  expect(log.split('\n').filter((l) => l.includes(foreignLine(port, attacker.uid)))).toHaveLength(1);
  expect(log).toContain('web: not ready after 1.5s (config_ready_sec): stopping it');
  expect(log).not.toMatch(/web: ready \(/);
}

describe.runIf(CAN_USE_USERS)('readiness probes against another user listening on the port first', () => {
  const users = useUsers();
  const pkg = usePackage();
  const service = (port: number, rule: string): string =>
    `${rule.replace('PORT', String(port))}\nconfig_ready_sec=1.5\nconfig_max_retry=0\nconfig_stop_sec=1\nexec sleep 1000\n`;

  it.each<[string, keyof typeof SERVERS, string]>([
    ['a port rule, a listener that keeps the connection', 'keeps', 'config_ready_port=PORT'],
    ['a port rule, a listener that closes each connection at once', 'closes', 'config_ready_port=PORT'],
    ['a url rule, a listener that answers 200', 'http', 'config_ready_url=http://127.0.0.1:PORT/'],
  ])('%s: not ready, said once with the uid, and a failed start at config_ready_sec', async (_, how, rule) => {
    const { owner, attacker } = users;
    const port = await freePort();
    await listen(attacker, port, how);
    const box = userBox(pkg, owner);
    box.script('web', service(port, rule));
    await expectNotReady(box, port, attacker);
  });

  it.each<[string, string, string]>([
    ['a port rule', '', 'config_ready_port=PORT'],
    ['a url rule', 'HTTP/1.0 200 OK\r\n\r\n', 'config_ready_url=http://127.0.0.1:PORT/'],
  ])('%s, a listener that closes each connection and itself at once, and listens again: never ready', async (_, answer, rule) => {
    const { owner, attacker } = users;
    const port = await freePort();
    await flap(attacker, port, answer);
    const box = userBox(pkg, owner);
    box.script('web', service(port, rule));
    const waited = await box.reraise('start', '--wait', 'web');
    expect(waited.exitCode, waited.all).toBe(1);
    expect(box.log('web')).toContain('web: not ready after 1.5s (config_ready_sec): stopping it');
    expect(box.log('web')).not.toMatch(/web: ready \(/);
  });

  it('the service\'s own listener, of the user: ready', async () => {
    const { owner } = users;
    const port = await freePort();
    await listen(owner, port, 'closes');
    const box = userBox(pkg, owner);
    box.script('web', service(port, 'config_ready_port=PORT'));
    const waited = await box.reraise('start', '--wait', 'web');
    expect(waited.exitCode, waited.all).toBe(0);
    expect(waited.stdout).toContain(`web: ready (pid `);
    expect((await box.reraise('stop', 'web')).exitCode).toBe(0);
  });

  it('root runs a service of another user that listens itself: its owner\'s answer is the service\'s, ready', async () => {
    const { owner2 } = users;
    const port = await freePort();
    const box = userBox(pkg, ROOT);
    box.script('web', `config_ready_port=${port}\nconfig_ready_sec=10\nconfig_stop_sec=1\n` +
      `exec "${process.execPath}" -e "require('net').createServer(c=>c.destroy()).listen(${port},'127.0.0.1')"\n`, owner2);
    const waited = await box.reraise('start', '--wait', 'web');
    expect(waited.exitCode, waited.all).toBe(0);
    expect(box.log('web')).not.toContain('is answered by uid');
    expect((await box.reraise('stop', 'web')).exitCode).toBe(0);
  });
});

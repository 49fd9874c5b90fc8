// What each service costs, in status and status --json, read from /proc for the whole process group (SPEC 15.1).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './sandbox.js';

interface Row {
  name: string;
  pid: number | null;
  workerPid: number | null;
  cpu: number | null;
  cpuSince: number | null;
  rss: number | null;
  processes: number | null;
  workerRss: number | null;
}

/** The rows of `names`, in the order asked (status sorts by name). */
async function rows(box: Sandbox, ...names: string[]): Promise<Row[]> {
  const r = await box.reraise('status', '--json', ...names);
  expect(r.exitCode, r.all).toBe(0);
  const all = JSON.parse(r.stdout) as Row[];
  return names.map((name) => all.find((row) => row.name === name)!);
}

/** The resident bytes /proc gives for `pid` (VmRSS). */
function rssOf(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

describe('resources in status (SPEC 15.1)', () => {
  it('CPU and MEM for a running service, the whole group counted, the worker apart; - for one not running', async () => {
    const box = sandbox();
    // The leader and two children, one of them busy.
    box.script('web', 'config_start_sec=0.2\nconfig_stop_sec=1\nsleep 1000 &\nwhile :; do :; done &\nwait\n');
    box.script('idle', 'exec sleep 1000\n');
    expect((await box.reraise('start', 'web')).exitCode).toBe(0);
    const pid = Number(await box.waitFor('its run', () => box.pidFile('web')?.state === 'RUN' && box.pidFile('web')!.pid));
    // The leader, then its two children once the shell has forked them.
    let [web, idle] = await rows(box, 'web', 'idle');
    for (const deadline = Date.now() + 10_000; web.processes !== 3 && Date.now() < deadline;) [web, idle] = await rows(box, 'web', 'idle');
    // Three processes' RSS, each a shell or sleep: more than the leader alone.
    expect(web.processes).toBe(3);
    expect(web.rss).toBeGreaterThan(rssOf(pid));
    expect(web.workerRss).toBeGreaterThan(10 * 1024 * 1024);
    expect(web.cpu).toBeGreaterThanOrEqual(0);
    expect(web.cpuSince).toBeGreaterThan(0);
    expect(idle).toMatchObject({ cpu: null, cpuSince: null, rss: null, processes: null, workerRss: null });
    const panel = (await box.reraise('status', 'web', 'idle')).stdout.split('\n');
    expect(panel[0]).toMatch(/^NAME +STATE +PID +WORKER +UP +RESTART +EXIT +FLAGS +CPU +MEM$/);
    expect(panel[1]).toMatch(/^idle +not running +- +- +- +- +- +- +- +-$/);
    expect(panel[2]).toMatch(new RegExp(`^web +running +${pid} +\\d+ +\\S+ +0 +- +- +\\d+(\\.\\d)?% +\\d+(\\.\\d)?[KMG]$`));
    await box.reraise('stop', 'web');
  });

  it('CPU since the last status: a busy loop shows about a core, averaged from the earlier look', async () => {
    const box = sandbox();
    box.script('busy', 'config_start_sec=0.2\nconfig_stop_sec=1\nwhile :; do :; done\n');
    expect((await box.reraise('start', '--wait', 'busy')).exitCode).toBe(0);
    const firstLook = Date.now();
    const [first] = await rows(box, 'busy');
    // The first look averages over the run's life.
    expect(first.cpuSince).toBe(Number(box.pidFile('busy')!.epoch));
    // The cache keeps the look, in the user's cache dir.
    expect(fs.readdirSync(path.join(box.env.XDG_CACHE_HOME, 'reraise')).some((f) => f.startsWith('usage-'))).toBe(true);
    await box.waitFor('a second and a half later', () => Date.now() >= firstLook + 1500 || undefined, 5000);
    const [second] = await rows(box, 'busy');
    // Averaged from the first look, not from the run's start.
    expect(second.cpuSince).toBeGreaterThanOrEqual(Math.floor(firstLook / 1000));
    expect(second.cpuSince).toBeLessThan(Math.floor(Date.now() / 1000));
    // A loop that never sleeps: most of a core, on a machine busy with other tests.
    expect(second.cpu).toBeGreaterThan(20);
    expect(second.cpu).toBeLessThanOrEqual(110);
    await box.reraise('stop', 'busy');
  });

  it('a usage sample that is garbage, or a cache dir that cannot be used, changes nothing but the average', async () => {
    const box = sandbox();
    box.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    expect((await box.reraise('start', '--wait', 'web')).exitCode).toBe(0);
    expect((await rows(box, 'web'))[0].rss).toBeGreaterThan(0);
    const cache = path.join(box.env.XDG_CACHE_HOME, 'reraise');
    for (const f of fs.readdirSync(cache).filter((n) => n.startsWith('usage-'))) fs.writeFileSync(path.join(cache, f), 'rubbish\n\0\0');
    const [again] = await rows(box, 'web');
    expect(again.cpuSince).toBe(Number(box.pidFile('web')!.epoch));
    fs.chmodSync(cache, 0o777);
    const loose = await box.reraise('status', 'web');
    expect(loose.exitCode).toBe(0);
    expect(loose.stderr).toBe('');
    expect(loose.stdout).toMatch(/^web +running .* \d+(\.\d)?%/m);
    fs.chmodSync(cache, 0o700);
    await box.reraise('stop', 'web');
  });
});

describe('status without the parser (SPEC 15.1)', () => {
  it('says what the parser path says, word for word and with the same exit status', async () => {
    const box = sandbox();
    box.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    box.script('api', 'exec sleep 1000\n');
    expect((await box.reraise('start', '--wait', 'web')).exitCode).toBe(0);
    // After `--` the arguments go through yargs; without it, straight to status.
    const pairs: string[][] = [['web'], ['api', 'web'], ['nothing-*'], ['web', 'nothing'], ['bad~'], []];
    for (const args of pairs) {
      const quick = await box.reraise('status', ...args);
      const parsed = await box.reraise('status', '--', ...args);
      // What moves between the two: the uptime, the CPU share, the memory.
      const cpuFree = (text: string): string => text.replace(/ +/g, ' ').replace(/ \d+s /g, ' Ns ').replace(/\d+(\.\d)?%/g, 'N%').replace(/\d+(\.\d)?[KMG]\b/g, 'NM');
      expect({ code: quick.exitCode, out: cpuFree(quick.stdout), err: quick.stderr }, args.join(' '))
        .toEqual({ code: parsed.exitCode, out: cpuFree(parsed.stdout), err: parsed.stderr });
    }
    // What it does not know goes to the parser, which names it.
    const typo = await box.reraise('status', '--jsn');
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain('--jsn');
    await box.reraise('stop', 'web');
  });
});

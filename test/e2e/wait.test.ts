// reraise start --wait: returns once each service has run config_start_sec, or has given up (SPEC 11).
import { describe, expect, it } from 'vitest';
import { sandbox } from './sandbox.js';

describe('start --wait', () => {
  it('returns 0 once the service has run for config_start_sec', async () => {
    const box = sandbox();
    box.script('slow', 'config_start_sec=0.6\nexec sleep 1000\n');
    const t0 = Date.now();
    const r = await box.reraise('start', '--wait', 'slow');
    const took = Date.now() - t0;
    expect(r.exitCode).toBe(0);
    const pid = box.pidFile('slow')!.pid;
    expect(r.stdout).toBe(`slow: started (pid ${pid})\nslow: up (pid ${pid}, ran config_start_sec=0.6s)`);
    expect(took).toBeGreaterThanOrEqual(600);
  });

  it('returns 1 with the last 10 lines of the log when the service reaches ERROR', async () => {
    const box = sandbox();
    box.script('good', 'config_start_sec=0.3\nexec sleep 1000\n');
    box.script('bad', 'config_start_sec=5\nfor i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "boot line $i"; done\nexit 3\n');
    const r = await box.reraise('up', '--wait', 'good', 'bad');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^good: up \(pid \d+/m);
    const err = r.stderr.split('\n');
    expect(err[0]).toBe(`reraise: bad: failed to start (exit code 3); the last 10 lines of ${box.logDir}/bad/current:`);
    const tail = err.slice(1);
    expect(tail).toHaveLength(10);
    // The worker's `started` line may fall anywhere among the boot lines, which come in the same instant.
    // The lines are shown as they are in the log: stamped by default (SPEC 15.7).
    expect(tail.every((l) => /^ {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l)), tail.join('\n')).toBe(true);
    expect(tail.filter((l) => / boot line \d+$/.test(l)).map((l) => Number(l.split(' ').pop()))).toEqual(
      expect.arrayContaining([5, 6, 7, 8, 9, 10, 11, 12]));
    expect(tail[9]).toContain('bad: failed to start (exit code 3, retries 0)');
  });

  it('waits for a service that is already running, too', async () => {
    const box = sandbox();
    box.script('web', 'config_start_sec=0.3\nexec sleep 1000\n');
    await box.reraise('start', 'web');
    const r = await box.reraise('start', 'web', '--wait');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^web: skip \(already running\)\nweb: up \(pid \d+/);
  });
});

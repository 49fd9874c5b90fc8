// What a service writes into its log cannot take over the terminal of whoever reads it, nor make
// the reader read or hold a line of any length (SPEC 7, 15.2, 15.3).
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RERAISE, sandbox, type Sandbox } from './sandbox.js';
import { hasTmux, openTerminal, type Terminal } from './terminal.js';

let terminals: Terminal[] = [];
afterEach(async () => {
  await Promise.all(terminals.map((t) => t.close()));
  terminals = [];
});

const HOSTILE = String.raw`printf 'before\n\033]0;OWNED\007\033]52;c;cm0gLXJmIH4K\007\033[1A\r\033[2Kfake: all good\n\033[32mgreen\033[0m\n'`;

async function hostile(): Promise<Sandbox> {
  const box = sandbox();
  box.script('evil', `config_start_sec=0.2\nconfig_log_stamp=0\n${HOSTILE}\nexec sleep 1000\n`);
  box.script('calm', 'config_start_sec=0.2\nconfig_log_stamp=0\necho calm here\nexec sleep 1000\n');
  expect((await box.reraise('start', '--wait', 'evil', 'calm')).exitCode).toBe(0);
  await box.waitFor('the lines in the log', () => fs.readFileSync(path.join(box.logDir, 'evil', 'current'), 'utf8').includes('green'));
  return box;
}

/** A sparse `current` of `bytes` with no newline at all: no disk, but a line of that length. */
function plantHugeLine(box: Sandbox, name: string, bytes: number): void {
  const dir = path.join(box.logDir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'current'), 'old line\n');
  fs.truncateSync(path.join(dir, 'current'), bytes);
}

describe('a log read on a terminal (SPEC 7)', () => {
  it.skipIf(!hasTmux)('shows a service\'s control sequences as ?, keeps its colours, and the title and clipboard stay', async () => {
    const box = await hostile();
    for (const args of [['evil'], ['evil', 'calm'], ["'e*'"], ['--local', 'evil']]) {
      const t = await openTerminal(`${RERAISE} log ${args.join(' ')}`, box.env);
      terminals.push(t);
      const screen = await t.waitForScreen(`log ${args.join(' ')}`, (s) => s.includes('fake: all good'));
      expect(screen, `${args.join(' ')}: ${JSON.stringify(screen)}`).toMatch(/before/);
      expect(screen).toContain('?]0;OWNED??]52;c;cm0gLXJmIH4K??[1A??[2Kfake: all good');
      expect(await t.screen(true)).toMatch(/\x1b\[32mgreen/);
      expect(await t.query('#{pane_title}')).not.toContain('OWNED');
    }
    await box.reraise('stop', 'evil', 'calm');
  });

  it('into a pipe, one log is copied byte for byte, as before', async () => {
    const box = await hostile();
    const piped = await box.reraise('log', 'evil');
    expect(piped.stdout).toContain('\x1b]0;OWNED\x07');
    await box.reraise('stop', 'evil', 'calm');
  });
});

describe('a line of any length (SPEC 15.3)', () => {
  it('log of several services reads at most a held line (1 MiB) a line of each, and ends at once', async () => {
    const box = sandbox();
    box.script('huge', 'exec sleep 1000\n');
    box.script('small', 'exec sleep 1000\n');
    plantHugeLine(box, 'huge', 8 * 1024 ** 3);
    fs.mkdirSync(path.join(box.logDir, 'small'));
    fs.writeFileSync(path.join(box.logDir, 'small', 'current'), 'one\ntwo\n');
    const started = Date.now();
    const r = await execa(RERAISE, ['log', '-n', '2', 'huge', 'small'], { env: box.env, reject: false, encoding: 'buffer', timeout: 20_000 });
    expect(r.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stdout.length).toBeLessThan(2 * 1024 * 1024 + 1000);
    expect(Buffer.from(r.stdout).toString('latin1')).toMatch(/small \| one\nsmall \| two$/);
  });

  it('log -f of several services through a pipe nobody reads holds back its readers, not the lines in memory', async () => {
    const box = sandbox();
    box.script('loud', 'config_start_sec=0.2\nconfig_log_stamp=0\nexec yes a-long-line-of-text-for-the-log\n');
    box.script('quiet', 'config_start_sec=0.2\nexec sleep 1000\n');
    expect((await box.reraise('start', '--wait', 'loud', 'quiet')).exitCode).toBe(0);
    // stdout a pipe that is never read: writes block once the pipe is full.
    const follower = execa(RERAISE, ['log', '-f', '-n', '0', 'loud', 'quiet'], { env: box.env, reject: false, buffer: false, stdout: 'pipe' });
    try {
      const rss = (): number => Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${follower.pid}/status`, 'utf8'))?.[1] ?? 0);
      // The service writes megabytes a second; a reader that did not wait would grow by as much.
      const dir = path.join(box.logDir, 'loud');
      // Rotated files are pruned as it goes: the writer's own count of what it wrote is the size of what is left plus what went.
      let written = 0;
      const seen = new Map<string, number>();
      const logBytes = (): number => {
        for (const file of fs.readdirSync(dir)) {
          try {
            const size = fs.statSync(path.join(dir, file)).size;
            written += Math.max(0, size - (seen.get(file) ?? 0));
            seen.set(file, size);
          } catch {
            // pruned or renamed while listed
          }
        }
        return written;
      };
      const from = logBytes();
      await box.waitFor('60 MiB more of the log', () => logBytes() - from > 60 * 1024 * 1024 || undefined, 30_000);
      expect(rss()).toBeLessThan(200 * 1024);
    } finally {
      process.kill(follower.pid!, 'SIGTERM');
      await follower;
    }
    await box.reraise('stop', 'loud', 'quiet');
  });
});

describe('top beside a line of any length (SPEC 15.2)', () => {
  it.skipIf(!hasTmux)('draws at once and q ends it, whatever the selected log holds', async () => {
    const box = sandbox();
    box.script('huge', 'exec sleep 1000\n');
    plantHugeLine(box, 'huge', 8 * 1024 ** 3);
    const t = await openTerminal(`bash --norc --noprofile -i`, { ...box.env, PS1: 'P> ' });
    terminals.push(t);
    await t.waitForScreen('the prompt', (s) => s.includes('P>'));
    await t.send(`${RERAISE} top`, 'Enter');
    await t.waitForScreen('the panel', (s) => /^huge +not running/m.test(s), 10_000);
    await t.send('q');
    await t.waitForScreen('the prompt again', (s) => !s.includes('reraise top:') && s.includes('P>'), 10_000);
    expect(await t.query('#{alternate_on} #{cursor_flag}')).toBe('0 1');
  });
});

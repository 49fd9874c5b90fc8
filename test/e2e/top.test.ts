// reraise top on a real terminal: typed into and read off a tmux pane; the terminal given back as it was (SPEC 15.2).
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RERAISE, sandbox, type Sandbox } from './sandbox.js';
import { hasTmux, openTerminal, type Terminal } from './terminal.js';

let terminals: Terminal[] = [];
afterEach(async () => {
  await Promise.all(terminals.map((t) => t.close()));
  terminals = [];
});

const PROMPT = 'READY> ';
/** The prompt as the screen shows it: lines are read trimmed at the right. */
const SHOWN = PROMPT.trimEnd();

async function services(): Promise<Sandbox> {
  const box = sandbox();
  box.script('web', 'config_start_sec=0.2\nconfig_stop_sec=1\nwhile :; do echo "web says $$"; sleep 0.2; done\n');
  box.script('busy', 'config_start_sec=0.2\nconfig_stop_sec=1\necho busy begins\nwhile :; do :; done\n');
  box.script('idle', 'config_start_sec=0.2\nexec sleep 1000\n');
  expect((await box.reraise('start', '--wait', 'web', 'busy')).exitCode).toBe(0);
  return box;
}

/** A bash of the test's own on a terminal, with a prompt to wait for. */
async function shell(box: Sandbox): Promise<Terminal> {
  const terminal = await openTerminal('bash --norc --noprofile -i', { ...box.env, PS1: PROMPT }, 120, 30);
  terminals.push(terminal);
  await terminal.waitForScreen('the prompt', (s) => s.includes(SHOWN));
  return terminal;
}

/** The terminal settings as stty reads them, typed at the prompt. */
async function settings(t: Terminal): Promise<string> {
  await t.send('clear; stty -a | tr -s "; \\n" " "; echo', 'Enter');
  return t.waitForScreen('stty', (s) => /icanon[\s\S]*READY>/.test(s));
}

describe('reraise top (SPEC 15.2)', () => {
  it('refuses without a terminal, and a bad -d is a usage error', async () => {
    const box = sandbox();
    box.script('web', 'exec sleep 1000\n');
    const piped = await box.reraise('top');
    expect(piped.exitCode).toBe(1);
    expect(piped.stdout).toBe('');
    expect(piped.stderr).toMatch(/^reraise: top: unable to show the panel: stdin and stdout must be a terminal/);
    for (const bad of ['0', 'x', '-1', '']) {
      const r = await box.reraise('top', '-d', bad);
      expect(r.exitCode, bad).toBe(2);
      expect(r.stderr).toContain(`-d takes seconds`);
    }
    const none = await box.reraise('top', 'nothing-*');
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('nothing-*');
  });

  it.skipIf(!hasTmux)('shows the panel live, moves the selection, sorts, acts on the selected service, follows its log, and q gives the terminal back', async () => {
    const box = await services();
    const t = await shell(box);
    const before = await settings(t);
    expect(before).toMatch(/ icanon /);
    await t.send(`${RERAISE} top -d 0.2`, 'Enter');
    let screen = await t.waitForScreen('the panel', (s) => /reraise top: 3 services, 2 running; by name/.test(s) && /^web +running/m.test(s));
    expect(await t.query('#{alternate_on} #{cursor_flag}')).toBe('1 0');
    expect(screen).toMatch(/^NAME +STATE +PID +WORKER +UP +RESTART +EXIT +FLAGS +CPU +MEM/m);
    expect(screen).toMatch(/^idle +not running/m);
    // The first row is selected, and its log is under the table.
    screen = await t.waitForScreen('the log of busy', (s) => s.includes('busy begins'));
    expect(await t.screen(true)).toMatch(/\x1b\[7mbusy +running/);
    // By CPU the busy loop comes first; by MEM the one not running comes last.
    await t.send('o');
    await t.waitForScreen('by cpu', (s) => s.includes('by cpu') && /^NAME.*\n^busy /m.test(s));
    await t.send('o');
    await t.waitForScreen('by mem', (s) => s.includes('by mem') && /^idle .*\n.*\n*─/m.test(s));
    await t.send('o');
    await t.waitForScreen('by name again', (s) => s.includes('by name'));
    // Down twice: web, whose log says its pid.
    await t.send('Down', 'Down');
    const pid = box.pidFile('web')!.pid;
    await t.waitForScreen('the log of web', (s) => s.includes(`web says ${pid}`));
    await t.send('r');
    await t.waitForScreen('web restarted', (s) => /web: restarted \(pid \d+\)/.test(s));
    const again = box.pidFile('web')!.pid;
    expect(again).not.toBe(pid);
    await t.send('x');
    await t.waitForScreen('web stopped', (s) => /web: stopped/.test(s) && /^web +not running/m.test(s));
    expect(box.pidFile('web')).toBeUndefined();
    await t.send('u');
    await t.waitForScreen('web started', (s) => /web: started \(pid \d+\)/.test(s) && /^web +running/m.test(s));
    const third = box.pidFile('web')!.pid;
    await t.send('f');
    await t.waitForScreen('the followed log', (s) => s.includes('the log of web, followed') && s.includes(`web says ${third}`));
    // q leaves the log, then the panel.
    await t.send('q');
    await t.waitForScreen('the panel again', (s) => /^NAME +STATE/m.test(s));
    await t.send('q');
    await t.waitForScreen('the prompt again', (s) => !s.includes('reraise top:') && s.includes(SHOWN));
    expect(await t.query('#{alternate_on} #{cursor_flag}')).toBe('0 1');
    expect(await settings(t)).toMatch(/ icanon /);
    await box.reraise('stop', 'web', 'busy');
  });

  it.skipIf(!hasTmux)('q while a stop is under way waits for it, says so, and draws nothing over the shell', async () => {
    const box = sandbox();
    // Deaf to SIGTERM: its stop takes config_stop_sec, then SIGKILL.
    box.script('deaf', 'config_start_sec=0.2\nconfig_stop_sec=2\ntrap "" TERM\nwhile :; do sleep 0.1; done\n');
    expect((await box.reraise('start', '--wait', 'deaf')).exitCode).toBe(0);
    const t = await shell(box);
    await t.send(`${RERAISE} top -d 0.2`, 'Enter');
    await t.waitForScreen('the panel', (s) => /^deaf +running/m.test(s));
    await t.send('x');
    await t.waitForScreen('stopping', (s) => s.includes('deaf: stopping...'));
    await t.send('q');
    await t.waitForScreen('the wait said', (s) => s.includes('(leaving when it is done)'));
    expect(await t.query('#{alternate_on}')).toBe('1');
    await t.waitForScreen('the prompt again', (s) => !s.includes('reraise top:') && s.includes(SHOWN), 15_000);
    expect(await t.query('#{alternate_on} #{cursor_flag}')).toBe('0 1');
    expect(box.pidFile('deaf')).toBeUndefined();
    // Nothing is drawn over the shell once it has ended: the shell's own next line is the last word.
    await t.send('echo after-top', 'Enter');
    const after = await t.waitForScreen('the shell answering', (s) => /^after-top$/m.test(s));
    expect(after).not.toContain('reraise top:');
  });

  it.skipIf(!hasTmux)('Ctrl-C, or a SIGTERM to it, leaves the terminal as it was too', async () => {
    const box = await services();
    const t = await shell(box);
    await t.send(`${RERAISE} top`, 'Enter');
    await t.waitForScreen('the panel', (s) => /^web +running/m.test(s));
    await t.send('C-c');
    await t.waitForScreen('the prompt again', (s) => !s.includes('reraise top:') && s.includes(SHOWN));
    expect(await t.query('#{alternate_on} #{cursor_flag}')).toBe('0 1');
    expect(await settings(t)).toMatch(/ icanon .* echo /);

    await t.send('clear', 'Enter', `${RERAISE} top`, 'Enter');
    await t.waitForScreen('the panel', (s) => /^web +running/m.test(s));
    // The pane runs the test's bash, whose one child is top, started by this test.
    const childrenOf = (pid: number): number[] =>
      fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    const [bash] = childrenOf(await t.panePid());
    const children = childrenOf(bash);
    expect(children).toHaveLength(1);
    process.kill(children[0], 'SIGTERM');
    await t.waitForScreen('the prompt again', (s) => !s.includes('reraise top:') && s.includes(SHOWN));
    expect(await t.query('#{alternate_on} #{cursor_flag}')).toBe('0 1');
    expect(await settings(t)).toMatch(/ icanon .* echo /);
    await box.reraise('stop', 'web', 'busy');
  });
});

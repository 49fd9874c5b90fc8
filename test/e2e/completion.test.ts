// reraise completion bash|zsh|fish (SPEC 15.5): a real interactive bash in tmux, keys typed and the screen read
// back; fish's own completer asked with `complete -C`; zsh's script parsed. Service names come from the
// service dir as it is at the Tab, with no reraise started. Needs tmux; fish and zsh are used when installed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, killUntilGone, sandbox, type Sandbox } from './sandbox.js';

const has = (program: string): boolean => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
const NO_TMUX = has('tmux') ? undefined : 'tmux is not installed (the tmux package): bash is driven through it';
const NO_FISH = has('fish') ? undefined : 'fish is not installed (the fish package)';
const NO_ZSH = has('zsh') ? undefined : 'zsh is not installed (the zsh package)';
for (const reason of [NO_TMUX, NO_FISH, NO_ZSH]) if (reason) console.warn(`completion tests skipped: ${reason}`);

/** A service dir with names to offer, and entries that are no service (SPEC 1) or not a file or directory. */
function services(box: Sandbox): void {
  for (const name of ['http-api', 'http-web', 'worker', 'my svc', "it's", 'old~', 'notes.bak', '.hidden']) box.script(name, 'sleep 1\n');
  fs.mkdirSync(path.join(box.dir, 'perp-d'));
  fs.symlinkSync(path.join(box.dir, 'worker'), path.join(box.dir, 'linked'));
  fs.symlinkSync(path.join(box.root, 'nowhere'), path.join(box.dir, 'dangling'));
}

async function printed(box: Sandbox, shell: string): Promise<string> {
  const r = await box.reraise('completion', shell);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  const file = path.join(box.root, `completion.${shell}`);
  fs.writeFileSync(file, r.stdout);
  return file;
}

/**
 * One tmux server on a socket of its own, so that the test can end it, and nothing else, by that socket; the
 * socket is in the sandbox, which takes it away (tmux leaves it behind).
 */
class Terminal {
  private readonly socket: string;
  private started = false;

  constructor(private readonly box: Sandbox) {
    this.socket = path.join(box.root, 'tmux');
  }

  private tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-S', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args[0]}: ${r.stderr}`);
    return r.stdout;
  }

  /** An interactive bash that has sourced the script, in a bare environment: nothing of ours but the service dir. */
  bash(script: string): void {
    const rc = path.join(this.box.root, 'bashrc');
    fs.writeFileSync(rc, [
      "PS1='$ '", 'unset HISTFILE',
      // Every candidate listed on the screen at once, with no pager and no question.
      "bind 'set completion-query-items 0'", "bind 'set page-completions off'", "bind 'set bell-style none'",
      `source '${script}'`, '',
    ].join('\n'));
    this.open('bash', '--noprofile', '--rcfile', rc, '-i');
  }

  /** An interactive zsh with the completion system started, and the script sourced as the README says. */
  zsh(script: string): void {
    const zdotdir = path.join(this.box.root, 'zdotdir');
    fs.mkdirSync(zdotdir);
    fs.writeFileSync(path.join(zdotdir, '.zshrc'), [
      "PS1='$ '", 'unset HISTFILE', 'autoload -Uz compinit && compinit -u -D', `source '${script}'`, '',
    ].join('\n'));
    this.open('env', `ZDOTDIR=${zdotdir}`, 'zsh', '-i');
  }

  private open(...shell: string[]): void {
    this.started = true;
    this.tmux('new-session', '-d', '-x', '200', '-y', '50', '--', 'env', '-i', `HOME=${this.box.root}`, `PATH=${process.env.PATH}`,
      'TERM=screen', `RERAISE_DIR=${this.box.dir}`, ...shell);
  }

  send(...keys: string[]): void {
    this.tmux('send-keys', '-t', '0', ...keys);
  }

  /** A command line run in place of what the last completion left typed. */
  run(command: string): void {
    this.send('C-u');
    this.send('-l', command);
    this.send('Enter');
  }

  /** The lines on the screen, without the blank ones. */
  screen(): string[] {
    return this.tmux('capture-pane', '-p', '-t', '0').split('\n').map((line) => line.trimEnd()).filter(Boolean);
  }

  /**
   * Clears the line and the screen, types the keys, then a marker: bash reads keys in order, so once the
   * marker is on the screen every Tab before it has been answered. Returns the screen without the marker.
   */
  async complete(...keys: string[]): Promise<string[]> {
    const marker = `#${Math.random().toString(36).slice(2)}`;
    this.send('C-u', 'C-l');
    this.send(...keys);
    this.send('-l', marker);
    const lines = await this.box.waitFor(`the screen after ${JSON.stringify(keys)}`, () => {
      const lines = this.screen();
      // bash lists the candidates above a new prompt, zsh below the line being typed.
      return lines.some((line) => line.endsWith(marker)) ? lines : undefined;
    });
    return lines.map((line) => (line.endsWith(marker) ? line.slice(0, -marker.length) : line));
  }

  /** Ends the server by its socket, then waits for it and the bash it ran, by pid, so that the sandbox can be removed. */
  async stop(): Promise<void> {
    if (!this.started) return;
    const shown = spawnSync('tmux', ['-S', this.socket, 'display-message', '-p', '-t', '0', '#{pid} #{pane_pid}'], { encoding: 'utf8' });
    const pids = shown.stdout.split(' ').map(Number).filter((pid) => pid > 0);
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { stdio: 'ignore' });
    await killUntilGone(() => pids.filter(isAlive));
  }
}

let terminals: Terminal[] = [];
afterEach(async () => {
  for (const terminal of terminals) await terminal.stop();
  terminals = [];
});

/** The words bash listed on a Tab Tab, from the lines between the first prompt and the last. */
const listed = (lines: string[]): string[] => lines.slice(1, -1).flatMap((line) => line.trim().split(/ {2,}/));

describe.skipIf(NO_TMUX)('bash completion in a real bash', () => {
  async function bash(): Promise<{ box: Sandbox; terminal: Terminal }> {
    const box = sandbox();
    services(box);
    const terminal = new Terminal(box);
    terminals.push(terminal);
    terminal.bash(await printed(box, 'bash'));
    await box.waitFor('the prompt', () => terminal.screen().at(-1) === '$');
    return { box, terminal };
  }

  it('completes actions, their aliases and the global options', async () => {
    const { terminal } = await bash();
    expect((await terminal.complete('reraise star', 'Tab')).at(-1)).toBe('$ reraise start ');
    const sta = await terminal.complete('reraise sta', 'Tab', 'Tab');
    expect(listed(sta).sort()).toEqual(['start', 'status']);
    expect(sta.at(-1)).toBe('$ reraise sta');
    expect((await terminal.complete('reraise do', 'Tab')).at(-1)).toBe('$ reraise down ');
    expect((await terminal.complete('reraise comp', 'Tab')).at(-1)).toBe('$ reraise completion ');
    expect(listed(await terminal.complete('reraise --', 'Tab', 'Tab')).sort()).toEqual(['--color', '--help', '--no-color', '--version']);
  });

  it('completes service names from the service dir, quoted, and only the entries that are services', async () => {
    const { box, terminal } = await bash();
    expect((await terminal.complete('reraise start ht', 'Tab')).at(-1)).toBe('$ reraise start http-');
    expect(listed(await terminal.complete('reraise start http-', 'Tab', 'Tab')).sort()).toEqual(['http-api', 'http-web']);
    expect((await terminal.complete('reraise stop wo', 'Tab')).at(-1)).toBe('$ reraise stop worker ');
    expect((await terminal.complete('reraise status my', 'Tab')).at(-1)).toBe('$ reraise status my\\ svc ');
    expect((await terminal.complete('reraise status it', 'Tab')).at(-1)).toBe("$ reraise status it\\'s ");
    expect(listed(await terminal.complete('reraise status http-api ', 'Tab', 'Tab')).sort())
      .toEqual(['http-api', 'http-web', "it\\'s", 'linked', 'my\\ svc', 'perp-d', 'worker']);
    expect((await terminal.complete('reraise log pe', 'Tab')).at(-1)).toBe('$ reraise log perp-d ');
    expect((await terminal.complete('reraise signal HUP wo', 'Tab')).at(-1)).toBe('$ reraise signal HUP worker ');

    // Read at the Tab: a service written after the script was sourced is offered at once.
    box.script('fresh', 'sleep 1\n');
    expect((await terminal.complete('reraise start fr', 'Tab')).at(-1)).toBe('$ reraise start fresh ');
  });

  it('offers a name that holds shell syntax quoted, and never runs it (a service dir others could write to)', async () => {
    const { box, terminal } = await bash();
    const hostile = ['$(touch pwned1)', '`touch pwned2`', 'x;touch pwned3', '${IFS}y'];
    for (const name of hostile) box.script(name, 'sleep 1\n');
    terminal.run(`cd ${box.root}`);
    const offered = listed(await terminal.complete('reraise start ', 'Tab', 'Tab'));
    expect(offered).toEqual(expect.arrayContaining(['\\$\\(touch\\ pwned1\\)', '\\`touch\\ pwned2\\`', 'x\\;touch\\ pwned3', '\\$\\{IFS\\}y']));
    expect((await terminal.complete('reraise start x', 'Tab')).at(-1)).toBe('$ reraise start x\\;touch\\ pwned3 ');
    expect(fs.readdirSync(box.root).filter((f) => f.startsWith('pwned')), 'a command in a name ran').toEqual([]);
  });

  it('completes skeleton kinds, fixed operands and options by the action', async () => {
    const { terminal } = await bash();
    expect(listed(await terminal.complete('reraise skeleton ', 'Tab', 'Tab')).sort()).toEqual(['http', 'minimal', 'perp']);
    expect((await terminal.complete('reraise new web mi', 'Tab')).at(-1)).toBe('$ reraise new web minimal ');
    expect(listed(await terminal.complete('reraise boot ', 'Tab', 'Tab')).sort()).toEqual(['install', 'remove', 'show']);
    expect((await terminal.complete('reraise completion fi', 'Tab')).at(-1)).toBe('$ reraise completion fish ');
    expect(listed(await terminal.complete('reraise log -', 'Tab', 'Tab')).sort())
      .toEqual(['--color', '--follow', '--help', '--json', '--lines', '--local', '--no-color', '--version', '-V', '-f', '-h', '-n']);
    expect((await terminal.complete('reraise start --w', 'Tab')).at(-1)).toBe('$ reraise start --wait ');
  });

  it('offers nothing where nothing fits: a new name, a signal, the value of -n, an unknown action', async () => {
    const { terminal } = await bash();
    for (const typed of ['reraise new ', 'reraise signal ', 'reraise log -n ', 'reraise log -fn ', 'reraise log --lines=', 'reraise bogus ']) {
      expect(await terminal.complete(typed, 'Tab', 'Tab')).toEqual([`$ ${typed}`]);
    }
    // After the value of -n, the operand is a service name again.
    expect((await terminal.complete('reraise log -n 5 wo', 'Tab')).at(-1)).toBe('$ reraise log -n 5 worker ');
    // After --, a word that starts with - is an operand: a service name, no option.
    expect(await terminal.complete('reraise stop -- --', 'Tab', 'Tab')).toEqual(['$ reraise stop -- --']);
  });

  it('offers no name, and says nothing, when the service dir is missing or unreadable', async () => {
    const { box, terminal } = await bash();
    terminal.run(`RERAISE_DIR=${path.join(box.root, 'missing')}`);
    expect(await terminal.complete('reraise start ', 'Tab', 'Tab')).toEqual(['$ reraise start ']);
    terminal.run('unset RERAISE_DIR');
    // Then $HOME/reraise.d, which does not exist either.
    expect(await terminal.complete('reraise start ', 'Tab', 'Tab')).toEqual(['$ reraise start ']);
    fs.mkdirSync(path.join(box.root, 'reraise.d'));
    fs.writeFileSync(path.join(box.root, 'reraise.d', 'home-svc'), '#!/bin/sh\n');
    expect((await terminal.complete('reraise start ho', 'Tab')).at(-1)).toBe('$ reraise start home-svc ');
  });
});

describe.skipIf(NO_FISH)('fish completion, asked of fish itself', () => {
  async function candidates(box: Sandbox, script: string, typed: string): Promise<string[]> {
    const r = spawnSync('fish', ['--no-config', '-c', `source '${script}'; complete -C '${typed}'`], {
      encoding: 'utf8', env: { HOME: box.root, PATH: process.env.PATH, RERAISE_DIR: box.dir },
    });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[0]).sort();
  }

  it('completes actions, service names, kinds and options, and nothing for a value', async () => {
    const box = sandbox();
    services(box);
    const script = await printed(box, 'fish');
    expect(await candidates(box, script, 'reraise sta')).toEqual(['start', 'status']);
    expect(await candidates(box, script, 'reraise start ')).toEqual(['http-api', 'http-web', "it's", 'linked', 'my svc', 'perp-d', 'worker']);
    expect(await candidates(box, script, 'reraise skeleton ')).toEqual(['http', 'minimal', 'perp']);
    expect(await candidates(box, script, 'reraise log --')).toEqual(['--color', '--follow', '--help', '--json', '--lines', '--local', '--no-color', '--version']);
    expect(await candidates(box, script, 'reraise log -fn ')).toEqual([]);
    expect(await candidates(box, script, 'reraise new ')).toEqual([]);
    fs.rmSync(box.dir, { recursive: true });
    expect(await candidates(box, script, 'reraise start ')).toEqual([]);
  });
});

describe.skipIf(NO_ZSH)('zsh completion', () => {
  it('prints a script zsh parses', async () => {
    const box = sandbox();
    const script = await printed(box, 'zsh');
    const r = spawnSync('zsh', ['-n', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(NO_TMUX)('completes in a real zsh: actions, service names, kinds, and nothing for a value', async () => {
    const box = sandbox();
    services(box);
    const terminal = new Terminal(box);
    terminals.push(terminal);
    terminal.zsh(await printed(box, 'zsh'));
    await box.waitFor('the prompt', () => terminal.screen().at(-1) === '$');
    expect((await terminal.complete('reraise star', 'Tab')).at(-1)).toBe('$ reraise start ');
    expect((await terminal.complete('reraise start wo', 'Tab')).at(-1)).toBe('$ reraise start worker ');
    expect((await terminal.complete('reraise start my', 'Tab')).at(-1)).toBe('$ reraise start my\\ svc ');
    expect((await terminal.complete('reraise new web mi', 'Tab')).at(-1)).toBe('$ reraise new web minimal ');
    expect((await terminal.complete('reraise log -n 5 pe', 'Tab')).at(-1)).toBe('$ reraise log -n 5 perp-d ');
    expect(await terminal.complete('reraise log -n ', 'Tab')).toEqual(['$ reraise log -n ']);
    // zsh lists the candidates below the line, which stays as it was.
    const [line, ...below] = await terminal.complete('reraise start ', 'Tab');
    expect(line).toBe('$ reraise start ');
    expect(below.flatMap((row) => row.trim().split(/ {2,}/)).sort())
      .toEqual(['http-api', 'http-web', "it\\'s", 'linked', 'my\\ svc', 'perp-d', 'worker']);
  });
});

describe('reraise completion', () => {
  it.each([
    [['completion', 'tcsh'], 'reraise: completion: unknown shell "tcsh": bash, zsh or fish'],
    [['completion'], 'reraise: completion: missing SHELL: bash, zsh or fish'],
  ])('%j is a usage error', async (args, message) => {
    const r = await sandbox().reraise(...args);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(message);
  });
});

// A real terminal for the tests: a tmux server of the test's own, typed into and read off its screen.
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive, killUntilGone } from './sandbox.js';

export const hasTmux = fs.existsSync('/usr/bin/tmux') || fs.existsSync('/usr/local/bin/tmux');

export interface Terminal {
  /** Keys as tmux names them: text, 'Enter', 'C-c', 'Tab', 'q'. */
  send(...keys: string[]): Promise<void>;
  /** What the screen shows now, lines trimmed at the right; with `escapes`, the colour codes kept. */
  screen(escapes?: boolean): Promise<string>;
  /** Polls the screen until `probe` holds, or fails naming `what` with the screen as it was. */
  waitForScreen(what: string, probe: (screen: string) => boolean, timeoutMs?: number, escapes?: boolean): Promise<string>;
  /** A tmux format of the pane, such as `#{alternate_on}` (1 on the alternate screen) or `#{cursor_flag}`. */
  query(format: string): Promise<string>;
  /** The pid of the shell or program in the pane. */
  panePid(): Promise<number>;
  /** Ends the server and everything in it, and waits for them by pid: its socket is the test's own, so nothing else is touched. */
  close(): Promise<void>;
}

/**
 * A detached tmux session running `command` in a pane of `width`x`height`, with `env` on top of
 * the test's environment. The server has its own socket in a temporary directory.
 */
export async function openTerminal(command: string, env: Record<string, string>, width = 120, height = 40): Promise<Terminal> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reraise-tty-'));
  const socket = path.join(dir, 'tmux');
  const tmux = (...args: string[]) => execa('tmux', ['-S', socket, ...args], { reject: false, all: true });
  const settings = Object.entries({ TERM: 'xterm-256color', ...env }).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
  // The pane outlives the command: a dead pane scrolls its first line away to say it is dead.
  const pane = `env -u NO_COLOR -u FORCE_COLOR ${settings} ${command}; exec sleep 86400`;
  const started = await tmux('-f', '/dev/null', 'new-session', '-d', '-x', String(width), '-y', String(height), pane);
  if (started.exitCode !== 0) throw new Error(`tmux would not start: ${started.all}`);
  const screen = async (escapes = false): Promise<string> =>
    (await tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []))).stdout.split('\n').map((l) => l.trimEnd()).join('\n');
  return {
    async send(...keys) {
      for (const key of keys) await tmux('send-keys', ...(/^(Enter|Tab|Up|Down|Escape|BSpace|C-.|[a-z])$/.test(key) ? [key] : ['-l', key]));
    },
    screen,
    async waitForScreen(what, probe, timeoutMs = 10_000, escapes = false) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const shown = await screen(escapes);
        if (probe(shown)) return shown;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${shown}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async query(format) {
      return (await tmux('display-message', '-p', format)).stdout.trim();
    },
    async panePid() {
      return Number((await tmux('display-message', '-p', '#{pane_pid}')).stdout.trim());
    },
    async close() {
      const shown = (await tmux('display-message', '-p', '#{pid} #{pane_pid}')).stdout;
      const pids = shown.split(' ').map(Number).filter((pid) => pid > 0);
      await tmux('kill-server');
      // The server and the pane's process, by pid: gone before the test's files are.
      await killUntilGone(() => pids.filter(isAlive));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

// A private RERAISE_DIR/PIDDIR/LOGDIR per test, the real bin/reraise, polling waits, and cleanup by pid.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, expect } from 'vitest';

export const RERAISE = fileURLToPath(new URL('../../bin/reraise', import.meta.url));
export const WORKER = fileURLToPath(new URL('../../bin/auto-reraise', import.meta.url));

export interface PidRecordFields {
  state: string;
  exitCode: string;
  pid: string;
  workerPid: string;
  epoch: string;
  extra: Record<string, string>;
  raw: string;
}

export interface Sandbox {
  root: string;
  dir: string;
  pidDir: string;
  logDir: string;
  env: Record<string, string>;
  reraise(...args: string[]): Promise<RunResult>;
  script(name: string, body: string, mode?: number): string;
  pidFile(name: string): PidRecordFields | undefined;
  log(name: string): string;
  waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  /** Processes whose environment carries this sandbox's pid dir: only ours. */
  ourProcesses(): number[];
}

export interface RunResult {
  exitCode?: number;
  stdout: string;
  stderr: string;
  all: string;
}

let sandboxes: Sandbox[] = [];

/** The process's environment; empty once it is gone, or when it may not be read. */
export function environOf(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, ...); undefined once the process is gone. */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

/** The process's argv; empty once it is gone. */
export function argv(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export function cmdline(pid: number): string {
  return argv(pid).join(' ');
}

/** Shows that something does NOT happen: a short bounded wait, then the probe must still be false. */
export async function never(probe: () => boolean, ms = 300): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    expect(probe()).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(probe()).toBe(false);
}

export function sandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'reraise-test-'));
  const dir = path.join(root, 'services');
  const pidDir = path.join(root, 'pids');
  const logDir = path.join(root, 'logs');
  fs.mkdirSync(dir);
  // The user's cache (code cache, status's usage sample) is the sandbox's own, never the real one.
  const env = { RERAISE_DIR: dir, RERAISE_PIDDIR: pidDir, RERAISE_LOGDIR: logDir, XDG_CACHE_HOME: path.join(root, 'cache') };
  const marker = `RERAISE_PIDDIR=${pidDir}`;
  const box: Sandbox = {
    root, dir, pidDir, logDir, env,
    reraise: (...args) => execa(RERAISE, args, { env, reject: false, all: true, stdin: 'ignore' }),
    script(name, body, mode = 0o755) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, body.startsWith('#!') ? body : `#!/bin/sh\n${body}`);
      fs.chmodSync(file, mode);
      return file;
    },
    pidFile(name) {
      let raw: string;
      try {
        raw = fs.readFileSync(path.join(pidDir, name), 'utf8');
      } catch {
        return undefined;
      }
      const [state, exitCode, pid, workerPid, epoch, ...rest] = raw.trim().split(' ');
      return { state, exitCode, pid, workerPid, epoch, extra: Object.fromEntries(rest.map((t) => t.split('=', 2))), raw };
    },
    log(name) {
      try {
        return fs.readFileSync(path.join(logDir, name, 'current'), 'utf8');
      } catch {
        return '';
      }
    },
    async waitFor(what, probe, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = probe();
        if (value !== undefined && value !== false) return value as never;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    ourProcesses() {
      return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number)
        .filter((pid) => pid !== process.pid && environOf(pid).includes(marker));
    },
  };
  sandboxes.push(box);
  return box;
}

/**
 * SIGKILL to what `ours` finds, until it finds nothing (at most a second): a worker may respawn a
 * service between two scans.
 */
export async function killUntilGone(ours: () => number[]): Promise<void> {
  for (let i = 0; i < 50 && ours().length > 0; i++) {
    for (const pid of ours()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(async () => {
  const boxes = sandboxes;
  sandboxes = [];
  for (const box of boxes) {
    await killUntilGone(() => box.ourProcesses());
    fs.rmSync(box.root, { recursive: true, force: true });
  }
});

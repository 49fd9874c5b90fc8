// Private RERAISE_DIR/PIDDIR/LOGDIR for the bench, the real bin/reraise, and cleanup by pid (also on error and SIGINT).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childrenOf, isAlive, processesWithEnv } from './proc.js';

/** bench/.build/sandbox.js -> the repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RERAISE = path.join(REPO_ROOT, 'bin', 'reraise');

/** The bare baseline of a worker: a node process that spawns one sleep and waits for it. */
export const BARE_NODE_CODE = "require('child_process').spawn('sleep',['100000'],{stdio:'ignore'}).on('exit',()=>{})";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface PidRecord {
  state: string;
  pid: number | undefined;
  workerPid: number | undefined;
}

export function parsePidLine(line: string): PidRecord | undefined {
  const f = line.trim().split(' ');
  if (f.length < 5) return undefined;
  const num = (s: string): number | undefined => (/^\d+$/.test(s) ? Number(s) : undefined);
  return { state: f[0], pid: num(f[2]), workerPid: num(f[3]) };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const live = new Set<Sandbox>();

export class Sandbox {
  readonly dir: string;
  readonly pidDir: string;
  readonly logDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** The environment entry that marks every process started for this sandbox: workers, services, bare nodes. */
  readonly marker: string;
  private readonly bare: ChildProcess[] = [];

  private constructor(readonly root: string) {
    this.dir = path.join(root, 'services');
    this.pidDir = path.join(root, 'pids');
    this.logDir = path.join(root, 'logs');
    fs.mkdirSync(this.dir);
    this.env = { ...process.env, RERAISE_DIR: this.dir, RERAISE_PIDDIR: this.pidDir, RERAISE_LOGDIR: this.logDir };
    this.marker = `RERAISE_PIDDIR=${this.pidDir}`;
  }

  static create(label: string): Sandbox {
    const box = new Sandbox(fs.mkdtempSync(path.join(os.tmpdir(), `reraise-bench-${label}-`)));
    live.add(box);
    return box;
  }

  /** A script service; `body` goes after the #!/bin/sh line. */
  addService(name: string, body: string): void {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, `#!/bin/sh\n${body}`);
    fs.chmodSync(file, 0o755);
  }

  /** bin/reraise with this sandbox's directories; output captured. */
  run(args: readonly string[]): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(RERAISE, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
      child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Like run, but a non-zero exit is an error that shows what reraise said. */
  async mustRun(args: readonly string[]): Promise<RunResult> {
    const result = await this.run(args);
    if (result.code !== 0) {
      throw new Error(`reraise ${args.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).trim()}`);
    }
    return result;
  }

  pidFile(name: string): string {
    return path.join(this.pidDir, name);
  }

  record(name: string): PidRecord | undefined {
    try {
      return parsePidLine(fs.readFileSync(this.pidFile(name), 'latin1'));
    } catch {
      return undefined;
    }
  }

  /** Waits until every named pid file says RUN with a live service and worker; returns the records. */
  async waitRunning(names: readonly string[], timeoutMs = 30_000, pollMs = 10): Promise<PidRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = names.map((n) => this.record(n));
      if (records.every((r) => r?.state === 'RUN' && r.pid !== undefined && r.workerPid !== undefined &&
          isAlive(r.pid) && isAlive(r.workerPid))) {
        return records as PidRecord[];
      }
      if (Date.now() > deadline) {
        const bad = names.filter((_, i) => records[i]?.state !== 'RUN');
        throw new Error(`timed out after ${timeoutMs} ms waiting for RUN: ${bad.slice(0, 5).join(', ')}` +
          (bad[0] ? ` (${bad[0]}: ${this.record(bad[0]) ? JSON.stringify(this.record(bad[0])) : 'no pid file'})` : ''));
      }
      await sleep(pollMs);
    }
  }

  /** A bare node baseline process, marked like this sandbox's processes so that cleanup finds it. */
  spawnBare(): ChildProcess {
    const child = spawn(process.execPath, ['-e', BARE_NODE_CODE], { env: this.env, stdio: 'ignore' });
    child.on('error', () => {});
    this.bare.push(child);
    return child;
  }

  /** Waits until every bare node has spawned its sleep. */
  async waitBareReady(children: readonly ChildProcess[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!children.every((c) => c.pid !== undefined && childrenOf(c.pid).length > 0)) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the bare node processes to spawn sleep');
      await sleep(5);
    }
  }

  /** Every live process started for this sandbox. */
  ours(): number[] {
    return processesWithEnv(this.marker);
  }

  /** `reraise stop '*'`, then SIGKILL by pid whatever of ours is left (a worker may respawn between scans). */
  async stopAll(): Promise<void> {
    if (fs.existsSync(this.pidDir)) await this.run(['stop', '*']);
    this.killLeftovers();
  }

  killLeftovers(): void {
    for (let i = 0; i < 100; i++) {
      const pids = this.ours();
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      sleepSync(20);
    }
  }

  async dispose(): Promise<void> {
    await this.stopAll();
    this.removeSync();
  }

  /** For exit paths that cannot wait: stop synchronously, kill leftovers, remove the directories. */
  disposeSync(): void {
    if (fs.existsSync(this.pidDir)) {
      try {
        execFileSync(RERAISE, ['stop', '*'], { env: this.env, stdio: 'ignore', timeout: 30_000 });
      } catch {
        // a failed stop leaves processes that the sweep below kills
      }
    }
    this.killLeftovers();
    this.removeSync();
  }

  private removeSync(): void {
    for (const child of this.bare) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(this.root, { recursive: true, force: true });
    live.delete(this);
  }
}

/** Extra temp directories (npm pack / install) to remove on every exit path. */
const tempDirs = new Set<string>();

export function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reraise-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export function disposeAllSync(): void {
  for (const box of [...live]) {
    try {
      box.disposeSync();
    } catch (error) {
      process.stderr.write(`bench: cleanup of ${box.root} failed: ${String(error)}\n`);
    }
  }
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

/** Cleans up on normal exit, on an uncaught error and on SIGINT/SIGTERM/SIGHUP. */
export function installCleanupHandlers(): void {
  process.on('exit', disposeAllSync);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping what the bench started\n`);
      disposeAllSync();
      process.exit(code);
    });
  }
}

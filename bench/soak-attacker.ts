// The soak's hostile second user (SPEC 12.1), when the soak runs as root: a victim user runs reraise
// with the default pid dir and a want dir named beside it (RERAISE_WANTDIR=/var/tmp/reraise-want-UID),
// while an attacker user races to plant a link or a directory of theirs in the place of either
// (/var/tmp/reraise-UID), a want of `up` (a file, a FIFO, a link) in a want dir of theirs, tries the
// victim's default want dir under its HOME (which it cannot reach), squats the 1.0 lock names of
// every service of the run (an abstract socket anyone could bind), and tries to signal the run's
// workers. The victim's files must never change, nothing may be written through a link (the
// attacker's links lead to the victim's files and to a directory anyone can write), every refusal
// must name the pid dir or the want dir, "already running" must be true, the victim's `revive`
// starts v-web only for a want of `up` of its own, and no signal of the attacker's may land. Both
// users are made for the run and removed after it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Rng, living, runCli, scan, sleep, workerName, type CliResult } from './soak-lib.js';

export interface AttackSetup {
  seed: number;
  /** The package to copy for the users (bin/, dist/, skeletons/, package.json). */
  packageRoot: string;
  /** The run's pid dir and services: their 1.0 lock names are squatted. */
  pidDir: string;
  serviceNames: readonly string[];
  marker: string;
  journal: (line: string) => void;
  violate: (kind: string, detail: string) => void;
}

interface User {
  name: string;
  uid: number;
  gid: number;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((f) => fs.existsSync(f));
const CLI_TIMEOUT_MS = 30_000;

/** 64-bit FNV-1a as hex, the way reraise 1.0 named its abstract lock socket. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

function run(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function makeUser(name: string): User {
  if (!run('useradd', ['-M', '-U', '-s', '/bin/sh', name])) throw new Error(`useradd ${name} failed`);
  const id = (flag: string): number => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  return { name, uid: id('-u'), gid: id('-g') };
}

/** Everything under `dir` (names and contents), to see that nothing of the victim's changed. */
function snapshot(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d).sort()) {
      const full = path.join(d, entry);
      const st = fs.lstatSync(full);
      if (st.isDirectory()) {
        lines.push(`${full}/ ${st.mode.toString(8)}`);
        walk(full);
      } else {
        lines.push(`${full} ${st.mode.toString(8)} ${st.isFile() ? fs.readFileSync(full, 'latin1') : st.isSymbolicLink() ? `-> ${fs.readlinkSync(full)}` : 'special'}`);
      }
    }
  };
  walk(dir);
  return lines.join('\n');
}

/** Removes what is at `file` without following it: a link goes, a directory goes with its content. */
function removeEntry(file: string): void {
  try {
    const st = fs.lstatSync(file);
    if (st.isDirectory()) fs.rmSync(file, { recursive: true, force: true });
    else fs.unlinkSync(file);
  } catch {
    // nothing there
  }
}

export class Attack {
  attacks = 0;
  victimRuns = 0;
  private stopping = false;
  private squatter?: ChildProcess;
  private loops: Promise<void>[] = [];
  private readonly before: string;
  private readonly pidDirOfVictim: string;
  /** Named beside the pid dir, so that the attacker can race for its place too. */
  private readonly wantDirOfVictim: string;
  /** Where the victim's default want dir would be (SPEC 1): under its HOME, out of the attacker's reach. */
  private readonly defaultWantDir: string;
  /** A directory of the attacker's that anyone can write: a file of the victim's in it came through a link. */
  private readonly trap: string;
  /** The victim's want of v-web after its own last start or stop (undefined: not known). */
  private victimWant: 'up' | 'down' | 'none' | undefined = 'none';
  private readonly victimEnv: NodeJS.ProcessEnv;
  private readonly reraise: string;

  private constructor(
    private readonly setup: AttackSetup, private readonly victim: User, private readonly attacker: User,
    private readonly home: string, private readonly area: string,
  ) {
    this.pidDirOfVictim = `/var/tmp/reraise-${victim.uid}`;
    this.wantDirOfVictim = `/var/tmp/reraise-want-${victim.uid}`;
    this.defaultWantDir = path.join(home, '.local', 'state', 'reraise', '.want');
    this.trap = path.join(area, 'trap');
    this.reraise = path.join(area, 'pkg', 'bin', 'reraise');
    this.victimEnv = { HOME: home, PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, LANG: 'C', RERAISE_WANTDIR: this.wantDirOfVictim };
    this.before = snapshot(path.join(home, 'reraise.d'));
  }

  /** Makes the two users and their files; undefined (and why, in the journal) where it cannot. */
  static async begin(setup: AttackSetup): Promise<Attack | undefined> {
    if (process.getuid?.() !== 0 || !SETPRIV || !run('sh', ['-c', 'command -v useradd'])) {
      setup.journal('attacker: not run (needs root, useradd and setpriv)');
      return undefined;
    }
    const tag = (setup.seed % 0xffff).toString(16).padStart(4, '0') + Math.floor(Math.random() * 0xfff).toString(16).padStart(3, '0');
    const victim = makeUser(`rrsk${tag}v`);
    let attacker: User;
    try {
      attacker = makeUser(`rrsk${tag}a`);
    } catch (error) {
      run('userdel', [victim.name]);
      throw error;
    }
    // A place both users can reach: the run's own temp dir is root's alone.
    const area = fs.mkdtempSync(path.join(os.tmpdir(), 'reraise-soak-users-'));
    try {
      fs.chmodSync(area, 0o755);
      const pkg = path.join(area, 'pkg');
      for (const part of ['bin', 'dist', 'skeletons', 'package.json']) fs.cpSync(path.join(setup.packageRoot, part), path.join(pkg, part), { recursive: true });
      spawnSync('chmod', ['-R', 'a+rX', pkg]);
      const home = path.join(area, 'victim');
      const services = path.join(home, 'reraise.d');
      fs.mkdirSync(services, { recursive: true });
      fs.writeFileSync(path.join(services, 'v-web'), '#!/bin/sh\nconfig_start_sec=0.2\nconfig_stop_sec=1\nexec sleep 100000\n', { mode: 0o755 });
      fs.writeFileSync(path.join(home, 'canary'), 'the victim\'s own file\n', { mode: 0o600 });
      spawnSync('chown', ['-R', `${victim.uid}:${victim.gid}`, home]);
      fs.chmodSync(home, 0o700);
      // A brand-new uid has no pid dir; whatever is there is a leftover of an earlier run's uid.
      removeEntry(`/var/tmp/reraise-${victim.uid}`);
      removeEntry(`/var/tmp/reraise-want-${victim.uid}`);
      const trap = path.join(area, 'trap');
      fs.mkdirSync(trap);
      fs.chownSync(trap, attacker.uid, attacker.gid);
      fs.chmodSync(trap, 0o777);
      const attack = new Attack(setup, victim, attacker, home, area);
      attack.squat();
      // The first moves of all: the attacker makes the victim's default pid dir, and its want dir,
      // as links to its files.
      await attack.as(attacker, 'ln', ['-s', services, attack.pidDirOfVictim]);
      await attack.as(attacker, 'ln', ['-s', services, attack.wantDirOfVictim]);
      attack.loops = [attack.attackerLoop(new Rng(setup.seed * 31 + 1)), attack.victimLoop(new Rng(setup.seed * 31 + 2))];
      setup.journal(`attacker: ${attacker.name} (uid ${attacker.uid}) against ${victim.name} (uid ${victim.uid}), pid dir ${attack.pidDirOfVictim}`);
      return attack;
    } catch (error) {
      for (const user of [victim, attacker]) run('userdel', [user.name]);
      fs.rmSync(area, { recursive: true, force: true });
      throw error;
    }
  }

  private as(user: User, command: string, args: string[], env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin' }): Promise<CliResult> {
    return runCli(SETPRIV!, [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', command, ...args], env, CLI_TIMEOUT_MS);
  }

  /** The attacker binds every 1.0 lock name of the run's services and of the victim's, and holds them. */
  private squat(): void {
    // 1.0 named them after the pid dir's real path; the run's is made by its first command, and has no link in it.
    const pidDir = path.resolve(this.setup.pidDir);
    const names = [
      ...this.setup.serviceNames.map((n) => `\0reraise-${fnv1a64(`${pidDir}\0${n}`)}`),
      `\0reraise-${fnv1a64(`${this.pidDirOfVictim}\0v-web`)}`,
    ];
    const program = `const net=require('net');for(const n of ${JSON.stringify(names)}){net.createServer(s=>s.destroy()).listen(n);}setInterval(()=>{},1e9);`;
    this.squatter = spawn(SETPRIV!, [`--reuid=${this.attacker.uid}`, `--regid=${this.attacker.gid}`, '--init-groups', '--', process.execPath, '-e', program],
      { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } });
    this.attacks += names.length;
  }

  private async attackerLoop(rng: Rng): Promise<void> {
    const target = path.join(this.home, 'reraise.d');
    const script = path.join(target, 'v-web');
    while (!this.stopping) {
      await sleep(rng.int(20, 200));
      this.attacks++;
      const move = rng.weighted({ link: 5, dir: 2, unplant: 3, signal: 2, 'want-link': 3, 'want-plant': 3, 'want-unplant': 2, 'want-home': 1 });
      if (move === 'link') await this.as(this.attacker, 'ln', ['-s', rng.chance(0.5) ? target : this.home, this.pidDirOfVictim]);
      else if (move === 'dir') await this.as(this.attacker, 'mkdir', ['-m', '1777', this.pidDirOfVictim]);
      else if (move === 'unplant') await this.as(this.attacker, 'sh', ['-c', `rm -f "$0" 2>/dev/null || rmdir "$0" 2>/dev/null; true`, this.pidDirOfVictim]);
      else if (move === 'want-link') await this.as(this.attacker, 'ln', ['-s', rng.pick([target, this.home, this.trap]), this.wantDirOfVictim]);
      else if (move === 'want-plant') {
        // A want dir of the attacker's in the victim's place, with a want of `up` for v-web in it.
        const plant = rng.pick(['printf "up\\n" > "$0/v-web"', 'mkfifo "$0/v-web"', 'ln -s "$1" "$0/v-web"', 'ln -s /dev/zero "$0/v-web"']);
        await this.as(this.attacker, 'sh', ['-c', `mkdir -m 1777 "$0" 2>/dev/null; [ -O "$0" ] && ${plant}; true`, this.wantDirOfVictim, script]);
      } else if (move === 'want-unplant') {
        await this.as(this.attacker, 'sh', ['-c', `[ -L "$0" ] && rm -f "$0"; [ -O "$0" ] && rm -rf "$0"; true`, this.wantDirOfVictim]);
      } else if (move === 'want-home') {
        // The victim's default want dir is under its HOME (0700): every try must be refused.
        const r = await this.as(this.attacker, 'sh', ['-c', `mkdir -p "$0" || ln -s "$1" "$0/v-web"`, this.defaultWantDir, this.trap]);
        if (r.code === 0) this.setup.violate('attacker-reach', `the attacker could make ${this.defaultWantDir}, in the victim's HOME`);
      } else {
        const workers = living(scan(this.setup.marker)).filter((p) => workerName(p) !== undefined);
        if (!workers.length) continue;
        const victim = rng.pick(workers);
        const r = await this.as(this.attacker, 'kill', ['-TERM', String(victim.pid)]);
        if (r.code === 0) this.setup.violate('attacker-signal', `the attacker could signal worker ${victim.pid} (${victim.cmdline})`);
      }
    }
  }

  /** A victim worker of v-web, found by its title and uid: what "already running" must mean. */
  private victimWorkers(): number[] {
    const found: number[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1').replace(/\0+$/, '');
        const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1];
        if (argv === 'auto-reraise v-web' && Number(uid) === this.victim.uid) found.push(Number(entry));
      } catch {
        // gone
      }
    }
    return found;
  }

  private async victimLoop(rng: Rng): Promise<void> {
    while (!this.stopping) {
      await sleep(rng.int(80, 400));
      const move = rng.weighted({ status: 3, start: 4, stop: 2, clean: 2, revive: 3, 'tmp-cleaner': 3 });
      if (move === 'tmp-cleaner') {
        // A tmp cleaner (root) takes the victim's pid dir or want dir away, running worker or not.
        const dir = rng.chance(0.7) ? this.pidDirOfVictim : this.wantDirOfVictim;
        const st = fs.lstatSync(dir, { throwIfNoEntry: false });
        if (st?.isDirectory() && st.uid === this.victim.uid) {
          removeEntry(dir);
          if (dir === this.wantDirOfVictim) this.victimWant = 'none';
        }
        continue;
      }
      const args = move === 'status' || move === 'clean' || move === 'revive' ? [move] : [move, 'v-web'];
      this.victimRuns++;
      const r = await this.as(this.victim, this.reraise, args, this.victimEnv);
      const said = `victim: reraise ${args.join(' ')} -> ${r.timedOut ? 'TIMEOUT' : r.code}: ${(r.out + r.err).trim().split('\n').join(' | ')}`;
      this.setup.journal(said);
      if (r.timedOut) this.setup.violate('victim-hang', said);
      else if (r.code !== 0 && r.code !== 1) this.setup.violate('victim-exit', said);
      else if (r.code === 1 && !r.err.includes(this.pidDirOfVictim) && !r.err.includes(this.wantDirOfVictim) && !/v-web: (not running|orphaned)/.test(r.err)) {
        this.setup.violate('victim-refusal', `a failure that names neither the pid dir nor the want dir: ${said}`);
      }
      if (r.out.includes('v-web: skip (already running)') && this.victimWorkers().length === 0) {
        this.setup.violate('victim-lie', `"already running" with no worker of v-web: ${said}`);
      }
      if (move === 'start') {
        // A start that exits 0 has written its want (SPEC 6); one that failed may or may not have.
        this.victimWant = r.code === 0 ? 'up' : undefined;
      }
      if (move === 'stop') this.checkStop(r, said);
      if (move === 'revive') this.checkRevive(r, said);
    }
  }

  /**
   * A stop whose want cannot be written (the want dir is the attacker's, or a link, or gone
   * meanwhile) stops v-web all the same and fails saying that revive may start it again (SPEC 6
   * `stop`): its want is then what it was. One that exits 0 wrote `down`; one refused outright
   * (the pid dir) wrote nothing; any other failure may or may not have written it.
   */
  private checkStop(r: CliResult, said: string): void {
    const unwritten = /^reraise: v-web: .*; reraise revive may start it again$/m.test(r.err);
    const served = /^v-web: (stopped|not running)/m.test(r.out);
    if (r.code === 0) this.victimWant = 'down';
    else if (unwritten && served) {
      // Not written: the victim's last word stands.
    } else if (!/^reraise: v-web: /m.test(r.err)) {
      // Refused before it looked at v-web: nothing stopped, nothing written.
    } else this.victimWant = undefined;
    if (unwritten && !served && !/^reraise: v-web: (worker pid|orphaned service)/m.test(r.err)) {
      this.setup.violate('victim-stop', `a stop that could not write its want did not stop v-web either: ${said}`);
    }
    if (unwritten && !r.err.includes(this.wantDirOfVictim)) {
      this.setup.violate('victim-refusal', `a stop that could not write its want does not name the want dir ${this.wantDirOfVictim}: ${said}`);
    }
    // `stop` waits until the worker is gone (SPEC 6): nothing else of the victim's runs meanwhile.
    if (/^v-web: stopped/m.test(r.out) && this.victimWorkers().length > 0) {
      this.setup.violate('victim-stop', `"stopped", yet a worker of v-web runs (pids ${this.victimWorkers().join(', ')}): ${said}`);
    }
  }

  /** A revive of the victim's acts on v-web only for a want of `up` that is the victim's own (SPEC 13.1). */
  private checkRevive(r: CliResult, said: string): void {
    for (const line of r.out.split('\n').filter(Boolean)) {
      if (!line.startsWith('v-web: ')) {
        this.setup.violate('victim-revive', `a line for a service the victim does not have: ${said}`);
        continue;
      }
      if (!/^v-web: (started|took over|revived)/.test(line)) continue;
      const dir = fs.lstatSync(this.wantDirOfVictim, { throwIfNoEntry: false });
      const file = fs.lstatSync(path.join(this.wantDirOfVictim, 'v-web'), { throwIfNoEntry: false });
      const own = (st?: fs.Stats): boolean => st?.uid === this.victim.uid;
      const text = file?.isFile() ? fs.readFileSync(path.join(this.wantDirOfVictim, 'v-web'), 'utf8') : undefined;
      if (!dir?.isDirectory() || !own(dir) || !file?.isFile() || !own(file) || text !== 'up\n') {
        this.setup.violate('victim-planted-want', `${said}: the want dir ${this.wantDirOfVictim} is ${dir ? `${dir.isSymbolicLink() ? 'a link' : dir.isDirectory() ? 'a directory' : 'something'} of uid ${dir.uid}` : 'missing'}, ` +
          `v-web's want ${file ? `${file.isFile() ? 'a file' : 'not a file'} of uid ${file.uid}, ${JSON.stringify(text ?? null)}` : 'missing'}`);
      } else if (this.victimWant === 'down' || this.victimWant === 'none') {
        this.setup.violate('victim-planted-want', `${said}: the victim's last word on v-web was ${this.victimWant}`);
      }
    }
  }

  /** A file of the victim's in the attacker's trap, or beside the victim's own files, came through a link. */
  private checkThroughLinks(): void {
    let trapped: string[] = [];
    try {
      trapped = fs.readdirSync(this.trap).filter((f) => fs.lstatSync(path.join(this.trap, f)).uid === this.victim.uid);
    } catch {
      // the attacker removed nothing of it: the trap is root's to remove
    }
    if (trapped.length) this.setup.violate('victim-through-link', `the victim wrote ${trapped.join(', ')} into the attacker's ${this.trap}`);
    const strays = fs.readdirSync(this.home).filter((f) => f.includes('v-web') || f.endsWith('.tmp'));
    if (strays.length) this.setup.violate('victim-through-link', `the victim wrote ${strays.join(', ')} into its HOME ${this.home}`);
  }

  /** Ends the attack, checks the victim's files, and removes every trace of both users. */
  async end(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    const after = snapshot(path.join(this.home, 'reraise.d'));
    if (after !== this.before) this.setup.violate('victim-files', `the victim's service dir changed:\n${after}`);
    this.checkThroughLinks();
    if (fs.readFileSync(path.join(this.home, 'canary'), 'utf8') !== 'the victim\'s own file\n') this.setup.violate('victim-files', 'the canary changed');
    removeEntry(this.pidDirOfVictim);
    removeEntry(this.wantDirOfVictim);
    // The victim stops what it runs; then whatever is left of either user goes, by pid, checked by uid.
    await this.as(this.victim, this.reraise, ['stop', 'v-web'], this.victimEnv);
    if (this.squatter?.pid !== undefined) {
      try {
        process.kill(this.squatter.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    const uids = [this.victim.uid, this.attacker.uid];
    // userdel refuses a user with a process left, even one not reaped yet: wait until none is.
    for (let i = 0; i < 100 && this.processesOf(uids).length > 0; i++) {
      for (const pid of this.processesOf(uids)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await sleep(50);
    }
    removeEntry(this.pidDirOfVictim);
    removeEntry(this.wantDirOfVictim);
    for (const user of [this.victim, this.attacker]) {
      if (!run('userdel', [user.name])) process.stderr.write(`soak: could not remove the user ${user.name} the attacker drill made\n`);
    }
    fs.rmSync(this.area, { recursive: true, force: true });
  }

  /** Processes whose real uid is one of the run's own users (made for it, so nothing else runs as them). */
  private processesOf(uids: readonly number[]): number[] {
    const found: number[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1]);
        if (uids.includes(uid)) found.push(Number(entry));
      } catch {
        // gone
      }
    }
    return found;
  }
}

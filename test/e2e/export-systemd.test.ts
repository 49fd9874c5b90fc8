// reraise export systemd through the real bin/reraise: units of every kind of service, written to stdout or into
// --dir over nothing but an earlier export's, bad input refused by name, and systemd's own reader finding nothing to say (SPEC 15.8).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './sandbox.js';

const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((file) => fs.existsSync(file));
if (!SYSTEMD_ANALYZE) {
  process.stderr.write('export-systemd: systemd-analyze is missing (Debian package systemd): the systemd-analyze verify check is skipped\n');
}

const HEADER = '# reraise export systemd: ';
const LONG = 'exec sleep 1000\n';

/** Services of every kind the table of SPEC 15.8 names, and names systemd reads in a way of its own. */
function services(box: Sandbox): string[] {
  box.script('plain', LONG);
  box.script('web', 'config_ready_port=18080\nconfig_ready_sec=5\nconfig_check_sec=2\nconfig_needs="db cache"\nconfig_start_sec=1\n' + LONG);
  box.script('api', 'config_ready_url=http://127.0.0.1:18081/health?x=%20\nconfig_stop_sec=0\nconfig_stop_signal=INT\nconfig_needs=db\n' + LONG);
  box.script('cache', 'config_ready_fd=3\nconfig_max_retry=0\nconfig_retry_sec=0.5\n' + LONG);
  box.script('logready', 'config_ready_log="listening on"\nconfig_log_stamp=1\nconfig_log_size=2M\nconfig_revive_sec=300\n' + LONG);
  const db = path.join(box.dir, 'db');
  fs.mkdirSync(db);
  for (const [file, body] of [['rc.main', 'config_stop_sec=3\n[ "$1" = start ] && exec sleep 1000\nexit 0\n'], ['rc.log', 'exec cat\n']]) {
    fs.writeFileSync(path.join(db, file), `#!/bin/sh\n${body}`);
    fs.chmodSync(path.join(db, file), 0o755);
  }
  const odd = ['my app', '100%', '$HOME', "it's", 'a\\b', 'say "hi"', 'end\\'];
  for (const name of odd) box.script(name, LONG);
  return ['plain', 'web', 'api', 'cache', 'logready', 'db', ...odd];
}

/** `reraise-NAME.service` as systemd-escape writes NAME. */
function unitFile(name: string): string {
  const escaped = [...Buffer.from(name)].map((b) => (/[A-Za-z0-9:_.-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  return `reraise-${escaped}.service`;
}

function unitDir(box: Sandbox): string {
  const dir = path.join(box.root, 'units');
  fs.mkdirSync(dir, { mode: 0o755 });
  return dir;
}

/** systemd-analyze verify of user units, with a runtime dir of its own: no user manager needs to run. */
async function verify(box: Sandbox, files: string[]) {
  const runtime = fs.mkdtempSync(path.join(box.root, 'runtime-'));
  return execa(SYSTEMD_ANALYZE!, ['verify', '--user', '--man=no', ...files], {
    env: { XDG_RUNTIME_DIR: runtime, HOME: box.root }, reject: false, all: true, stdin: 'ignore', timeout: 60_000,
  });
}

describe('reraise export systemd --dir (SPEC 15.8)', () => {
  it('writes one unit a service, mode 0644, each starting with its header, and makes each log directory', async () => {
    const box = sandbox();
    const names = services(box);
    const dir = unitDir(box);
    const r = await box.reraise('export', 'systemd', '--dir', dir);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const sorted = [...names].sort();
    expect(r.stdout.split('\n')).toEqual(sorted.map((name) => `${name}: wrote ${path.join(dir, unitFile(name))}`));
    expect(fs.readdirSync(dir).sort()).toEqual(sorted.map(unitFile).sort());
    for (const name of names) {
      const file = path.join(dir, unitFile(name));
      expect(fs.statSync(file).mode & 0o777, file).toBe(0o644);
      expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toBe(`${HEADER}${unitFile(name)} from ${box.dir}/${name}${name === 'db' ? '/rc.main' : ''}`);
      expect(fs.statSync(path.join(box.logDir, name)).isDirectory()).toBe(true);
    }
    // It starts nothing and records nothing: no pid dir, no want.
    expect(fs.existsSync(box.pidDir)).toBe(false);
    expect(fs.existsSync(path.join(box.logDir, '.want'))).toBe(false);
    expect(box.ourProcesses()).toEqual([]);
  });

  it.skipIf(!SYSTEMD_ANALYZE)('every unit passes systemd-analyze verify --user without a word', async () => {
    const box = sandbox();
    services(box);
    const dir = unitDir(box);
    expect((await box.reraise('export', 'systemd', '--dir', dir)).exitCode).toBe(0);
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
    // It exits 0 on most mistakes, so what it says is what counts.
    const checked = await verify(box, files);
    expect(checked.all).toBe('');
    expect(checked.exitCode).toBe(0);
  });

  it.skipIf(!SYSTEMD_ANALYZE)('verify does speak of a unit that is wrong: the check can fail', async () => {
    const box = sandbox();
    box.script('web', 'config_needs=db\n' + LONG);
    box.script('db', LONG);
    const dir = unitDir(box);
    expect((await box.reraise('export', 'systemd', 'web', '--dir', dir)).exitCode).toBe(0);
    const checked = await verify(box, [path.join(dir, 'reraise-web.service')]);
    expect(checked.all).toContain('reraise-db.service');
  });

  it('replaces a unit of an earlier export, and leaves a file of the user\'s own, a link or a directory as it is', async () => {
    const box = sandbox();
    box.script('web', LONG);
    box.script('mine', LONG);
    box.script('linked', LONG);
    box.script('dir', LONG);
    const dir = unitDir(box);
    fs.writeFileSync(path.join(dir, 'reraise-web.service'), `${HEADER}reraise-web.service from elsewhere\n[Unit]\n`);
    fs.writeFileSync(path.join(dir, 'reraise-mine.service'), '[Unit]\nDescription=my own\n');
    const target = path.join(box.root, 'target');
    fs.writeFileSync(target, `${HEADER}a link's target\n`);
    fs.symlinkSync(target, path.join(dir, 'reraise-linked.service'));
    fs.mkdirSync(path.join(dir, 'reraise-dir.service'));
    const r = await box.reraise('export', 'systemd', '--dir', dir);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(`web: wrote ${path.join(dir, 'reraise-web.service')}`);
    expect(r.stderr.split('\n').sort()).toEqual(['dir', 'linked', 'mine'].map((name) =>
      `reraise: ${name}: unable to write ${path.join(dir, `reraise-${name}.service`)}: it exists and was not written by reraise export systemd; not overwritten`));
    expect(fs.readFileSync(path.join(dir, 'reraise-web.service'), 'utf8')).toContain(`from ${box.dir}/web\n`);
    expect(fs.readFileSync(path.join(dir, 'reraise-mine.service'), 'utf8')).toBe('[Unit]\nDescription=my own\n');
    expect(fs.readFileSync(target, 'utf8')).toBe(`${HEADER}a link's target\n`);
    expect(fs.lstatSync(path.join(dir, 'reraise-linked.service')).isSymbolicLink()).toBe(true);
    // No temporary file is left behind.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('refuses a DIR that is missing or that others can write', async () => {
    const box = sandbox();
    box.script('web', LONG);
    const missing = path.join(box.root, 'nope');
    const r = await box.reraise('export', 'systemd', '--dir', missing);
    expect({ exit: r.exitCode, stdout: r.stdout, stderr: r.stderr }).toEqual({
      exit: 1, stdout: '', stderr: `reraise: unable to use unit dir ${missing} (--dir): no such directory`,
    });
    const open = unitDir(box);
    fs.chmodSync(open, 0o777);
    const o = await box.reraise('export', 'systemd', `--dir=${open}`);
    expect(o.exitCode).toBe(1);
    expect(o.stderr).toMatch(new RegExp(`^reraise: unable to use unit dir ${open} \\(--dir\\): .*writable`));
    expect(fs.readdirSync(open)).toEqual([]);
  });
});

describe('reraise export systemd to stdout (SPEC 15.8)', () => {
  it('prints the units that --dir writes, one after another with a blank line between two', async () => {
    const box = sandbox();
    box.script('web', 'config_ready_port=18080\n' + LONG);
    box.script('db', LONG);
    const dir = unitDir(box);
    expect((await box.reraise('export', 'systemd', '--dir', dir)).exitCode).toBe(0);
    const r = await box.reraise('export', 'systemd');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const files = ['db', 'web'].map((name) => fs.readFileSync(path.join(dir, `reraise-${name}.service`), 'utf8'));
    expect(`${r.stdout}\n`).toBe(files.join('\n'));
  });

  it('exports what the patterns match, and warns of a need whose unit it did not write', async () => {
    const box = sandbox();
    box.script('app', 'config_needs=db\n' + LONG);
    box.script('db', LONG);
    box.script('other', LONG);
    const r = await box.reraise('export', 'systemd', 'a*');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n').filter((line) => line.startsWith(HEADER))).toEqual([`${HEADER}reraise-app.service from ${box.dir}/app`]);
    expect(r.stdout).toMatch(/^Requires=reraise-db\.service$/m);
    expect(r.stderr).toBe('reraise: app: warning: needs db, whose unit this export did not write');
    const both = await box.reraise('export', 'systemd', 'app', 'db');
    expect({ exit: both.exitCode, stderr: both.stderr }).toEqual({ exit: 0, stderr: '' });
  });
});

describe('reraise export systemd: bad input (SPEC 6, 15.8)', () => {
  it('a pattern that matches nothing, a bad config, a missing need, a cycle, a script that is not executable: each said by name, the others still exported', async () => {
    const box = sandbox();
    box.script('good', LONG);
    const bad = box.script('bad', 'config_stop_sec=ten\n' + LONG);
    const lost = box.script('lost', 'config_needs=dbx\n' + LONG);
    const ping = box.script('ping', 'config_needs=pong\n' + LONG);
    box.script('pong', 'config_needs=ping\n' + LONG);
    const idle = box.script('idle', LONG, 0o644);
    const logged = path.join(box.dir, 'logged');
    fs.mkdirSync(logged);
    fs.writeFileSync(path.join(logged, 'rc.main'), '#!/bin/sh\nconfig_ready_log=up\nexec sleep 1000\n', { mode: 0o755 });
    fs.writeFileSync(path.join(logged, 'rc.log'), '#!/bin/sh\nexec cat\n', { mode: 0o755 });
    const r = await box.reraise('export', 'systemd', '*', 'nothing-*');
    expect(r.exitCode).toBe(1);
    expect(r.stdout.split('\n').filter((line) => line.startsWith(HEADER))).toEqual([`${HEADER}reraise-good.service from ${box.dir}/good`]);
    const err = r.stderr.split('\n');
    for (const line of err) expect(line).toMatch(/^reraise: /);
    expect(err).toEqual(expect.arrayContaining([
      `reraise: nothing-*: no such service in ${box.dir} (RERAISE_DIR)`,
      `reraise: bad: ${bad}:2: config_stop_sec: bad value "ten" (expected seconds, like 10 or 0.5, at most 2000000)`,
      `reraise: lost: unable to export: ${lost}:2: config_needs: no service "dbx"`,
      `reraise: ping: unable to export: ${ping}:2: config_needs: a cycle: ping -> pong -> ping`,
      `reraise: idle: unable to export: not executable (${idle})`,
    ]));
    expect(r.stderr).toMatch(/^reraise: logged: unable to export: .*rc\.main: .*config_ready_log/m);
    expect(r.stderr).toMatch(/^reraise: pong: unable to export: /m);
  });

  it.each<[string, string[], string]>([
    ['no kind', ['export'], 'export: missing KIND: systemd'],
    ['another kind', ['export', 'upstart'], 'export: unknown kind "upstart": systemd'],
    ['--dir without a directory', ['export', 'systemd', '--dir'], 'export: --dir takes one directory'],
    ['an unknown option', ['export', 'systemd', '--force'], 'unknown option "--force" for export'],
  ])('%s is a usage error', async (_what, args, message) => {
    const box = sandbox();
    box.script('web', LONG);
    const r = await box.reraise(...args);
    expect({ exit: r.exitCode, stdout: r.stdout, stderr: r.stderr.split('\n')[0] }).toEqual({ exit: 2, stdout: '', stderr: `reraise: ${message}` });
  });
});

// The package as users get it (SPEC 15.6): `npm pack` of a copy of this clone builds dist/ and makes the
// tarball; `npm install -g --prefix` of it, offline, gives a reraise and an auto-reraise that run a service;
// `npx` runs it uninstalled; `npm ci` in another copy installs the development dependencies. No npm step prints
// a warning. The copies keep the build off this clone's dist/, which the other tests are running.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox } from './sandbox.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'LICENSE', 'bin', 'src', 'skeletons'];

let root: string;
let tarball: string;
let prefix: string;
/** npm with none of the npm_config_ settings `npm test` passes down, a private cache and HOME, and no network. */
let npmEnv: Record<string, string>;

const runNpm = (program: 'npm' | 'npx', args: string[], env: Record<string, string> = npmEnv, cwd = root) =>
  execa(program, args, { env, extendEnv: false, reject: false, cwd, stdin: 'ignore' });
const warnings = (stderr: string): string[] => stderr.split('\n').filter((line) => /\bwarn/i.test(line));

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'reraise-package-'));
  const clone = path.join(root, 'clone');
  for (const entry of SOURCES) fs.cpSync(path.join(REPO, entry), path.join(clone, entry), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(clone, 'node_modules'));
  const home = path.join(root, 'home');
  fs.mkdirSync(home);
  npmEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)) as [string, string][]),
    HOME: home, npm_config_cache: path.join(root, 'cache'), npm_config_offline: 'true',
    npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false',
  };
  const packed = await runNpm('npm', ['pack', '--pack-destination', root], npmEnv, clone);
  expect(warnings(packed.stderr)).toEqual([]);
  expect(packed.exitCode).toBe(0);
  tarball = path.join(root, `reraise-${version}.tgz`);
  prefix = path.join(root, 'prefix');
}, 180_000);

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships bin/, the built dist/, skeletons/, package.json, the README and the LICENSE, and no source', async () => {
    const listed = await execa('tar', ['tzf', tarball]);
    const files = listed.stdout.split('\n').map((f) => f.replace(/^package\//, '')).sort();
    expect(files).toEqual(expect.arrayContaining([
      'README.md', 'LICENSE', 'package.json', 'bin/reraise', 'bin/auto-reraise', 'bin/package.json',
      'dist/cli/main.cjs', 'dist/worker/main.cjs', 'dist/worker/health.cjs', 'dist/logger/main.cjs', 'dist/boot/main.cjs',
      'skeletons/http', 'skeletons/minimal', 'skeletons/perp/rc.main', 'skeletons/perp/rc.log',
    ]));
    expect(files.filter((f) => !/^(README\.md|LICENSE|package\.json|bin\/|dist\/|skeletons\/)/.test(f))).toEqual([]);
    const manifest = JSON.parse((await execa('tar', ['xzOf', tarball, 'package/package.json'])).stdout) as Record<string, Record<string, string>>;
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(Object.keys(manifest.scripts).filter((s) => /^(pre|post)?install$|^prepare$/.test(s))).toEqual([]);
  });
});

describe('npm install -g of the tarball', () => {
  beforeAll(async () => {
    const installed = await runNpm('npm', ['install', '-g', '--prefix', prefix, tarball]);
    expect(warnings(installed.stderr)).toEqual([]);
    expect(installed.exitCode).toBe(0);
  }, 120_000);

  it('puts reraise and auto-reraise in the prefix, and they answer', async () => {
    const reraise = path.join(prefix, 'bin', 'reraise');
    const versioned = await execa(reraise, ['--version'], { reject: false });
    expect(versioned.stdout).toBe(version);
    const help = await execa(reraise, ['--help'], { reject: false });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^ *reraise completion <shell>/m);
    const worker = await execa(path.join(prefix, 'bin', 'auto-reraise'), [], { reject: false });
    expect(worker.exitCode).toBe(2);
    expect(worker.stderr).toMatch(/^usage: auto-reraise NAME/);
    expect((await execa(reraise, ['skeleton', 'minimal'])).stdout).toMatch(/^#!/);
    expect((await execa(reraise, ['completion', 'bash'])).stdout).toContain('complete -F _reraise reraise');
  });

  it('runs a service: start --wait, status, stop, from the installed package', async () => {
    const box = sandbox();
    box.script('web', 'config_start_sec=0.2\nconfig_stop_sec=2\nexec sleep 1000\n');
    const reraise = (...args: string[]) => execa(path.join(prefix, 'bin', 'reraise'), args, { env: box.env, reject: false, stdin: 'ignore' });
    const started = await reraise('start', '--wait', 'web');
    expect(started.stderr).toBe('');
    expect(started.exitCode).toBe(0);
    const status = await reraise('status', '--json', 'web');
    expect(JSON.parse(status.stdout)).toEqual([expect.objectContaining({ name: 'web', state: 'running' })]);
    const stopped = await reraise('stop', 'web');
    expect(stopped.exitCode).toBe(0);
    expect(box.ourProcesses()).toEqual([]);
  });
});

describe('npx', () => {
  it('runs reraise from the tarball without installing it', async () => {
    const run = await runNpm('npm', ['exec', '--yes', `--package=${tarball}`, '--', 'reraise', '--version']);
    expect(warnings(run.stderr)).toEqual([]);
    expect(run.stdout).toBe(version);
    // npx reads a path as a package when it starts with ./ (an absolute one it runs as a command).
    const short = await runNpm('npx', ['--yes', `./${path.basename(tarball)}`, '--version']);
    expect(warnings(short.stderr)).toEqual([]);
    expect(short.stdout).toBe(version);
  }, 60_000);
});

describe('npm ci in a clone', () => {
  it('installs the development dependencies, from the cache this clone was installed from, and warns of nothing', async () => {
    const clone = path.join(root, 'fresh');
    for (const entry of SOURCES) fs.cpSync(path.join(REPO, entry), path.join(clone, entry), { recursive: true });
    // The cache the tests were installed from holds every package of the lock file: no download.
    const cache = process.env.npm_config_cache ?? path.join(os.homedir(), '.npm');
    const installed = await runNpm('npm', ['ci', '--prefer-offline'], { ...npmEnv, npm_config_cache: cache, npm_config_offline: 'false' }, clone);
    expect(warnings(installed.stderr)).toEqual([]);
    expect(installed.exitCode).toBe(0);
    expect(fs.existsSync(path.join(clone, 'node_modules', '.bin', 'esbuild'))).toBe(true);
  }, 180_000);
});

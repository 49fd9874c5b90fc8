// The user's crontab through the crontab program: read with `crontab -l`, written whole with `crontab -` (SPEC 13.3).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail, ok, type Result } from '../core/result.js';

/** Where crontab is looked for after PATH: where the systems that have one keep it. */
export const CRONTAB_PLACES = ['/usr/bin', '/bin'];

// A crontab that hangs (a spool on a dead NFS mount) must not hang `reraise boot`.
const TIMEOUT_MS = 10_000;

function isProgram(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The crontab program: on PATH (its absolute entries: a relative one would depend on the current directory), then in CRONTAB_PLACES. */
export function findCrontab(path: string | undefined): string | undefined {
  const dirs = [...(path ?? '').split(':').filter((dir) => dir.startsWith('/')), ...CRONTAB_PLACES];
  return dirs.map((dir) => join(dir, 'crontab')).find(isProgram);
}

function run(program: string, args: string[], input?: string): SpawnSyncReturns<Buffer> {
  return spawnSync(program, args, {
    input: input === undefined ? undefined : Buffer.from(input, 'utf8'),
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    // Its messages in English: "no crontab for USER" is how it says there is none.
    env: { ...process.env, LC_ALL: 'C' },
    timeout: TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** Why a run of crontab failed, in its own words when it gave any. */
function failureOf(what: string, r: SpawnSyncReturns<Buffer>): string {
  if (r.error) return `${what}: ${r.error.message}`;
  const said = r.stderr.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean).join('; ');
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return `${what} failed (${how})${said ? `: ${said}` : ''}`;
}

const NO_CRONTAB = /^no crontab for /m;

/**
 * The crontab's text exactly as it is (empty when the user has none). Anything else that is not a
 * clean read is an error: a crontab that could not be read is never written over.
 */
export function readCrontab(program: string): Result<string> {
  const r = run(program, ['-l']);
  if (!r.error && r.status !== 0 && r.signal === null && NO_CRONTAB.test(r.stderr.toString('utf8'))) return ok('');
  if (r.error || r.status !== 0) return fail(failureOf(`${program} -l`, r));
  try {
    // fatal: text that is not UTF-8 would not be written back byte for byte.
    return ok(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(r.stdout));
  } catch {
    return fail(`${program} -l: the crontab is not UTF-8 text, and would not be written back as it is`);
  }
}

/** Replaces the whole crontab with this text. */
export function writeCrontab(program: string, text: string): Result<void> {
  const r = run(program, ['-'], text);
  return r.error || r.status !== 0 ? fail(failureOf(`${program} -`, r)) : ok(undefined);
}

// reraise boot install | remove | show: the user's crontab runs revive at boot and every 5 minutes (SPEC 13.3).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  asCrontabInput, beginMarker, bootBlock, endMarker, findBlock, programsOf, sameLines, withBlock, withoutBlock,
} from '../../core/cron-block.js';
import { fail, ok, type Result } from '../../core/result.js';
import { CRONTAB_PLACES, findCrontab, readCrontab, writeCrontab } from '../../io/crontab.js';
import { PACKAGE_ROOT } from '../../io/package-root.js';
import type { Context } from '../context.js';
import { failure, said, type Report } from '../report.js';

export type BootAction = 'install' | 'remove' | 'show';

// With PATH unset, the services still need one: the same as SPEC 12.4 gives a service run for its owner.
const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The block as this process would write it: its node, its bin/reraise, its PATH and directories. */
function currentBlock(ctx: Context): Result<string[]> {
  return bootBlock({
    node: process.execPath,
    reraise: join(PACKAGE_ROOT, 'bin', 'reraise'),
    path: process.env.PATH || FALLBACK_PATH,
    service: ctx.dirs.service.path,
    pid: ctx.dirs.pid.path,
    log: ctx.dirs.log.path,
    want: ctx.dirs.want.path,
  });
}

function readUserCrontab(): Result<{ program: string; text: string }> {
  const program = findCrontab(process.env.PATH);
  if (!program) return fail(`crontab is not installed (not on PATH, nor in ${CRONTAB_PLACES.join(', ')})`);
  const text = readCrontab(program);
  return text.ok ? ok({ program, text: text.value }) : text;
}

/** A failure, with what the user can do by hand instead. */
function withHandSteps(error: string, steps: string[]): Report {
  return { ...failure(error), detail: steps };
}

function linesToAdd(block: readonly string[]): string[] {
  return ['nothing was written; add these lines by hand with "crontab -e":', ...block];
}

function linesToTakeOut(serviceDir: string): string[] {
  return ['nothing was written; take out by hand with "crontab -e" the lines from', beginMarker(serviceDir), 'to', endMarker(serviceDir)];
}

function install(ctx: Context): Report {
  const block = currentBlock(ctx);
  if (!block.ok) return failure(`boot: unable to make the cron lines: ${block.message}`);
  const crontab = readUserCrontab();
  if (!crontab.ok) return withHandSteps(`boot: unable to read the crontab: ${crontab.message}`, linesToAdd(block.value));
  const next = withBlock(crontab.value.text, ctx.dirs.service.path, block.value);
  if (!next.ok) return withHandSteps(`boot: unable to install the cron lines: ${next.message}`, linesToAdd(block.value));
  if (next.value.change === 'unchanged') return said('boot: already installed');
  const written = writeCrontab(crontab.value.program, asCrontabInput(next.value.text));
  if (!written.ok) return withHandSteps(`boot: unable to write the crontab: ${written.message}`, linesToAdd(block.value));
  return said(next.value.change === 'installed' ? 'boot: installed' : 'boot: updated');
}

function remove(ctx: Context): Report {
  const dir = ctx.dirs.service.path;
  const crontab = readUserCrontab();
  if (!crontab.ok) return withHandSteps(`boot: unable to read the crontab: ${crontab.message}`, linesToTakeOut(dir));
  const next = withoutBlock(crontab.value.text, dir);
  if (!next.ok) return withHandSteps(`boot: unable to remove the cron lines: ${next.message}`, linesToTakeOut(dir));
  if (!next.value.removed) return said('boot: not installed');
  const written = writeCrontab(crontab.value.program, asCrontabInput(next.value.text));
  if (!written.ok) return withHandSteps(`boot: unable to write the crontab: ${written.message}`, linesToTakeOut(dir));
  return said('boot: removed');
}

/** The block install writes, then whether it is there as it is, then what the installed one runs that is gone. */
function show(ctx: Context): Report {
  const block = currentBlock(ctx);
  if (!block.ok) return failure(`boot: unable to make the cron lines: ${block.message}`);
  const out = [...block.value];
  const crontab = readUserCrontab();
  if (!crontab.ok) {
    return { out, err: [`boot: unable to read the crontab: ${crontab.message}`], detail: ['add the lines above by hand with "crontab -e"'], failed: true };
  }
  const found = findBlock(crontab.value.text, ctx.dirs.service.path);
  if (!found.ok) return { out, err: [`boot: unable to check the cron lines: ${found.message}`], failed: true };
  if (!found.value) return { out: [...out, 'boot: not installed'], err: [], failed: true };
  const current = sameLines(found.value.lines, block.value);
  const gone = programsOf(found.value.lines).filter((p) => !existsSync(p.file));
  return {
    out: [
      ...out,
      current ? 'boot: installed' : 'boot: installed, but differs from this',
      ...gone.map((p) => `boot: the installed lines run ${p.what} ${p.file}, which no longer exists`),
    ],
    err: [],
    failed: !current,
  };
}

export async function boot(ctx: Context, action: BootAction): Promise<Report> {
  return action === 'install' ? install(ctx) : action === 'remove' ? remove(ctx) : show(ctx);
}

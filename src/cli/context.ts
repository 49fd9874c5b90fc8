// What every command needs: the three directories as they resolve now, checked on demand (SPEC 1, 2).
import { homedir } from 'node:os';
import { resolveDirs, prepareLogDir, preparePidDir, prepareServiceDir, prepareWantDir, type Dirs } from '../io/dirs.js';
import { wantsColour } from '../core/colour.js';
import { fail, ok, type Result } from '../core/result.js';

export interface Context {
  dirs: Dirs;
  uid: number;
  /** Whether stdout is coloured (SPEC 15.4). */
  colour: boolean;
  /** Which of stdout and stderr are terminals: what a service wrote is then shown safely (SPEC 7). */
  tty: { stdout: boolean; stderr: boolean };
}

/** `colourFlag`: --color or --no-color when given. */
export function makeContext(env: NodeJS.ProcessEnv = process.env, colourFlag?: boolean): Context {
  const uid = process.getuid!();
  const tty = { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true };
  const colour = wantsColour({ flag: colourFlag, env, isTTY: tty.stdout });
  return { dirs: resolveDirs(env, uid, homedir()), uid, colour, tty };
}

export type Need = 'service' | 'pid' | 'log' | 'want';

/** Creates or checks the directories a command uses; the first problem is the command's one error. */
export function prepare(ctx: Context, needs: readonly Need[]): Result<void> {
  for (const need of needs) {
    const result =
      need === 'service' ? prepareServiceDir(ctx.dirs.service)
        : need === 'pid' ? preparePidDir(ctx.dirs.pid, ctx.uid)
          : need === 'log' ? prepareLogDir(ctx.dirs.log, ctx.uid)
            : prepareWantDir(ctx.dirs.want, ctx.uid);
    if (!result.ok) return fail(result.message);
  }
  return ok(undefined);
}

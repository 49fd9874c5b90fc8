// The want of a service as the commands keep it (SPEC 13.1): recorded by start and stop, shown by status, followed by revive.
import { errnoText } from '../io/trusted-dir.js';
import { readWant, wantPath, writeWant, type WantRead } from '../io/want-store.js';
import type { Want } from '../core/want.js';
import type { Context } from './context.js';

function label(ctx: Context, name: string): string {
  const dir = ctx.dirs.want;
  return `${wantPath(dir.path, name)} (${dir.variable}${dir.named ? '' : ', default'})`;
}

/** Records the want; the error, when it could not, names the file. */
export function recordWant(ctx: Context, name: string, want: Want): string | undefined {
  try {
    writeWant(ctx.dirs.want.path, name, want);
    return undefined;
  } catch (error) {
    return `${name}: unable to record its want (${want}) in ${label(ctx, name)}: ${errnoText(error)}`;
  }
}

export interface SeenWant {
  want?: Want;
  /** Why the want file cannot be used: it is then taken as no want. */
  problem?: string;
}

export function seeWant(ctx: Context, name: string): SeenWant {
  const read: WantRead = readWant(ctx.dirs.want.path, name);
  if (read.kind === 'want') return { want: read.want };
  if (read.kind === 'none') return {};
  return { problem: `${name}: unable to use want ${label(ctx, name)}: ${read.message}; taken as no want` };
}

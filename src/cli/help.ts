// The end of --help: the four directories as they resolve now, and the services found (SPEC 6).
import { serviceDirExists } from '../io/dirs.js';
import { listNames } from '../io/service-dir.js';
import type { Context } from './context.js';

export function helpEpilogue(ctx: Context): string {
  const { service, pid, log, want } = ctx.dirs;
  const line = (label: string, dir: typeof service): string =>
    `  ${label.padEnd(12)} ${dir.path}  (${dir.variable}${dir.named ? '' : ', default'})`;
  const names = listNames(service.path);
  const found = !serviceDirExists(service)
    ? `  none: ${service.path} does not exist${service.named ? '' : ' yet (reraise new NAME creates it)'}`
    : names.length ? names.map((n) => `  ${n}`).join('\n') : `  none yet: reraise new NAME, or reraise skeleton > ${service.path}/NAME`;
  return [
    'Directories:',
    line('services', service),
    line('pid files', pid),
    line('logs', log),
    line('wants', want),
    '',
    'Services found:',
    found,
    '',
    'Exit status: 0 when every target succeeded, 1 when any failed, 2 for a usage error.',
  ].join('\n');
}

// reraise list: the service names, each with its kind, owner and group (SPEC 6).
import { groupName, userName } from '../../io/accounts.js';
import { describeEntry, listNames } from '../../io/service-dir.js';
import { checkService } from '../../io/run-check.js';
import { prepare, type Context } from '../context.js';
import { failure, type Report } from '../report.js';

export async function list(ctx: Context): Promise<Report> {
  const ready = prepare(ctx, ['service']);
  if (!ready.ok) return failure(ready.message);
  const rows = listNames(ctx.dirs.service.path).flatMap((name) => {
    const entry = describeEntry(ctx.dirs.service.path, name);
    if (!entry) return [];
    // What start would refuse, said here too: a directory on the way that someone else controls (SPEC 12.4).
    const checked = entry.runnable ? checkService(entry, ctx.dirs.log.path) : undefined;
    const problem = checked ? (checked.ok ? undefined : checked.message) : entry.problem;
    const owner = entry.uid >= 0 ? userName(entry.uid) : '?';
    const group = entry.gid >= 0 ? groupName(entry.gid) : '?';
    return [[name, entry.kind, owner, group, problem ? `(${problem})` : '']];
  });
  const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
  const out = rows.map((r) => r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]) : cell)).join('  ').trimEnd());
  return { out, err: [], failed: false };
}

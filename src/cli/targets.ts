// Service arguments: glob patterns matched against the service dir and, for some actions, the pid dir (SPEC 6).
import { matchNames } from '../core/glob.js';
import { patternProblem } from '../core/names.js';
import { listNames } from '../io/service-dir.js';
import { listPidNames } from '../io/pid-store.js';
import { listWantNames } from '../io/want-store.js';
import type { Context } from './context.js';
import { failure, type Report } from './report.js';

export interface Target {
  name: string;
  /** Named by a pattern without glob characters. */
  named: boolean;
}

export interface Targets {
  targets: Target[];
  /** One failure per pattern that matched nothing or can never match. */
  problems: Report[];
}

/** The candidate names: the service dir's, plus the pid dir's when `withPidDir`, plus the want dir's when `withWantDir`. */
export function candidates(ctx: Context, withPidDir: boolean, withWantDir = false): string[] {
  const names = new Set(listNames(ctx.dirs.service.path));
  if (withPidDir) for (const name of listPidNames(ctx.dirs.pid.path)) names.add(name);
  if (withWantDir) for (const name of listWantNames(ctx.dirs.want.path)) names.add(name);
  return [...names].sort();
}

/** No patterns means every candidate (for `status` and `clean`; the other actions demand patterns). */
export function resolveTargets(ctx: Context, patterns: readonly string[], withPidDir: boolean, withWantDir = false): Targets {
  const names = candidates(ctx, withPidDir, withWantDir);
  if (patterns.length === 0) return { targets: names.map((name) => ({ name, named: false })), problems: [] };
  const found = new Map<string, Target>();
  const problems: Report[] = [];
  for (const pattern of patterns) {
    const problem = patternProblem(pattern);
    if (problem) {
      problems.push(failure(`${pattern}: not a service name: ${problem}`));
      continue;
    }
    const matched = matchNames(pattern, names);
    if (matched.length === 0) {
      const where = [`${ctx.dirs.service.path} (RERAISE_DIR)`, withPidDir && `${ctx.dirs.pid.path} (RERAISE_PIDDIR)`, withWantDir && `${ctx.dirs.want.path} (RERAISE_WANTDIR)`]
        .filter(Boolean).join(' or ');
      problems.push(failure(`${pattern}: no such service in ${where}`));
      continue;
    }
    const named = matched.length === 1 && matched[0] === pattern;
    for (const name of matched) {
      const seen = found.get(name);
      found.set(name, { name, named: named || (seen?.named ?? false) });
    }
  }
  return { targets: [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), problems };
}

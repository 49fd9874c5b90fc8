// reraise export systemd [PATTERN...] [--dir DIR]: a systemd user unit for each service, to stdout or into DIR (SPEC 15.8).
import { chmodSync, lstatSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readinessProblem } from '../../core/config.js';
import { tempFileName } from '../../core/lock-names.js';
import { planNeeds } from '../../core/needs.js';
import { isExportedUnit, systemdUnit, type Unit } from '../../core/systemd-unit.js';
import { dirsEnv } from '../../io/dirs.js';
import { checkService, loggerFile } from '../../io/run-check.js';
import { readOwnSmallFile, replaceFile } from '../../io/safe-file.js';
import { describeEntry } from '../../io/service-dir.js';
import { readStartConfig } from '../start-config.js';
import { prepareServiceLogDir, serviceLogPath } from '../../io/service-log.js';
import { dirProblem, errnoText } from '../../io/trusted-dir.js';
import { servicePath } from '../../worker/launch.js';
import { prepare, type Context } from '../context.js';
import { needsOf } from '../needs-of.js';
import { failure, merge, print, type Report } from '../report.js';
import { resolveTargets } from '../targets.js';
import type { Outcome } from '../commands.js';

const EXPORT_KINDS = ['systemd'] as const;

/** What one service became: its unit, or the report of why it has none. */
type Exported = { ok: true; unit: Unit; needs: readonly string[]; warnings: string[] } | { ok: false; report: Report };

const refused = (...lines: string[]): Exported => ({ ok: false, report: failure(...lines) });

/** The unit of a service that `start` would start, made as its worker would run it (SPEC 5.2, 15.8). */
function exportOne(ctx: Context, name: string, needsProblem: string | undefined): Exported {
  const entry = describeEntry(ctx.dirs.service.path, name);
  if (!entry) return refused(`${name}: no such service in ${ctx.dirs.service.path} (RERAISE_DIR)`);
  if (!entry.runnable) return refused(`${name}: unable to export: ${entry.problem}`);
  const parsed = readStartConfig(name, entry);
  if (!parsed.ok) return refused(...parsed.lines);
  const { warnings } = parsed;
  const checked = checkService(entry, ctx.dirs.log.path);
  if (!checked.ok) return refused(...warnings, `${name}: unable to export: ${checked.message}`);
  // reraise runs such a service as its owner (SPEC 12.4); a unit of the user manager runs as the user.
  if (checked.value.owner.uid !== ctx.uid) {
    return refused(...warnings, `${name}: unable to export: owned by uid ${checked.value.owner.uid}, and a unit of your user manager would run it as you (${entry.file})`);
  }
  const rcLog = loggerFile(entry);
  const unready = readinessProblem(parsed.config, { rcLog: rcLog !== undefined, viaSudo: false });
  if (unready) return refused(...warnings, `${name}: unable to export: ${entry.file}: ${unready}`);
  if (needsProblem) return refused(...warnings, `${name}: unable to export: ${needsProblem}`);
  const environment = Object.entries({
    RERAISE_SERVICE: name, ...dirsEnv(ctx.dirs), RERAISE_NODE: process.execPath, PATH: servicePath(process.env.PATH),
  });
  const unit = systemdUnit({
    name, kind: entry.kind, file: entry.file, cwd: entry.cwd, config: parsed.config, rcLog,
    logFile: serviceLogPath(ctx.dirs.log.path, name), environment,
  });
  if (!unit.ok) return refused(...warnings, `${name}: unable to export: ${unit.message}`);
  // systemd appends to the log file, but does not make its directory.
  const logDir = prepareServiceLogDir(ctx.dirs.log.path, name, { uid: ctx.uid, gid: process.getgid!() });
  if (!logDir.ok) return refused(...warnings, `${name}: ${logDir.message}`);
  return { ok: true, unit: unit.value, needs: parsed.config.needs, warnings };
}

/**
 * Writes the unit into `dir`, whole or not at all (a new file renamed over it), over nothing but
 * a unit of an earlier export: a file of the user's own in its place is left as it is.
 */
function writeUnit(dir: string, unit: Unit): string | undefined {
  const path = join(dir, unit.name);
  const notOurs = `unable to write ${path}: it exists and was not written by reraise export systemd; not overwritten`;
  try {
    if (lstatSync(path, { throwIfNoEntry: false })) {
      const found = readOwnSmallFile(path, 4096);
      if (found.kind !== 'text' || !isExportedUnit(found.text)) return notOurs;
    }
    replaceFile(path, join(dir, tempFileName(unit.name, process.pid, 'tmp')), unit.text, 0o644);
    // 0644 whatever the umask; the file is whole already, and only the user can reach it in a checked dir.
    chmodSync(path, 0o644);
  } catch (error) {
    return `unable to write ${path}: ${errnoText(error)}`;
  }
  return undefined;
}

export async function exportUnits(ctx: Context, kind: string | undefined, patterns: readonly string[], dir: unknown): Promise<Outcome> {
  if (kind === undefined) return { usage: 'export: missing KIND: systemd' };
  if (!(EXPORT_KINDS as readonly string[]).includes(kind)) return { usage: `export: unknown kind "${kind}": systemd` };
  if (dir !== undefined && (typeof dir !== 'string' || dir === '')) return { usage: 'export: --dir takes one directory' };
  const ready = prepare(ctx, ['service', 'log']);
  if (!ready.ok) return failure(ready.message);
  const unitDir = dir === undefined ? undefined : resolve(dir);
  if (unitDir !== undefined) {
    const problem = dirProblem(unitDir, { uid: ctx.uid });
    if (problem) return failure(`unable to use unit dir ${unitDir} (--dir): ${problem}`);
  }
  const { targets, problems } = resolveTargets(ctx, patterns, false);
  print(merge(problems));
  const names = targets.map((t) => t.name);
  const plan = planNeeds(names, (name) => needsOf(ctx, name));
  const exported = new Map(names.map((name) => [name, exportOne(ctx, name, plan.problems.get(name))] as const));
  const reports: Report[] = [];
  const written = new Set<string>();
  for (const [name, result] of exported) {
    if (!result.ok) {
      reports.push(result.report);
      continue;
    }
    const wrote = unitDir === undefined ? undefined : writeUnit(unitDir, result.unit);
    if (wrote) {
      reports.push(failure(...result.warnings, `${name}: ${wrote}`));
      continue;
    }
    written.add(name);
    const out = unitDir === undefined
      // One unit after another, a blank line between two.
      ? [...(written.size > 1 ? [''] : []), result.unit.text.slice(0, -1)]
      : [`${name}: wrote ${join(unitDir, result.unit.name)}`];
    reports.push({ out, err: result.warnings, failed: false });
  }
  // Requires= of a unit that is not there keeps the unit from starting: said once the others are known.
  for (const [name, result] of exported) {
    if (!result.ok || !written.has(name)) continue;
    const missing = result.needs.filter((need) => !written.has(need));
    for (const need of missing) reports.push({ out: [], err: [`${name}: warning: needs ${need}, whose unit this export did not write`], failed: false });
  }
  return { ...merge(reports), failed: reports.some((r) => r.failed) || problems.length > 0 };
}

// reraise skeleton [KIND] and reraise new NAME [KIND]: starter scripts from skeletons/ (SPEC 6).
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../io/package-root.js';
import { isServiceName, patternProblem } from '../../core/names.js';
import { prepare, type Context } from '../context.js';
import { failure, said, type Report } from '../report.js';

const SKELETONS = join(PACKAGE_ROOT, 'skeletons');
export const DEFAULT_KIND = 'http';

export function skeletonKinds(): string[] {
  return readdirSync(SKELETONS).filter((f) => !f.startsWith('.')).sort();
}

/** A kind is a file (a script service) or a directory of files (a perp-style service, rc.main and rc.log). */
function readSkeleton(kind: string): { script: string } | { files: Map<string, string> } | undefined {
  if (!skeletonKinds().includes(kind)) return undefined;
  const where = join(SKELETONS, kind);
  if (!statSync(where).isDirectory()) return { script: readFileSync(where, 'utf8') };
  return { files: new Map(readdirSync(where).sort().map((f) => [f, readFileSync(join(where, f), 'utf8')])) };
}

function unknownKind(kind: string): string {
  return `unknown skeleton kind "${kind}"; kinds: ${skeletonKinds().join(', ')}`;
}

/** The text for stdout, or a usage error. */
export function skeleton(kind: string): { text: string } | { usage: string } {
  const found = readSkeleton(kind);
  if (found === undefined) return { usage: unknownKind(kind) };
  if ('script' in found) return found.script.length ? { text: found.script } : { usage: unknownKind(kind) };
  return { usage: `"${kind}" is a service directory (${[...found.files.keys()].join(', ')}), not one script: reraise new NAME ${kind} makes it` };
}

function writeNew(file: string, text: string): void {
  // 'wx': fails when the file exists, even if it appeared a moment ago; chmod: whatever the umask.
  writeFileSync(file, text, { flag: 'wx', mode: 0o755 });
  chmodSync(file, 0o755);
}

export async function newService(ctx: Context, name: string, kind: string): Promise<Report | { usage: string }> {
  const found = readSkeleton(kind);
  if (found === undefined) return { usage: unknownKind(kind) };
  const problem = patternProblem(name) ?? (isServiceName(name) ? undefined : 'a service name never ends in ~, .swp, .bak, .orig or .disabled');
  if (problem) return failure(`${name}: not a service name: ${problem}`);
  const ready = prepare(ctx, ['service']);
  if (!ready.ok) return failure(ready.message);
  const target = join(ctx.dirs.service.path, name);
  try {
    if ('script' in found) {
      writeNew(target, found.script);
    } else {
      mkdirSync(target, { mode: 0o755 });
      for (const [file, text] of found.files) writeNew(join(target, file), text);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return failure(`${name}: already exists, not overwritten (${target})`);
    return failure(`${name}: cannot write ${target}: ${(error as Error).message}`);
  }
  return said(`${name}: created ${target} (${kind} skeleton)`);
}

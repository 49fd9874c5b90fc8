// reraise skeleton [KIND] and reraise new NAME [KIND]: starter scripts from skeletons/ (SPEC 6).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isServiceName, patternProblem } from '../../core/names.js';
import { prepare, type Context } from '../context.js';
import { failure, said, type Report } from '../report.js';

const SKELETONS = fileURLToPath(new URL('../../../skeletons/', import.meta.url));
export const DEFAULT_KIND = 'http';

export function skeletonKinds(): string[] {
  return fs.readdirSync(SKELETONS).filter((f) => !f.startsWith('.')).sort();
}

function readSkeleton(kind: string): string | undefined {
  return skeletonKinds().includes(kind) ? fs.readFileSync(path.join(SKELETONS, kind), 'utf8') : undefined;
}

function unknownKind(kind: string): string {
  return `unknown skeleton kind "${kind}"; kinds: ${skeletonKinds().join(', ')}`;
}

/** Returns the text for stdout, or undefined (usage error) when there is no such kind. */
export function skeleton(kind: string): { text: string } | { usage: string } {
  const text = readSkeleton(kind);
  return text === undefined ? { usage: unknownKind(kind) } : { text };
}

export async function newService(ctx: Context, name: string, kind: string): Promise<Report | { usage: string }> {
  const text = readSkeleton(kind);
  if (text === undefined) return { usage: unknownKind(kind) };
  const problem = patternProblem(name) ?? (isServiceName(name) ? undefined : 'a service name never ends in ~, .swp, .bak, .orig or .disabled');
  if (problem) return failure(`${name}: not a service name: ${problem}`);
  const ready = prepare(ctx, ['service']);
  if (!ready.ok) return failure(ready.message);
  const file = path.join(ctx.dirs.service.path, name);
  try {
    // 'wx': fails when the file exists, even if it appeared a moment ago.
    fs.writeFileSync(file, text, { flag: 'wx', mode: 0o755 });
    fs.chmodSync(file, 0o755);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return failure(`${name}: already exists, not overwritten (${file})`);
    return failure(`${name}: cannot write ${file}: ${(error as Error).message}`);
  }
  return said(`${name}: created ${file} (${kind} skeleton)`);
}

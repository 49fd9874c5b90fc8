// What a service's config says it needs (SPEC 14.3), read as its worker would read it.
import type { NeedsOf } from '../core/needs.js';
import { currentConfig, describeEntry } from '../io/service-dir.js';
import type { Context } from './context.js';

/** Undefined for a name that is no service. */
export function needsOf(ctx: Context, name: string): NeedsOf | undefined {
  const entry = describeEntry(ctx.dirs.service.path, name);
  if (!entry) return undefined;
  const { needs, needsLine } = currentConfig(entry);
  return { needs, file: entry.file, line: needsLine };
}

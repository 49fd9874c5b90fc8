// Glob patterns against service names (SPEC 6); the worker never loads this.
import { minimatch } from 'minimatch';

/** The names (sorted) that match the glob pattern. */
export function matchNames(pattern: string, names: readonly string[]): string[] {
  return names.filter((name) => minimatch(name, pattern, { dot: false, nonegate: true, nocomment: true })).sort();
}

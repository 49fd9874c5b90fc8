// Glob patterns against service names (SPEC 6); the worker never loads this.
import { Minimatch, minimatch } from 'minimatch';

const OPTIONS = { dot: false, nonegate: true, nocomment: true };

/** The names (sorted) that match the glob pattern. */
export function matchNames(pattern: string, names: readonly string[]): string[] {
  return names.filter((name) => minimatch(name, pattern, OPTIONS)).sort();
}

/**
 * A pattern that may match other names than itself, or none: `*`, `?`, a class, braces, or an
 * extglob such as `@(web|api)`; a plain name is only itself.
 */
export function isGlob(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern) || new Minimatch(pattern, OPTIONS).hasMagic();
}

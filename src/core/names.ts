// Which directory entries can be services, and which patterns can name one (SPEC 1).
/** Editor and backup leftovers; completion scripts carry this list too (SPEC 15.5). */
export const IGNORED_SUFFIXES = ['~', '.swp', '.bak', '.orig', '.disabled'];

/** True for a name that can be a service: not hidden, not an editor or backup leftover, no `/` or control character. */
export function isServiceName(name: string): boolean {
  if (name === '' || name.startsWith('.')) return false;
  if (IGNORED_SUFFIXES.some((suffix) => name.endsWith(suffix))) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u001f\u007f/]/.test(name);
}

/** Why a pattern can never name a service, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'empty pattern';
  if (pattern.includes('/')) return 'a service name never contains "/"';
  if (pattern === '.' || pattern === '..' || pattern.startsWith('.')) return 'a service name never starts with "."';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(pattern)) return 'a service name never contains a control character';
  return undefined;
}

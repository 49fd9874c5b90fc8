// A service's config as `start` takes it, and `export` with it: its file read and parsed, the warnings to say, or what refuses it (SPEC 4).
import { hasErrors, parseConfig, type ServiceConfig } from '../core/config.js';
import { readConfigText, type ServiceEntry } from '../io/service-dir.js';

export type StartConfig =
  | { ok: true; config: ServiceConfig; warnings: string[] }
  /** The warnings, then the errors: every line of the file at fault, each named. */
  | { ok: false; lines: string[] };

export function readStartConfig(name: string, entry: ServiceEntry): StartConfig {
  let text: string;
  try {
    text = readConfigText(entry.file);
  } catch (error) {
    return { ok: false, lines: [`${name}: unable to read ${entry.file}: ${(error as Error).message}`] };
  }
  const parsed = parseConfig(text, entry.file);
  const warnings = parsed.diagnostics.filter((d) => d.severity === 'warning').map((d) => `warning: ${d.message}`);
  if (!hasErrors(parsed)) return { ok: true, config: parsed.config, warnings };
  return { ok: false, lines: [...warnings, ...parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => `${name}: ${d.message}`)] };
}

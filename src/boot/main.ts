// How bin/reraise loads the CLI bundle: compiled by V8 from the user's code cache when one may be used (SPEC 12.5).
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { openCodeCache } from '../io/code-cache.js';

export interface Loaded {
  exports: Record<string, unknown>;
  /** After the command: writes the cache when there was none, or V8 rejected it. */
  save(): void;
}

/**
 * Compiling the CLI (yargs included) is most of its start-up, and Node 20 has no compile cache
 * of its own. A missing, stale or refused cache only costs a normal compile.
 */
/**
 * `writes` false: the cache is used but never written. A run that compiles a small part of the
 * CLI (revive, from cron) would leave out of it what the other commands need.
 */
export function loadCached(file: string, version: string, writes = true): Loaded {
  const cache = openCodeCache(file, version, process.env, homedir(), process.getuid!());
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: cache.data });
  const module = { exports: {} as Record<string, unknown> };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    // Made after the run, the cache holds the functions the command compiled too, not only the top level.
    save: () => {
      if (writes && (cache.data === undefined || script.cachedDataRejected)) cache.write(() => script.createCachedData());
    },
  };
}

// How the CLI and a worker talk (SPEC 5, 6, 10, 13.2): the signals a worker answers to, and what a starter hands it.

/** The signals of the protocol, by what they ask of the worker. */
export const ASK = {
  /** Stop the service and exit (SPEC 5.5); SIGINT asks the same. */
  stop: 'SIGTERM',
  /** Restart the service without counting a retry. */
  restart: 'SIGHUP',
  /** Let the current run finish, then exit (SPEC 10 `once`). */
  once: 'SIGUSR1',
  /** Take the once flag away again. */
  onceOff: 'SIGUSR2',
} as const satisfies Record<string, NodeJS.Signals>;

/** Set by `revive` for the workers it forks: take over an orphan, count a revival (SPEC 13.2). Never passed on to the service. */
export const REVIVE_VARIABLE = 'RERAISE_REVIVE';

/**
 * A run of the service that no record names, as the starter found it in /proc (SPEC 13.2): the
 * worker checks it again under its lock. The scan is the starter's, so that no worker holds its
 * memory for life. Never passed on to the service.
 */
export const UNRECORDED_VARIABLE = 'RERAISE_UNRECORDED';

const TUNABLES = 'GLIBC_TUNABLES';
/** The user's own GLIBC_TUNABLES, as the starter found it; unset when there was none (SPEC 5.2). */
export const USER_TUNABLES_VARIABLE = 'RERAISE_GLIBC_TUNABLES';
/**
 * Above this size glibc maps memory and unmaps it when freed: what V8 allocates to compile the
 * worker then goes back at once instead of staying dirty in the heap for the worker's life.
 */
const WORKER_TUNABLE = 'glibc.malloc.mmap_threshold=16384';

/** The worker's malloc tuning on top of `env`, the user's own value kept aside for the service. */
export function withWorkerTunables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = env[TUNABLES];
  const result: NodeJS.ProcessEnv = { ...env, [TUNABLES]: own ? `${own}:${WORKER_TUNABLE}` : WORKER_TUNABLE };
  delete result[USER_TUNABLES_VARIABLE];
  if (own !== undefined) result[USER_TUNABLES_VARIABLE] = own;
  return result;
}

/** In the worker, before it runs anything: GLIBC_TUNABLES is the user's again, or unset. */
export function restoreUserTunables(env: NodeJS.ProcessEnv): void {
  const own = env[USER_TUNABLES_VARIABLE];
  delete env[USER_TUNABLES_VARIABLE];
  if (own === undefined) delete env[TUNABLES];
  else env[TUNABLES] = own;
}

/** Sends `signal` to worker `pid`; false when it is gone. */
export function askWorker(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

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

/** Sends `signal` to worker `pid`; false when it is gone. */
export function askWorker(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

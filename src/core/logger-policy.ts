// When a dead rc.log logger is started again: like perp, at least a second after its last start. Pure.

export const LOGGER_MIN_INTERVAL_MS = 1000;

export function loggerRestartDelay(ranMs: number): number {
  return Math.max(0, LOGGER_MIN_INTERVAL_MS - ranMs);
}

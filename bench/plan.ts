// How much the bench repeats each measurement (full or --quick), and the shape of one figure.
import type { Row, Target } from './report.js';

export interface Plan {
  quick: boolean;
  /** Idle workers and bare node processes measured side by side (figures 1 and 6). */
  memoryProcesses: number;
  /** How long after start the memory is read. */
  settleMs: number;
  /** The idle window of figure 6. */
  idleSeconds: number;
  /** Rounds of 1 service then 20 services (figure 2). */
  pssRounds: number;
  services: number;
  /** kill -9 of the service, and spawns of the baseline (figure 3). */
  restarts: number;
  /** A B pairs per service count (figure 4). */
  cliPairs: number;
  /** Rounds of start '*' (figure 5). */
  startRounds: number;
  /** Workers of each kind in figure 8: plain idle ones, ones that check their service every second, bare nodes. */
  healthProcesses: number;
  /** Checks each checking worker has made, on top of settleMs, before memory is read (figure 8). */
  healthChecksBeforeRead: number;
  /** The idle window of figure 8: wakeups of the plain workers, CPU of the checking ones. */
  healthIdleSeconds: number;
}

export function makePlan(quick: boolean): Plan {
  return quick
    ? { quick, memoryProcesses: 3, settleMs: 2000, idleSeconds: 5, pssRounds: 2, services: 20, restarts: 15, cliPairs: 6, startRounds: 2,
        healthProcesses: 3, healthChecksBeforeRead: 3, healthIdleSeconds: 5 }
    : { quick, memoryProcesses: 7, settleMs: 3000, idleSeconds: 30, pssRounds: 5, services: 20, restarts: 50, cliPairs: 20, startRounds: 5,
        healthProcesses: 7, healthChecksBeforeRead: 5, healthIdleSeconds: 30 };
}

export interface RowSpec {
  id: string;
  figure: string;
  unit: string;
  target: Target | null;
}

export interface Figure {
  title: string;
  /** The rows the figure gives, in order; when it fails, each is reported as an error. */
  rows: RowSpec[];
  run(plan: Plan, progress: (message: string) => void): Promise<Row[]>;
}

/** The script body of an idle service: config line, then exec of a long sleep. */
export function sleeper(startSec: number): string {
  return `config_start_sec=${startSec}\nexec sleep 100000\n`;
}

export const names = (prefix: string, count: number, width = 2): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);

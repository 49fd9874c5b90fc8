// What `revive` does with one service, from its want and its state (SPEC 13.2 table). Pure.
import type { StatusState } from './status.js';

export type ReviveAction =
  | 'start'
  | 'take-over'
  | 'revive'
  | 'clean'
  | 'drop-want'
  | 'nothing';

export interface ReviveFacts {
  want?: 'up' | 'down';
  state: StatusState;
  /** The service dir has an entry of that name. */
  exists: boolean;
  /** When a service in ERROR may be revived (epoch seconds). */
  nextRevival?: number;
  now: number;
}

/** States in which something of the service runs, or may: revive never starts a second one beside it. */
const LIVE: ReadonlySet<StatusState> = new Set(['running', 'starting', 'restarting', 'orphaned', 'unknown']);

export function planRevive(facts: ReviveFacts): ReviveAction {
  const { want, state } = facts;
  // A want outlives its script only until the next pass, unless something of it still runs:
  // then it is left alone, never taken over (a new worker would stop it and have nothing to run).
  if (!facts.exists) {
    if (LIVE.has(state)) return 'nothing';
    return want !== undefined ? 'drop-want' : state === 'stale' ? 'clean' : 'nothing';
  }
  if (want !== 'up') return state === 'stale' ? 'clean' : 'nothing';
  switch (state) {
    case 'down':
    case 'stale':
    case 'not-executable':
      return 'start';
    case 'orphaned':
      return 'take-over';
    case 'error':
      return facts.nextRevival !== undefined && facts.nextRevival <= facts.now ? 'revive' : 'nothing';
    default:
      return 'nothing';
  }
}

// What revive does with one service, from its want and its state: the SPEC 13.2 table, row by row.
import { describe, expect, it } from 'vitest';
import { planRevive, type ReviveAction, type ReviveFacts } from '../../src/core/revive-plan.js';
import type { StatusState } from '../../src/core/status.js';

const NOW = 1_700_000_000;
const ALL: StatusState[] = ['running', 'starting', 'restarting', 'error', 'down', 'not-executable', 'stale', 'orphaned', 'unknown'];
/** Something of the service runs, or may: revive never starts a second one beside it. */
const LIVE: StatusState[] = ['running', 'starting', 'restarting', 'orphaned', 'unknown'];

const plan = (facts: Partial<ReviveFacts> & Pick<ReviveFacts, 'state'>): ReviveAction =>
  planRevive({ exists: true, now: NOW, ...facts });

describe('the SPEC 13.2 table', () => {
  it.each<[string, Partial<ReviveFacts> & Pick<ReviveFacts, 'state'>, ReviveAction]>([
    ['up, not running: starts it', { want: 'up', state: 'down' }, 'start'],
    ['up, stale: starts it', { want: 'up', state: 'stale' }, 'start'],
    ['up, orphaned: a new worker takes it over', { want: 'up', state: 'orphaned' }, 'take-over'],
    ['up, ERROR, its revival due: revives it', { want: 'up', state: 'error', nextRevival: NOW - 1 }, 'revive'],
    ['up, ERROR, due this very second: revives it', { want: 'up', state: 'error', nextRevival: NOW }, 'revive'],
    ['up, ERROR, not yet due: nothing', { want: 'up', state: 'error', nextRevival: NOW + 1 }, 'nothing'],
    ['up, ERROR, no revival known: nothing', { want: 'up', state: 'error' }, 'nothing'],
    // Planned as a start, which refuses it with the error, on stderr, as `start` does: nothing is started.
    ['up, not executable: the start that refuses it', { want: 'up', state: 'not-executable' }, 'start'],
    ['up, running: nothing', { want: 'up', state: 'running' }, 'nothing'],
    ['up, starting: nothing', { want: 'up', state: 'starting' }, 'nothing'],
    ['up, restarting: nothing', { want: 'up', state: 'restarting' }, 'nothing'],
    ['up, unknown: nothing', { want: 'up', state: 'unknown' }, 'nothing'],
    ['down, stale: removes the stale pid file', { want: 'down', state: 'stale' }, 'clean'],
    ['none, stale: removes the stale pid file', { state: 'stale' }, 'clean'],
    ['up, no such service, not running: drops the want', { want: 'up', state: 'down', exists: false }, 'drop-want'],
    ['up, no such service, stale: drops the want (and the pid file)', { want: 'up', state: 'stale', exists: false }, 'drop-want'],
    ['up, no such service, ERROR: drops the want', { want: 'up', state: 'error', exists: false, nextRevival: NOW - 1 }, 'drop-want'],
    ['down, no such service, not running: drops the want', { want: 'down', state: 'down', exists: false }, 'drop-want'],
    ['down, no such service, stale: drops the want', { want: 'down', state: 'stale', exists: false }, 'drop-want'],
    ['down, no such service, ERROR: drops the want', { want: 'down', state: 'error', exists: false }, 'drop-want'],
  ])('%s', (_, facts, action) => {
    expect(plan(facts)).toBe(action);
  });

  // The row "down, none | any other | nothing".
  it.each(ALL.filter((s) => s !== 'stale').flatMap((state) => [['down', state], ['none', state]] as const))(
    'want %s, %s: nothing',
    (want, state) => {
      expect(plan({ want: want === 'none' ? undefined : want, state, nextRevival: NOW - 1 })).toBe('nothing');
    },
  );
});

describe('beyond the table', () => {
  // A want outlives its script only while something of it still runs: then the want stays, and nothing is done.
  it.each(LIVE.flatMap((state) => [['up', state], ['down', state], ['none', state]] as const))(
    'want %s of a gone script, %s: nothing',
    (want, state) => {
      expect(plan({ want: want === 'none' ? undefined : want, state, exists: false })).toBe('nothing');
    },
  );

  it.each<[string, Partial<ReviveFacts> & Pick<ReviveFacts, 'state'>, ReviveAction]>([
    ['no want, a gone script, stale: clean, as `clean` would', { state: 'stale', exists: false }, 'clean'],
    ['no want, a gone script, not running: nothing (no want to drop)', { state: 'down', exists: false }, 'nothing'],
    ['no want, a gone script, ERROR: nothing', { state: 'error', exists: false }, 'nothing'],
    ['down, orphaned: left alone (the stop that wrote down stops it)', { want: 'down', state: 'orphaned' }, 'nothing'],
    ['down, ERROR due: never revived', { want: 'down', state: 'error', nextRevival: NOW - 3600 }, 'nothing'],
    ['none, ERROR due: never revived', { state: 'error', nextRevival: NOW - 3600 }, 'nothing'],
    ['none, not running: nothing is started', { state: 'down' }, 'nothing'],
    ['a fractional now: due when now has passed it', { want: 'up', state: 'error', nextRevival: NOW, now: NOW + 0.5 }, 'revive'],
    ['a fractional now: not due a moment before', { want: 'up', state: 'error', nextRevival: NOW, now: NOW - 0.001 }, 'nothing'],
  ])('%s', (_, facts, action) => {
    expect(plan(facts)).toBe(action);
  });

  it('acts only where it may: a run for a script wanted up, a want dropped for a gone script, a clean of a stale file', () => {
    for (const state of ALL) {
      for (const want of ['up', 'down', undefined] as const) {
        for (const exists of [true, false]) {
          const action = plan({ want, state, exists, nextRevival: NOW - 1 });
          const facts = { want, state, exists, action };
          if (action === 'start' || action === 'take-over' || action === 'revive') expect(facts).toMatchObject({ want: 'up', exists: true });
          if (action === 'drop-want') expect(facts.exists || want === undefined || LIVE.includes(state)).toBe(false);
          if (action === 'clean') expect(facts).toMatchObject({ state: 'stale' });
          if (LIVE.includes(state) && action !== 'take-over') expect(action).toBe('nothing');
        }
      }
    }
  });
});

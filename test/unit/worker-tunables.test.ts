// The worker's malloc tuning and the user's GLIBC_TUNABLES given back (SPEC 5.2).
import { describe, expect, it } from 'vitest';
import { restoreUserTunables, withWorkerTunables } from '../../src/io/worker-protocol.js';

const OURS = 'glibc.malloc.mmap_threshold=16384';

describe('withWorkerTunables, then restoreUserTunables', () => {
  it.each([
    { user: {}, worker: { GLIBC_TUNABLES: OURS } },
    { user: { GLIBC_TUNABLES: '' }, worker: { GLIBC_TUNABLES: OURS, RERAISE_GLIBC_TUNABLES: '' } },
    { user: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' },
      worker: { GLIBC_TUNABLES: `glibc.malloc.arena_max=2:${OURS}`, RERAISE_GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' } },
    // A stray value of the protocol's variable is not the user's: dropped, and not given on.
    { user: { RERAISE_GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' }, worker: { GLIBC_TUNABLES: OURS }, service: {} },
    { user: { GLIBC_TUNABLES: 'x=1', RERAISE_GLIBC_TUNABLES: 'y=2' },
      worker: { GLIBC_TUNABLES: `x=1:${OURS}`, RERAISE_GLIBC_TUNABLES: 'x=1' }, service: { GLIBC_TUNABLES: 'x=1' } },
  ])('$user', ({ user, worker, service }: { user: NodeJS.ProcessEnv; worker: NodeJS.ProcessEnv; service?: NodeJS.ProcessEnv }) => {
    const env = withWorkerTunables({ HOME: '/h', ...user });
    expect(env).toEqual({ HOME: '/h', ...worker });
    // glibc may rewrite the variable as it reads it: what the worker finds there does not matter.
    env.GLIBC_TUNABLES = 'rewritten';
    restoreUserTunables(env);
    expect(env).toEqual({ HOME: '/h', ...(service ?? user) });
  });

  it('leaves the starter\'s environment as it was', () => {
    const user = { GLIBC_TUNABLES: 'x=1', RERAISE_GLIBC_TUNABLES: 'y=2' };
    withWorkerTunables(user);
    expect(user).toEqual({ GLIBC_TUNABLES: 'x=1', RERAISE_GLIBC_TUNABLES: 'y=2' });
  });
});

// Is the process a pid names the one its record means (SPEC 4)? Pid reuse in every form is refused.
import { describe, expect, it } from 'vitest';
import { isMemberOf, isServiceOf, isUnrecordedRunOf, isWorkerOf, serviceFiles, type ProcessFacts } from '../../src/core/identity.js';

const E = 1_800_000_000;
const ME = 1000;
const PIDS = '/tmp/box/pids';
const worker = { name: 'web', uid: ME, pidDir: PIDS, defaultPidDir: '/var/tmp/reraise-1000' };
const service = { name: 'web', epoch: E, uid: ME, files: serviceFiles('/home/me/reraise.d', 'web') };
const proc = (over: Partial<ProcessFacts>): ProcessFacts => ({ state: 'S', uid: ME, startEpoch: E + 0.4, argv: ['sleep', '1000'], ...over });

describe('isWorkerOf', () => {
  const titled = (over: Partial<ProcessFacts> = {}): ProcessFacts =>
    proc({ argv: ['auto-reraise web'], environ: [`RERAISE_PIDDIR=${PIDS}`], ...over });
  it.each<[string, ProcessFacts | undefined, boolean]>([
    ['titled, ours, this pid dir', titled(), true],
    ['no such process', undefined, false],
    ['a zombie', titled({ state: 'Z' }), false],
    ['another service\'s worker', titled({ argv: ['auto-reraise api'] }), false],
    ['a worker of another user (a reused pid)', titled({ uid: 1001 }), false],
    ['a worker of the same name for another pid dir', titled({ environ: ['RERAISE_PIDDIR=/elsewhere'] }), false],
    ['no RERAISE_PIDDIR: the default one, which is not this one', titled({ environ: [] }), false],
    ['an unrelated process of ours', proc({ environ: [] }), false],
    ['environment unreadable (ps only): the title and uid decide', titled({ environ: undefined }), true],
  ])('%s', (_label, facts, expected) => {
    expect(isWorkerOf(facts, worker)).toBe(expected);
  });

  it('a worker without RERAISE_PIDDIR is of the default pid dir', () => {
    expect(isWorkerOf(titled({ environ: [] }), { ...worker, pidDir: worker.defaultPidDir })).toBe(true);
  });
});

describe('isServiceOf', () => {
  const marked = ['RERAISE_SERVICE=web', 'HOME=/home/me'];
  const sudo = ['/usr/bin/sudo', '-n', '-u', 'alice', '--', '/home/me/reraise.d/web'];
  it.each<[string, ProcessFacts | undefined, boolean]>([
    ['started with the record, marked', proc({ environ: marked }), true],
    ['started 2 s off', proc({ environ: marked, startEpoch: E - 2 }), true],
    ['a reused pid: started later', proc({ environ: marked, startEpoch: E + 3 }), false],
    ['a reused pid: another service\'s mark', proc({ environ: ['RERAISE_SERVICE=api'] }), false],
    ['a reused pid: no mark', proc({ environ: ['HOME=/'] }), false],
    ['gone', undefined, false],
    ['a zombie', proc({ environ: marked, state: 'Z' }), false],
    ['run through sudo: our own sudo of its script, environment unreadable', proc({ argv: sudo }), true],
    ['run through sudo, perp: our sudo of rc.main', proc({ argv: [...sudo.slice(0, 5), '/home/me/reraise.d/web/rc.main', 'start', 'web'] }), true],
    ['a sudo of another file', proc({ argv: [...sudo.slice(0, 5), '/bin/sh'] }), false],
    ['a sudo of another user (a reused pid)', proc({ argv: sudo, uid: 1001 }), false],
    ['a sudo started later (a reused pid)', proc({ argv: sudo, startEpoch: E + 5 }), false],
    ['a sudo without -n', proc({ argv: ['sudo', '-u', 'alice', '--', '/home/me/reraise.d/web', 'x'] }), false],
    ['unreadable, and no sudo: another user\'s process', proc({ argv: ['/home/me/reraise.d/web'], uid: 1001 }), false],
  ])('%s', (_label, facts, expected) => {
    expect(isServiceOf(facts, service)).toBe(expected);
  });

  // Root reads everyone's environment: a record that says which uid the run was started as rules out the rest.
  it.each<[string, ProcessFacts, boolean]>([
    ['the uid the record names', proc({ uid: 1005, environ: marked }), true],
    ['another uid that claims the name (a reused pid)', proc({ uid: 1006, environ: marked }), false],
    ['through sudo: the user\'s own uid, as recorded', proc({ argv: sudo }), false],
  ])('with uid= in the record: %s', (_label, facts, expected) => {
    expect(isServiceOf(facts, { ...service, runUid: 1005 })).toBe(expected);
  });
});

describe('isMemberOf: what an orphan leaves in its group', () => {
  it.each<[string, ProcessFacts | undefined, boolean]>([
    ['marked, started after the run', proc({ environ: ['RERAISE_SERVICE=web'], startEpoch: E + 30 }), true],
    ['marked, started well before the run', proc({ environ: ['RERAISE_SERVICE=web'], startEpoch: E - 10 }), false],
    ['unmarked', proc({ environ: [] }), false],
    ['unreadable', proc({ environ: undefined }), false],
  ])('%s', (_label, facts, expected) => {
    expect(isMemberOf(facts, service)).toBe(expected);
  });

  it('a member of another uid than the run\'s is not the run', () => {
    const member = proc({ environ: ['RERAISE_SERVICE=web'], startEpoch: E + 30 });
    expect([isMemberOf(member, { ...service, runUid: ME }), isMemberOf(member, { ...service, runUid: 1005 })]).toEqual([true, false]);
  });
});

describe('isUnrecordedRunOf: a run of the service that no record names any more (SPEC 13.2)', () => {
  const expect_ = { name: 'web', pidDir: PIDS, uids: [ME, 1005] };
  const run = (over: Partial<ProcessFacts> = {}): ProcessFacts =>
    proc({ argv: ['/bin/sh', '/home/me/reraise.d/web'], environ: ['RERAISE_SERVICE=web', `RERAISE_PIDDIR=${PIDS}`], ...over });
  it.each<[string, ProcessFacts | undefined, boolean, string | undefined, boolean]>([
    ['the group leader of a run, stdin /dev/null', run(), true, '/dev/null', true],
    ['run as the service\'s owner (a root worker)', run({ uid: 1005 }), true, '/dev/null', true],
    ['of a uid neither the user nor the owner (a stranger\'s look-alike)', run({ uid: 1001 }), true, '/dev/null', false],
    ['not the leader of its group (a child of the run)', run(), false, '/dev/null', false],
    ['stdin a pipe: the rc.log, not the service', run(), true, 'pipe:[123]', false],
    ['stdin unknown', run(), true, undefined, false],
    ['another service', run({ environ: ['RERAISE_SERVICE=api', `RERAISE_PIDDIR=${PIDS}`] }), true, '/dev/null', false],
    ['the same service of another pid dir', run({ environ: ['RERAISE_SERVICE=web', 'RERAISE_PIDDIR=/elsewhere'] }), true, '/dev/null', false],
    ['a worker (its environment names the service too)', run({ argv: ['auto-reraise web'] }), true, '/dev/null', false],
    ['environment unreadable', run({ environ: undefined }), true, '/dev/null', false],
    ['a zombie', run({ state: 'Z' }), true, '/dev/null', false],
    ['gone', undefined, true, '/dev/null', false],
  ])('%s', (_label, facts, leads, stdin, expected) => {
    expect(isUnrecordedRunOf(facts, leads, stdin, expect_)).toBe(expected);
  });
});

// Which directories (and links on the way) can be trusted, from their lstat facts (SPEC 12.2, 12.4).
import { describe, expect, it } from 'vitest';
import { aboveProblem, canSearch, looseBits, runnableFileProblem, usedDirProblem, type EntryFacts, type Trust } from '../../src/core/trust.js';

const ME = 1000;
const OTHER = 1001;
const PRIVATE_GID = 1000;
const dir = (over: Partial<EntryFacts>): EntryFacts => ({ kind: 'directory', uid: ME, gid: PRIVATE_GID, mode: 0o40755, ...over });
const trust: Trust = { owners: [0, ME], isPrivateGroup: (gid) => gid === PRIVATE_GID, groupName: (gid) => (gid === 50 ? 'staff' : String(gid)) };

describe('aboveProblem: a directory above the one used, or on the way to a file that runs', () => {
  it.each<[string, Partial<EntryFacts>, string | undefined]>([
    ['root-owned 0755', { uid: 0, gid: 0 }, undefined],
    ['the user\'s own 0700', { mode: 0o40700 }, undefined],
    ['/tmp: root-owned 1777', { uid: 0, gid: 0, mode: 0o41777 }, undefined],
    ['sticky and group-writable', { uid: 0, gid: 50, mode: 0o41775 }, undefined],
    ['another user\'s 0755', { uid: OTHER }, 'a directory owned by uid 1001'],
    ['another user\'s, even sticky', { uid: OTHER, mode: 0o41777 }, 'a directory owned by uid 1001'],
    ['world-writable without the sticky bit', { uid: 0, mode: 0o40777 }, 'writable by others without the sticky bit'],
    ['writable by a shared group', { gid: 50, mode: 0o40775 }, 'writable by its group (staff) without the sticky bit'],
    ['writable by the user\'s private group (umask 002)', { gid: PRIVATE_GID, mode: 0o40775 }, undefined],
    ['a link of root\'s', { kind: 'symlink', uid: 0, mode: 0o120777 }, undefined],
    ['a link of the user\'s', { kind: 'symlink', mode: 0o120777 }, undefined],
    ['a link of another user\'s', { kind: 'symlink', uid: OTHER, mode: 0o120777 }, 'a link owned by uid 1001'],
    ['a file in the way', { kind: 'file', mode: 0o100644 }, 'not a directory'],
  ])('%s', (_label, facts, problem) => {
    expect(aboveProblem(dir(facts), trust)).toBe(problem);
  });
});

describe('usedDirProblem: the directory reraise writes in', () => {
  const used = { uid: ME, isPrivateGroup: trust.isPrivateGroup, groupName: trust.groupName };
  it.each<[string, Partial<EntryFacts>, boolean, string | undefined]>([
    ['the user\'s 0700', { mode: 0o40700 }, false, undefined],
    ['the user\'s 0755', {}, false, undefined],
    ['a link, even to a good directory', { kind: 'symlink', mode: 0o120777 }, false, 'a symbolic link'],
    ['a file', { kind: 'file', mode: 0o100600 }, false, 'not a directory'],
    ['root\'s, used by a user', { uid: 0 }, false, 'owned by uid 0, not by uid 1000'],
    ['another user\'s', { uid: OTHER, mode: 0o40700 }, false, 'owned by uid 1001, not by uid 1000'],
    ['writable by others', { mode: 0o40777 }, false, 'writable by others'],
    ['writable by others, sticky: still not for a log dir', { mode: 0o41777 }, false, 'writable by others'],
    ['writable by a shared group', { gid: 50, mode: 0o40770 }, false, 'writable by its group (staff)'],
    ['writable by the private group', { mode: 0o40770 }, false, undefined],
    ['a pid dir 1777: shared on purpose', { mode: 0o41777 }, true, undefined],
    ['a pid dir 1770: shared with its group', { gid: 50, mode: 0o41770 }, true, undefined],
    ['a pid dir 0770, even of the private group: the sticky bit is needed', { mode: 0o40770 }, true, 'writable by its group (1000) without the sticky bit'],
    ['a pid dir 0777', { mode: 0o40777 }, true, 'writable by others without the sticky bit'],
    ['a pid dir that is a link', { kind: 'symlink' }, true, 'a symbolic link'],
  ])('%s', (_label, facts, shared, problem) => {
    expect(usedDirProblem(dir(facts), { ...used, shared })).toBe(problem);
  });
});

describe('looseBits', () => {
  it('names the group by its number when it has no name', () => {
    expect(looseBits({ mode: 0o40770, gid: 77 }, { isPrivateGroup: () => false })).toBe('writable by its group (gid 77) without the sticky bit');
  });
});

describe('canSearch: may a user look up names in a directory', () => {
  it.each<[string, Partial<EntryFacts>, number, number[], boolean]>([
    ['root always', { uid: ME, mode: 0o40700 }, 0, [], true],
    ['its owner with u+x', { mode: 0o40700 }, ME, [], true],
    ['its owner without u+x, even with o+x', { mode: 0o40601 }, ME, [], false],
    ['a member of its group with g+x', { uid: OTHER, gid: 50, mode: 0o40710 }, ME, [50], true],
    ['a member of its group without g+x, even with o+x', { uid: OTHER, gid: 50, mode: 0o40701 }, ME, [50], false],
    ['anyone else with o+x', { uid: OTHER, gid: 50, mode: 0o40711 }, ME, [], true],
    ['anyone else without o+x: /root', { uid: 0, gid: 0, mode: 0o40700 }, ME, [], false],
  ])('%s', (_label, facts, uid, groups, expected) => {
    expect(canSearch(dir(facts), uid, groups)).toBe(expected);
  });
});

describe('runnableFileProblem: a file that runs as its owner', () => {
  it.each<[string, number, number, string | undefined]>([
    ['0755', 0o100755, PRIVATE_GID, undefined],
    ['0775 of the owner\'s private group', 0o100775, PRIVATE_GID, undefined],
    ['0775 of a shared group', 0o100775, 50, 'writable by its group (staff)'],
    ['0757', 0o100757, PRIVATE_GID, 'writable by others'],
  ])('%s', (_label, mode, gid, problem) => {
    expect(runnableFileProblem({ mode, gid }, trust)).toBe(problem);
  });
});

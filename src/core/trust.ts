// Whether a directory (or a link on the way to one) can be trusted, from its lstat facts (SPEC 12.2, 12.4). Pure.

export type EntryKind = 'directory' | 'symlink' | 'file' | 'other';

export interface EntryFacts {
  kind: EntryKind;
  uid: number;
  gid: number;
  mode: number;
}

export interface Trust {
  /** Who may own the directories above (and links): root and the user, or root and a service's owner. */
  owners: readonly number[];
  /** Is a group's write bit harmless: a group with no member but the user (or the owner)? Asked only when one is set. */
  isPrivateGroup: (gid: number) => boolean;
  /** How a group is named in a message: `staff`, or its number. */
  groupName?: (gid: number) => string;
}

const STICKY = 0o1000;
const GROUP_WRITE = 0o020;
const OTHER_WRITE = 0o002;

function ownerProblem(facts: EntryFacts, owners: readonly number[], what: string): string | undefined {
  return owners.includes(facts.uid) ? undefined : `${what} owned by uid ${facts.uid}`;
}

/**
 * Who besides its owner could replace entries of a directory with these bits. The sticky bit
 * keeps others from renaming or removing what is not theirs, so it makes a shared directory
 * (/tmp, /var/tmp) safe to hold our entries.
 */
export function looseBits(facts: Pick<EntryFacts, 'mode' | 'gid'>, groups: GroupView): string | undefined {
  if (facts.mode & STICKY) return undefined;
  if (facts.mode & OTHER_WRITE) return 'writable by others without the sticky bit';
  if (facts.mode & GROUP_WRITE && !groups.isPrivateGroup(facts.gid)) return `${groupWords(facts.gid, groups)} without the sticky bit`;
  return undefined;
}

type GroupView = Pick<Trust, 'isPrivateGroup' | 'groupName'>;

function groupWords(gid: number, groups: GroupView): string {
  return `writable by its group (${groups.groupName?.(gid) ?? `gid ${gid}`})`;
}

/**
 * A directory above the one reraise uses (or on the path to a file it runs): it must belong to
 * one of `owners` and let nobody else replace its entries. A link belongs to whoever owns it:
 * its target is checked in turn by the caller.
 */
export function aboveProblem(facts: EntryFacts, trust: Trust): string | undefined {
  if (facts.kind === 'symlink') return ownerProblem(facts, trust.owners, 'a link');
  if (facts.kind !== 'directory') return 'not a directory';
  return ownerProblem(facts, trust.owners, 'a directory') ?? looseBits(facts, trust);
}

export interface UsedDir extends GroupView {
  /** The user who writes in it. */
  uid: number;
  /** A pid dir (SPEC 2): shared on purpose when writable by its group or by everyone with the sticky bit. */
  shared?: boolean;
}

/** The directory reraise writes in itself: never a link, the writer's own, and closed to others. */
export function usedDirProblem(facts: EntryFacts, used: UsedDir): string | undefined {
  if (facts.kind === 'symlink') return 'a symbolic link';
  if (facts.kind !== 'directory') return 'not a directory';
  if (facts.uid !== used.uid) return `owned by uid ${facts.uid}, not by uid ${used.uid}`;
  // The pid dir keeps the rule of 1.0: its group's write bit needs the sticky bit, whatever the group.
  if (used.shared) return looseBits(facts, { isPrivateGroup: () => false, groupName: used.groupName });
  if (facts.mode & OTHER_WRITE) return 'writable by others';
  if (facts.mode & GROUP_WRITE && !used.isPrivateGroup(facts.gid)) return groupWords(facts.gid, used);
  return undefined;
}

/** May `uid`, in `groups`, look up names in a directory with these facts (its x bit for them)? */
export function canSearch(facts: Pick<EntryFacts, 'uid' | 'gid' | 'mode'>, uid: number, groups: readonly number[]): boolean {
  if (uid === 0) return true;
  if (facts.uid === uid) return (facts.mode & 0o100) !== 0;
  if (groups.includes(facts.gid)) return (facts.mode & 0o010) !== 0;
  return (facts.mode & 0o001) !== 0;
}

/**
 * A file that runs as its owner (SPEC 12.4): nobody but the owner may write it; a group's write
 * bit is harmless only for a group with no member but the owner.
 */
export function runnableFileProblem(facts: Pick<EntryFacts, 'mode' | 'gid'>, groups: GroupView): string | undefined {
  if (facts.mode & OTHER_WRITE) return 'writable by others';
  if (facts.mode & GROUP_WRITE && !groups.isPrivateGroup(facts.gid)) return groupWords(facts.gid, groups);
  return undefined;
}

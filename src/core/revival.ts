// When `revive` may try a service in ERROR again (SPEC 13.2): a gap that doubles with each failed revival. Pure.
import type { PidRecord } from './pidfile.js';
import { DEFAULT_CONFIG } from './config.js';

/** The gaps stop growing here: a broken service is tried at least hourly, never given up for good. */
const MAX_GAP_SEC = 3600;

/** Seconds after an ERROR before revival k + 1, k revivals having failed in a row. */
export function revivalGap(revivals: number, reviveSec: number): number {
  const cap = Math.max(MAX_GAP_SEC, reviveSec);
  // 2^k overflows nothing below the cap: k is bounded before it is used.
  return Math.min(cap, reviveSec * 2 ** Math.min(revivals, 32));
}

/** Epoch seconds at which an ERROR record's service may be revived. */
export function revivalDue(record: Pick<PidRecord, 'epoch' | 'keys'>): number {
  const { revivals = 0, reviveSec = DEFAULT_CONFIG.reviveSec } = record.keys;
  return record.epoch + Math.ceil(revivalGap(revivals, reviveSec));
}

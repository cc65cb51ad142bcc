import type { Database } from 'lmdb';
import { changeLogLength, type KeySpace, type StoreEnv } from './env';
import { encodeKey, type Key } from './keys';

/** Keys between two samples when sampled: a jump skips about this many entries natively (~15M keys/s). */
const spacing = 512;
/** Inserts widen the gaps between samples; past this a range is sampled again. */
const maxGap = 4 * spacing;

interface Samples {
  /** The change sequence the positions are true at. */
  seq: number;
  /** Encoded boundary keys in iteration order; keys[0] is the range's own start. */
  keys: Buffer[];
  /** pos[i]: how many keys of the range come before keys[i] in iteration order. */
  pos: number[];
}

export interface RangeSpec {
  space: KeySpace;
  db: Database<unknown, Key>;
  /** Where iteration starts and ends: for a reverse range, start is the high bound. */
  start: Buffer;
  end: Buffer;
  reverse: boolean;
}

/**
 * A sparse position index over a sorted key range (an images sort index, a label index, a metadata namespace): a
 * boundary key every ~512 positions, so that the page at any position (a virtual list scrolled to row 900,000) is one
 * seek plus a native skip of a few hundred keys, in either direction. lmdb-js's own `offset` skips linearly from the
 * start (about 100 ms at depth 900,000) and LMDB has no order-statistic tree.
 *
 * Samples are built lazily with native skips, only for ranges someone jumps deep into. When the store changes, the
 * keys each transaction added and removed (from the change log, also for other processes' writes) shift the
 * positions of the samples after them, so a write costs the next jump a few comparisons, not a new pass; a sample
 * whose own key was deleted stays a valid boundary. Bulk changes that log 'reset' are sampled again.
 */
export class SparsePositions {
  private readonly ranges = new Map<string, Samples>();

  constructor(private readonly env: StoreEnv) {}

  /** Where to start reading to land on `offset`: a key to start from (inclusive) and how many keys to skip. */
  locate(spec: RangeSpec, offset: number): { start: Buffer; skip: number } {
    if (offset < spacing) return { start: spec.start, skip: offset };
    const samples = this.samples(spec);
    let lo = 0;
    let hi = samples.pos.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (samples.pos[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { start: samples.keys[lo]!, skip: offset - samples.pos[lo]! };
  }

  private samples(spec: RangeSpec): Samples {
    const id = `${spec.space}:${spec.reverse ? 'r' : 'f'}:${spec.start.toString('hex')}:${spec.end.toString('hex')}`;
    const seq = this.env.changeSeq();
    const cached = this.ranges.get(id);
    if (cached && (cached.seq === seq || this.shift(cached, spec, seq))) return cached;
    const fresh = this.sample(spec, seq);
    if (this.ranges.size >= 64) this.ranges.delete(this.ranges.keys().next().value!);
    this.ranges.set(id, fresh);
    return fresh;
  }

  private sample(spec: RangeSpec, seq: number): Samples {
    const keys: Buffer[] = [spec.start];
    const pos: number[] = [0];
    for (;;) {
      let next: Buffer | undefined;
      // Only the sampled key is decoded (and re-encoded as an exact boundary); the ones between are skipped natively.
      for (const key of spec.db.getKeys({
        start: keys.at(-1)!,
        end: spec.end,
        reverse: spec.reverse,
        offset: spacing,
        limit: 1,
        snapshot: true,
      })) {
        next = encodeKey(key as Key);
      }
      if (!next) break;
      keys.push(next);
      pos.push(pos.at(-1)! + spacing);
    }
    return { seq, keys, pos };
  }

  /** Applies the logged key changes since the samples were true; false when the range must be sampled again. */
  private shift(samples: Samples, spec: RangeSpec, seq: number): boolean {
    if (seq - samples.seq >= changeLogLength) return false;
    const [low, high] = spec.reverse ? [spec.end, spec.start] : [spec.start, spec.end];
    for (const { value } of this.env.dbs.changes.getRange({ start: samples.seq + 1, end: seq + 1 })) {
      if (value.k === 'reset') return false;
      for (const [space, sign, key] of value.k) {
        if (space !== spec.space || Buffer.compare(key, low) < 0 || Buffer.compare(key, high) >= 0) continue;
        // A key moves every sample that comes after it in iteration order.
        for (let i = 1; i < samples.keys.length; i++) {
          const order = Buffer.compare(samples.keys[i]!, key);
          if (spec.reverse ? order < 0 : order > 0) samples.pos[i]! += sign;
        }
      }
    }
    for (let i = 1; i < samples.pos.length; i++)
      if (samples.pos[i]! - samples.pos[i - 1]! > maxGap) return false;
    samples.seq = seq;
    return true;
  }
}

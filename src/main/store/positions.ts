import type { Database } from 'lmdb';
import { changeLogLength, samplesKey, samplesSeqKey, type StoreEnv } from './env';
import { encodeKey, type Key } from './keys';
import { loggedKeysOf, type KeySpace } from './logged-keys';
import {
  keyTexts,
  lastKeyAtOrBelow,
  shiftSamples,
  spacing,
  unpackSamples,
  type KeyText,
  type RankSamples,
  type StoredSamples,
} from './samples';
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
 * boundary key every ~2,048 positions, so that the page at any position (a virtual list scrolled to row 900,000) is one
 * seek plus a native skip of at most ~2,000 keys, in either direction. lmdb-js's own `offset` skips linearly from the
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

  private readonly spaces = new Map<KeySpace, RankSamples>();
  /** How many ranges this process sampled itself (the fallback when no persisted samples apply): for tests. */
  rangesSampled = 0;

  /**
   * Where to start reading to land on `offset`: a key to start from and how many keys to skip; `exclusive` when the
   * start key itself is not to be read.
   */
  locate(spec: RangeSpec, offset: number): { start: Buffer; skip: number; exclusive?: boolean } {
    if (offset < spacing) return { start: spec.start, skip: offset };
    const ranked = this.rankSamples(spec.space);
    if (ranked) return this.locateByRank(ranked, spec, offset);
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

  /**
   * The key space's rank samples, current: the persisted ones a bulk write left (loaded when newer than what this
   * process holds), shifted by the keys logged since. Undefined when there are none or the log cannot bridge the gap.
   */
  private rankSamples(space: KeySpace): RankSamples | undefined {
    const seq = this.env.changeSeq();
    let samples = this.spaces.get(space);
    if (samples?.seq === seq) return samples;
    const storedSeq = this.env.dbs.meta.get(samplesSeqKey(space)) as number | undefined;
    if (storedSeq !== undefined && storedSeq <= seq && (!samples || storedSeq > samples.seq)) {
      const stored = this.env.dbs.meta.get(samplesKey(space)) as StoredSamples | undefined;
      samples = stored && stored.s === storedSeq ? unpackSamples(stored) : undefined;
    }
    if (!samples || seq - samples.seq >= changeLogLength) {
      this.spaces.delete(space);
      return undefined;
    }
    const changes: [1 | -1, KeyText][] = [];
    for (const { value } of this.env.dbs.changes.getRange({ start: samples.seq + 1, end: seq + 1 })) {
      if (value.k === 'reset') {
        if (value.z === undefined || value.z.includes(space)) {
          this.spaces.delete(space);
          return undefined;
        }
        continue;
      }
      for (const change of loggedKeysOf(value.k, space)) changes.push(change);
    }
    shiftSamples(samples, changes);
    samples.seq = seq;
    this.spaces.set(space, samples);
    return samples;
  }

  /** How many keys of the space sort before `bound`: a sample's rank plus a native count of the keys in between. */
  private rankOf(samples: RankSamples, db: Database<unknown, Key>, bound: Buffer): number {
    const i = lastKeyAtOrBelow(samples, bound);
    if (i < 0) return db.getKeysCount({ end: bound, snapshot: true });
    return samples.ranks[i]! + db.getKeysCount({ start: samples.keys.at(i)!, end: bound, snapshot: true });
  }

  private locateByRank(
    samples: RankSamples,
    spec: RangeSpec,
    offset: number,
  ): { start: Buffer; skip: number; exclusive?: boolean } {
    const { ranks, keys } = samples;
    if (!spec.reverse) {
      // Forward from key K (inclusive): the first key read has rank ranks[K], whether or not K itself still exists.
      const target = this.rankOf(samples, spec.db, spec.start) + offset;
      let lo = -1;
      let hi = ranks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (ranks[mid]! <= target) lo = mid;
        else hi = mid - 1;
      }
      if (lo < 0 || Buffer.compare(keys.at(lo)!, spec.start) < 0) return { start: spec.start, skip: offset };
      return { start: keys.at(lo)!, skip: target - ranks[lo]! };
    }
    // Backward from K, exclusive: the first key read is the last one before K, rank ranks[K] - 1.
    const target = this.rankOf(samples, spec.db, spec.start) - 1 - offset;
    if (target < 0) return { start: spec.start, skip: offset };
    let lo = 0;
    let hi = ranks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ranks[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    if (lo >= ranks.length || Buffer.compare(keys.at(lo)!, spec.start) >= 0)
      return { start: spec.start, skip: offset };
    return { start: keys.at(lo)!, skip: ranks[lo]! - 1 - target, exclusive: true };
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
    this.rangesSampled++;
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
    const low = (spec.reverse ? spec.end : spec.start).toString('latin1');
    const high = (spec.reverse ? spec.start : spec.end).toString('latin1');
    let texts: KeyText[] | undefined;
    for (const { value } of this.env.dbs.changes.getRange({ start: samples.seq + 1, end: seq + 1 })) {
      if (value.k === 'reset') return false;
      for (const [sign, key] of loggedKeysOf(value.k, spec.space)) {
        if (key < low || key >= high) continue;
        texts ??= keyTexts(samples.keys);
        // A key moves every sample that comes after it in iteration order.
        for (let i = 1; i < texts.length; i++) {
          if (spec.reverse ? texts[i]! < key : texts[i]! > key) samples.pos[i]! += sign;
        }
      }
    }
    for (let i = 1; i < samples.pos.length; i++)
      if (samples.pos[i]! - samples.pos[i - 1]! > maxGap) return false;
    samples.seq = seq;
    return true;
  }
}

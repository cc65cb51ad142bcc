import type { Database } from 'lmdb';
import { encodeKey, type Key } from './keys';

/** Keys between two samples: a jump skips at most this many entries natively (lmdb-js skips ~15M keys/s). */
const spacing = 512;

interface Samples {
  seq: number;
  /** samples[j] is the encoded key at position j * spacing in the range's iteration order. */
  keys: Buffer[];
}

export interface RangeSpec {
  db: Database<unknown, Key>;
  start: Buffer;
  end: Buffer;
  reverse: boolean;
}

/**
 * A sparse position index over the LMDB sort indexes: every 512th key of a range, so that the page at any position
 * (a virtual list scrolled to row 900,000) is one seek plus a native skip of fewer than 512 keys, in any order.
 * lmdb-js's own `offset` skips linearly from the start (about 100 ms at depth 900,000), and LMDB has no
 * order-statistic tree. The samples are built lazily with native skips (no decoding of the keys in between) and
 * dropped when the store's change counter moves; a range is only sampled when someone jumps deep into it.
 */
export class SparsePositions {
  private readonly ranges = new Map<string, Samples>();

  /** Where to start reading to land on `offset`: a key to start from (inclusive) and how many keys to skip. */
  locate(spec: RangeSpec, seq: number, offset: number): { start: Buffer; skip: number } {
    if (offset < spacing) return { start: spec.start, skip: offset };
    const samples = this.samples(spec, seq);
    const j = Math.min(Math.floor(offset / spacing), samples.keys.length - 1);
    if (j <= 0) return { start: spec.start, skip: offset };
    return { start: samples.keys[j]!, skip: offset - j * spacing };
  }

  private samples(spec: RangeSpec, seq: number): Samples {
    const id = `${spec.reverse ? 'r' : 'f'}:${spec.start.toString('hex')}:${spec.end.toString('hex')}`;
    const cached = this.ranges.get(id);
    if (cached && cached.seq === seq) return cached;
    const keys: Buffer[] = [spec.start];
    let from: Buffer = spec.start;
    for (;;) {
      let next: Buffer | undefined;
      // Only the sampled key is decoded (and re-encoded as an exact range boundary); the ones between are skipped natively.
      for (const key of spec.db.getKeys({
        start: from,
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
      from = next;
    }
    const samples = { seq, keys };
    if (this.ranges.size >= 32) this.ranges.delete(this.ranges.keys().next().value!);
    this.ranges.set(id, samples);
    return samples;
  }
}

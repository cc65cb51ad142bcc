import type { Database } from 'lmdb';
import { encodeKey, type Key } from './keys';

/**
 * Keys between two samples when sampled: a jump skips at most this many entries natively (~15M keys/s: 0.14 ms). Not
 * fewer: a bulk change persists a sample set of every key space it touched and every process loads it, ~5,000 keys
 * for the ten million index keys of a million images (at 512 it was 20,000, 1.2 MB to read and decode, which put the
 * first deep page after a 10,000-image delete at 20-65 ms).
 */
export const spacing = 2048;

/**
 * Rank samples over a whole key space (a database): every ~2,048th key with its rank, the number of keys in the
 * database that sort before it. A rank stays well defined when its key is deleted, and a logged insert or removal
 * shifts the ranks of exactly the samples above it; so one set of samples answers "the key at position N" for every
 * range of the space (a sort order, a label, a namespace), after a short native count of where the range starts.
 */
export interface RankSamples {
  /** The change sequence the ranks are true at. */
  seq: number;
  /** Encoded keys in ascending order. */
  keys: SampleKeys;
  /** ranks[i]: how many keys of the database sort before keys.at(i). Non-decreasing. */
  ranks: number[];
}

/** Sample keys by index: an array of them, or a loaded set (PackedKeys) that makes a key a Buffer only when asked. */
export interface SampleKeys {
  readonly length: number;
  at(i: number): Buffer | undefined;
}

/** Every key of a set, in order, as Buffers. */
const allKeys = (keys: SampleKeys): Buffer[] => Array.from({ length: keys.length }, (_, i) => keys.at(i)!);

/**
 * Keys as stored: one buffer of length-prefixed keys. A jump reads ~15 of a set's ~5,000 keys (two binary searches),
 * so a key becomes a Buffer only when read: a Buffer per key at load took 3-4 ms of the first deep page after a
 * 10,000-image delete (7.5 ms in all, at 1M images), reading the offsets alone ~0.3 ms.
 */
export class PackedKeys implements SampleKeys {
  private readonly read: Buffer[] = [];

  /** offsets[i]: where key i's length prefix starts; offsets[length] is the end of the bytes. */
  private constructor(
    private readonly bytes: Buffer,
    private readonly offsets: Int32Array,
  ) {}

  /** Undefined when a length prefix runs past the end (a damaged value: the caller samples afresh). */
  static of(bytes: Buffer): PackedKeys | undefined {
    let n = 0;
    let at = 0;
    while (at + 2 <= bytes.length) {
      at += 2 + ((bytes[at]! << 8) | bytes[at + 1]!);
      n++;
    }
    if (at !== bytes.length) return undefined;
    const offsets = new Int32Array(n + 1);
    at = 0;
    for (let i = 0; i < n; i++) {
      offsets[i] = at;
      at += 2 + ((bytes[at]! << 8) | bytes[at + 1]!);
    }
    offsets[n] = at;
    return new PackedKeys(bytes, offsets);
  }

  get length(): number {
    return this.offsets.length - 1;
  }

  at(i: number): Buffer | undefined {
    if (i < 0 || i >= this.length) return undefined;
    return (this.read[i] ??= this.bytes.subarray(this.offsets[i]! + 2, this.offsets[i + 1]!));
  }

  /** Every key's text: one latin1 conversion of the stored bytes, then a view per key. */
  texts(): KeyText[] {
    const all = this.bytes.toString('latin1');
    const texts = new Array<KeyText>(this.length);
    for (let i = 0; i < texts.length; i++) texts[i] = all.slice(this.offsets[i]! + 2, this.offsets[i + 1]!);
    return texts;
  }
}

/** Samples a database with native skips: ~2,000 seeks per million keys. */
export function sampleDatabase(db: Database<unknown, Key>, seq: number): RankSamples {
  const keys: Buffer[] = [];
  const ranks: number[] = [];
  for (const key of db.getKeys({ limit: 1 })) keys.push(encodeKey(key as Key));
  if (keys.length === 0) return { seq, keys, ranks };
  ranks.push(0);
  for (;;) {
    let next: Buffer | undefined;
    for (const key of db.getKeys({ start: keys.at(-1)!, offset: spacing, limit: 1 }))
      next = encodeKey(key as Key);
    if (!next) break;
    keys.push(next);
    ranks.push(ranks.at(-1)! + spacing);
  }
  return { seq, keys, ranks };
}

/**
 * Persisted form: one buffer of length-prefixed keys. A bulk write persists samples it has just taken, whose ranks are
 * i * g (g: the spacing they were taken at); older builds stored the ranks themselves (r).
 */
export interface StoredSamples {
  s: number;
  k: Buffer;
  g?: number;
  r?: number[];
}

/** Above this the samples are not persisted (readers sample the ranges they need instead). */
const maxStoredBytes = 8 * 2 ** 20;

export function packSamples(samples: RankSamples): StoredSamples | undefined {
  const keys = allKeys(samples.keys);
  const size = keys.reduce((n, k) => n + 2 + k.length, 0);
  if (size > maxStoredBytes) return undefined;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const key of keys) {
    out.writeUInt16BE(key.length, at);
    key.copy(out, at + 2);
    at += 2 + key.length;
  }
  const evenlySpaced = samples.ranks.every((rank, i) => rank === i * spacing);
  return evenlySpaced ? { s: samples.seq, k: out, g: spacing } : { s: samples.seq, k: out, r: samples.ranks };
}

export function unpackSamples(stored: StoredSamples): RankSamples | undefined {
  const keys = PackedKeys.of(Buffer.from(stored.k.buffer, stored.k.byteOffset, stored.k.byteLength));
  if (!keys) return undefined;
  const ranks =
    stored.r !== undefined
      ? [...stored.r]
      : Number.isSafeInteger(stored.g)
        ? Array.from({ length: keys.length }, (_, i) => i * stored.g!)
        : undefined;
  if (!ranks || keys.length !== ranks.length) return undefined;
  return { seq: stored.s, keys, ranks };
}

/**
 * Encoded keys as latin1 strings, one character per byte: JavaScript compares those in byte order, as LMDB and
 * Buffer.compare do, without a native call per comparison (a reader shifting its samples past a 10,000-image delete
 * makes ~100,000 comparisons; with Buffer.compare they took ~45 ms of a first query). The change log hands its keys
 * over in this form (logged-keys.ts).
 */
export type KeyText = string;

/** Many keys' text at once: one native conversion of their concatenation, then a view of it per key. */
export function keyTexts(keys: SampleKeys): KeyText[] {
  if (keys instanceof PackedKeys) return keys.texts();
  const list = allKeys(keys);
  const all = Buffer.concat(list).toString('latin1');
  const texts = new Array<KeyText>(list.length);
  let at = 0;
  for (let i = 0; i < list.length; i++) {
    texts[i] = all.slice(at, at + list[i]!.length);
    at += list[i]!.length;
  }
  return texts;
}

/** The samples' keys as text, built once per sample set: its keys never change, only their ranks. */
const keyText = new WeakMap<RankSamples, KeyText[]>();
/** From this many changes on, shiftSamples builds the samples' text (when it has not yet). */
const textFrom = 256;

function textOf(samples: RankSamples): KeyText[] {
  let text = keyText.get(samples);
  if (!text || text.length !== samples.keys.length) {
    text = keyTexts(samples.keys);
    keyText.set(samples, text);
  }
  return text;
}

/** Index of the last sample whose key is <= key, or -1. */
export function lastKeyAtOrBelow(samples: RankSamples, key: Buffer): number {
  let lo = 0;
  let hi = samples.keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(samples.keys.at(mid)!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function lastTextAtOrBelow(keys: KeyText[], key: KeyText): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Applies logged changes (sign +1 for an added key, -1 for a removed one): each moves the ranks of the samples whose
 * key sorts after it. O(changes * log samples + samples).
 */
export function shiftSamples(samples: RankSamples, changes: [sign: 1 | -1, key: KeyText][]): void {
  if (changes.length === 0 || samples.keys.length === 0) return;
  const delta = new Array<number>(samples.keys.length + 1).fill(0);
  // A few changes: a handful of Buffer.compare calls each, without building every sample's text (~2 ms at 20,000).
  if (changes.length <= textFrom && !keyText.has(samples)) {
    for (const [sign, key] of changes)
      delta[lastKeyAtOrBelow(samples, Buffer.from(key, 'latin1')) + 1]! += sign;
  } else {
    const text = textOf(samples);
    for (const [sign, key] of changes) delta[lastTextAtOrBelow(text, key) + 1]! += sign;
  }
  let running = 0;
  for (let i = 0; i < samples.ranks.length; i++) {
    running += delta[i]!;
    samples.ranks[i]! += running;
  }
}

import { writeKey } from 'ordered-binary';
import type { Key } from './keys';
import type { KeyText } from './samples';

/** The sorted key spaces a listing pages through: the images database, the index database, the metadata database. */
export type KeySpace = 'images' | 'index' | 'metadata';

/** A space's code in a packed log entry: its index here (persisted: append new spaces, never reorder). */
const spaceCodes: readonly KeySpace[] = ['images', 'index', 'metadata'];

/** How older builds logged a key: one array per key (kept readable, a store's log may still hold such entries). */
export type LoggedKeyArray = [space: KeySpace, sign: 1 | -1, key: Buffer];

/** One entry's logged keys as stored in the change log: packed (see LoggedKeys), or an older build's arrays. */
export type StoredLoggedKeys = Uint8Array | LoggedKeyArray[];

/** Largest key ordered-binary writes for lmdb-js (its key size limit), so an entry always fits a write. */
const maxKeyBytes = 2048;

/**
 * The keys one transaction added (+1) and removed (-1), for readers to shift their position samples: packed into one
 * buffer as they are logged, each as [space code, sign, length (2 bytes), ordered-binary key]. As arrays of small
 * buffers, a reader decoding a 500-image delete (~4,000 keys) spent ~40 ms allocating one buffer per key; packed, it
 * decodes one buffer and slices views of it.
 */
export class LoggedKeys {
  /** Allocated by the first key: most transactions log a few keys or none. */
  private bytes = Buffer.alloc(0);
  private at = 0;
  count = 0;

  add(space: KeySpace, sign: 1 | -1, key: Key): void {
    if (this.bytes.length - this.at < maxKeyBytes + 4) {
      const grown = Buffer.allocUnsafe(Math.max(4 * (maxKeyBytes + 4), this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.at);
      this.bytes = grown;
    }
    const start = this.at + 4;
    const end = writeKey(key, this.bytes, start);
    this.bytes[this.at] = spaceCodes.indexOf(space);
    this.bytes[this.at + 1] = sign === 1 ? 1 : 0;
    this.bytes.writeUInt16BE(end - start, this.at + 2);
    this.at = end;
    this.count++;
  }

  /** A copy of what was logged (the working buffer is reused for growth). */
  pack(): Buffer {
    return Buffer.from(this.bytes.subarray(0, this.at));
  }
}

/**
 * The keys of `space` in a stored entry, in logged order: sign and the encoded key as text (samples.ts KeyText), what
 * readers compare. The whole entry is converted in one native call, each key is a slice of that text.
 */
export function loggedKeysOf(stored: StoredLoggedKeys, space: KeySpace): [sign: 1 | -1, key: KeyText][] {
  const out: [1 | -1, KeyText][] = [];
  if (Array.isArray(stored)) {
    for (const [s, sign, key] of stored) if (s === space) out.push([sign, key.toString('latin1')]);
    return out;
  }
  const code = spaceCodes.indexOf(space);
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const text = bytes.toString('latin1');
  for (let at = 0; at < bytes.length;) {
    const length = bytes.readUInt16BE(at + 2);
    if (bytes[at] === code) out.push([bytes[at + 1] === 1 ? 1 : -1, text.slice(at + 4, at + 4 + length)]);
    at += 4 + length;
  }
  return out;
}

import type { DatabaseOptions } from 'lmdb';
import { Packr } from 'msgpackr';
import type { StoredMetadata } from './env';

/**
 * How a metadata value lies on disk: one MessagePack array, [1, version, updated, bytes]. lmdb-js's default encoding
 * wrote a msgpackr record with its key names defined inline in every value (see image-codec.ts), which a listing of
 * 100 keys decoded 100 times. Values written that way still decode as they are; the first byte tells them apart.
 */
const layoutVersion = 1;

// copyBuffers: lmdb-js hands decoders its shared read buffer, which the next read overwrites; the value's bytes must
// be a copy of their own.
const packr = new Packr({ useRecords: false, copyBuffers: true });

export function encodeMetadata(s: StoredMetadata): Buffer {
  return packr.pack([layoutVersion, s.v, s.u, s.b]);
}

/** `options` is what lmdb-js passes to its decoders (an end offset or read options); msgpackr takes the same. */
export function decodeMetadata(bytes: Uint8Array, options?: unknown): StoredMetadata {
  const v = packr.unpack(bytes, options as number | undefined) as unknown[] | StoredMetadata;
  if (!Array.isArray(v)) return v;
  if (v[0] !== layoutVersion) throw new Error(`metadata value in an unknown layout (${String(v[0])})`);
  return { v: v[1] as number, u: v[2] as number, b: v[3] as Uint8Array };
}

/** The `metadata` database's options (see image-codec.ts imagesDatabase). */
export const metadataDatabase = {
  encoder: { encode: encodeMetadata, decode: decodeMetadata },
} as DatabaseOptions;

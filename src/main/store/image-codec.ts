import type { DatabaseOptions } from 'lmdb';
import { Packr } from 'msgpackr';
import type { Descriptor, Labels } from '../../shared/types';
import type { StoredImage } from './env';

/**
 * How an image record lies on disk: one MessagePack array in one of two layouts,
 *
 *   [1, created, updated, size, mediaType, digest, targetSize, rest, key1, value1, key2, value2, ...]
 *   [2, created, updated, size, target, key1, value1, ...]
 *
 * The first when the target's fields start with mediaType, digest and size in that order (what the API's schemas
 * produce; `rest` is 0 or a map of its other fields in their order), the second for any other target, kept as a plain
 * map: either way a record reads back exactly as it was written, down to the JSON the API prints (and `check`
 * compares records with the name index as JSON). The labels follow as flat pairs in their order.
 *
 * Why not lmdb-js's default encoding: it writes each object as a msgpackr record whose structure (its key names) is
 * defined inline in every value, since these databases keep no shared structures, so a record decodes through a fresh
 * structure each time, ~2 us here, a third of a label-filtered page (100 record reads). The first layout decodes in
 * ~0.5 us and is ~40 bytes shorter. Values written before (maps or records) still decode as they are; the first
 * element tells the forms apart.
 */
const positional = 1;
const targetMap = 2;

// Plain maps (a target's other fields): no inline structure definitions there either. It also reads older values.
const packr = new Packr({ useRecords: false });

export function encodeImage(s: StoredImage): Buffer {
  const a: unknown[] = [positional, s.c, s.u, s.z];
  const fields = Object.keys(s.t);
  if (fields[0] === 'mediaType' && fields[1] === 'digest' && fields[2] === 'size') {
    const { mediaType, digest, size, ...rest } = s.t;
    a.push(mediaType, digest, size, fields.length > 3 ? rest : 0);
  } else {
    a[0] = targetMap;
    a.push(s.t);
  }
  for (const key in s.l) if (Object.hasOwn(s.l, key)) a.push(key, s.l[key]);
  return packr.pack(a);
}

/** `options` is what lmdb-js passes to its decoders (an end offset or read options); msgpackr takes the same. */
export function decodeImage(bytes: Uint8Array, options?: unknown): StoredImage {
  const v = packr.unpack(bytes, options as number | undefined) as unknown[] | StoredImage;
  if (!Array.isArray(v)) return v;
  let t: Descriptor;
  let labelsAt: number;
  if (v[0] === positional) {
    const rest = v[7] as Omit<Descriptor, 'mediaType' | 'digest' | 'size'> | 0;
    t = {
      mediaType: v[4] as string,
      digest: v[5] as string,
      size: v[6] as number,
      ...(rest === 0 ? {} : rest),
    };
    labelsAt = 8;
  } else if (v[0] === targetMap) {
    t = v[4] as Descriptor;
    labelsAt = 5;
  } else throw new Error(`image record in an unknown layout (${String(v[0])})`);
  const l: Labels = {};
  for (let i = labelsAt; i < v.length; i += 2) setOwn(l, v[i] as string, v[i + 1] as string);
  return { t, l, c: v[1] as number, u: v[2] as number, z: v[3] as number };
}

/**
 * The `images` database's options. lmdb-js documents `encoder` (encode and decode; a decoder that copies what it reads,
 * as this one does, gets lmdb-js's fast shared-buffer reads) but its typings leave it out.
 */
export const imagesDatabase = { encoder: { encode: encodeImage, decode: decodeImage } } as DatabaseOptions;

/** A plain assignment of '__proto__' would set the prototype instead of a label. */
function setOwn(o: Labels, key: string, value: string): void {
  if (key === '__proto__')
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

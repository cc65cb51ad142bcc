import { Packr } from 'msgpackr';
import type { Descriptor, Labels } from '../../shared/types';
import type { StoredImage } from './env';

/**
 * How an image record lies on disk: one MessagePack array,
 *
 *   [1, created, updated, size, mediaType, digest, targetSize, rest, key1, value1, key2, value2, ...]
 *
 * where `rest` is 0 or a map of the target's other fields (annotations, platform, urls, artifactType) and the labels
 * follow as flat pairs in their own order. lmdb-js's default encoding writes each object as a msgpackr record whose
 * structure (its key names) is defined inline in every value, since these databases keep no shared structures: a
 * record then decodes through a fresh structure each time, ~2 us here, a third of a label-filtered page (100 record
 * reads). This array decodes in ~0.5 us and is ~40 bytes shorter. Values written before (maps or records) still
 * decode as they are; the first element tells the forms apart.
 */
const layoutVersion = 1;
const labelsAt = 8;

// Plain maps inside `rest`: no inline structure definitions there either. It also reads the older record values.
const packr = new Packr({ useRecords: false });

type StoredArray = [
  typeof layoutVersion,
  created: number,
  updated: number,
  totalSize: number,
  mediaType: string,
  digest: string,
  size: number,
  rest: Omit<Descriptor, 'mediaType' | 'digest' | 'size'> | 0,
  ...labels: string[],
];

export function encodeImage(s: StoredImage): Buffer {
  const { mediaType, digest, size, ...rest } = s.t;
  const a: unknown[] = [layoutVersion, s.c, s.u, s.z, mediaType, digest, size, hasOwnKeys(rest) ? rest : 0];
  for (const key in s.l) if (Object.hasOwn(s.l, key)) a.push(key, s.l[key]);
  return packr.pack(a);
}

/** `options` is what lmdb-js passes to its decoders (an end offset or read options); msgpackr takes the same. */
export function decodeImage(bytes: Uint8Array, options?: unknown): StoredImage {
  const v = packr.unpack(bytes, options as number | undefined) as StoredArray | StoredImage;
  if (!Array.isArray(v)) return v;
  if (v[0] !== layoutVersion) throw new Error(`image record in an unknown layout (${String(v[0])})`);
  const rest = v[7];
  const t: Descriptor = { mediaType: v[4], digest: v[5], size: v[6], ...(rest === 0 ? {} : rest) };
  const l: Labels = {};
  for (let i = labelsAt; i < v.length; i += 2) setOwn(l, v[i] as string, v[i + 1] as string);
  return { t, l, c: v[1], u: v[2], z: v[3] };
}

/** lmdb-js's value encoder interface: decoders that copy what they read get its fast shared-buffer reads. */
export const imageEncoder = { encode: encodeImage, decode: decodeImage };

function hasOwnKeys(o: object): boolean {
  for (const key in o) if (Object.hasOwn(o, key)) return true;
  return false;
}

/** A plain assignment of '__proto__' would set the prototype instead of a label. */
function setOwn(o: Labels, key: string, value: string): void {
  if (key === '__proto__')
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

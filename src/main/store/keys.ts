import { fromBufferKey, toBufferKey } from 'ordered-binary';

/** An LMDB key as lmdb-js encodes it with ordered-binary: a primitive or an array of primitives. */
export type Key = string | number | boolean | Uint8Array | Key[];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const encodeKey = (key: Key): Buffer => Buffer.from(toBufferKey(key as any));
export const decodeKey = (bytes: Buffer): Key => fromBufferKey(bytes) as Key;

/**
 * Strings ordered-binary writes as their plain UTF-8: well-formed, no code unit below 5 (those are escaped), not
 * starting below 28 (those get an escape byte first). Valid namespaces, image names and metadata keys are
 * (printable); anything else takes ordered-binary's own encoder.
 */
const plainKeyPart =
  // eslint-disable-next-line no-control-regex -- the control characters are what ordered-binary escapes
  /^[^\u0000-\u001b\uD800-\uDFFF](?:[^\u0000-\u0004\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

/**
 * A [namespace, name] key of the `images` or `metadata` database, encoded exactly as lmdb-js would encode the array,
 * for the reads that come in volume (a record per listed image, metadata gets). lmdb-js writes an array key through
 * ordered-binary's `writeKey`, one JS store per byte; in a process that has written a lot (the app after an import,
 * the benchmark after its fill), V8's code for those stores was measured ~2x slower (the 100 record reads of a label
 * page 150 -> 284 us, the page 0.23 -> 0.39 ms), and it stays so. An encoded key is copied in one call, whatever the
 * process did before: ~0.2 us to encode here.
 */
export function namespacedKey(namespace: string, name: string): Buffer {
  if (plainKeyPart.test(namespace) && plainKeyPart.test(name))
    return Buffer.from(`${namespace}\u0000${name}`, 'utf8');
  return encodeKey([namespace, name]);
}

const zero = Buffer.from([0]);
const one = Buffer.from([1]);
const top = Buffer.from([0xff]);

/**
 * The range of every key that extends an array prefix: ordered-binary separates array elements with 0x00, so the
 * children of `[a, b]` are exactly the keys between `enc([a, b]) 00` and `enc([a, b]) 01`.
 */
export function childrenOf(prefix: Key[]): { start: Buffer; end: Buffer } {
  const encoded = encodeKey(prefix);
  return { start: Buffer.concat([encoded, zero]), end: Buffer.concat([encoded, one]) };
}

/**
 * The range of keys `[...prefix, s]` whose last element starts with the string `start`. Strings are stored as raw
 * UTF-8, whose bytes never reach 0xff, so appending 0xff bounds every continuation.
 */
export function startingWith(prefix: Key[], start: string): { start: Buffer; end: Buffer } {
  if (start === '') return childrenOf(prefix);
  const encoded = encodeKey([...prefix, start]);
  return { start: encoded, end: Buffer.concat([encoded, top]) };
}

/** Cursors are opaque to callers: base64url of a small JSON document this store wrote. */
export interface CursorState {
  /** Position of the next item. */
  o: number;
  /** Hex of the encoded key of the last item returned, for continuing an index range. */
  k?: string;
  /** Which path produced it: the LMDB index range (`i`) or the in-memory catalog (`c`). */
  p: 'i' | 'c';
  /** Catalog cursors: the change sequence they were issued at and the last item's [name, namespace, sort value]. */
  s?: number;
  r?: [string, string, number];
}

export const encodeCursor = (state: CursorState): string =>
  Buffer.from(JSON.stringify(state)).toString('base64url');

/** The cursor after a page read from an index range: the next position and the last key, to continue with one seek. */
export const indexCursor = (next: number, lastKey: Key | undefined, more: boolean): string | undefined =>
  more && lastKey !== undefined
    ? encodeCursor({ o: next, k: encodeKey(lastKey).toString('hex'), p: 'i' })
    : undefined;

export function decodeCursor(cursor: string): CursorState | undefined {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    if (!Number.isSafeInteger(state.o) || state.o < 0) return undefined;
    if (state.p !== 'i' && state.p !== 'c') return undefined;
    if (state.k !== undefined && (typeof state.k !== 'string' || !/^[0-9a-f]*$/.test(state.k)))
      return undefined;
    if (state.s !== undefined && !Number.isSafeInteger(state.s)) return undefined;
    if (state.r !== undefined) {
      const [name, ns, value] = state.r;
      if (
        !Array.isArray(state.r) ||
        typeof name !== 'string' ||
        typeof ns !== 'string' ||
        typeof value !== 'number'
      )
        return undefined;
    }
    return state;
  } catch {
    return undefined;
  }
}

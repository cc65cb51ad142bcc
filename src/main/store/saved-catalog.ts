import type { Database } from 'lmdb';
import { crc32 } from 'node:zlib';
import { packColumns, unpackColumns, type Columns } from './catalog-columns';
import type { StoreEnv } from './env';

/**
 * The catalog as saved in the `derived` database, so that a new process loads its columns instead of scanning the
 * name index (at a million images ~0.5 s against ~4 s, README). The packed columns (catalog-columns.ts) go
 * in chunks `catalog:N` under a header `catalog` (JSON): the image sequence the rows are true at (a loader catches up
 * from the change log), the chunk count, the byte length and a CRC-32 of the whole buffer, so that a damaged save is
 * ignored, never read as rows. Any process may replace it, and a store without it works the same.
 */
export interface SavedCatalogHeader {
  s: number;
  c: number;
  b: number;
  h: number;
}

const headerKey = 'catalog';
const chunkKey = (i: number) => `catalog:${i}`;
/** Chunks well below lmdb-js's value limits and the 16 MiB cage of Electron's memory. */
const chunkBytes = 8 * 2 ** 20;
const maxChunks = 256;

/** The saved columns and the image sequence they are true at, or undefined when none are saved or they do not check. */
export function loadCatalog(env: StoreEnv): { seq: number; columns: Columns } | undefined {
  const derived = env.dbs.derived;
  const header = derived && readHeader(derived);
  if (!derived || !header) return undefined;
  // Its own allocation, so the columns' typed arrays can view it in place (offset 0 is aligned for them). Each chunk
  // is read with getBinaryFast, into one buffer lmdb-js reuses until the next read, and copied out at once: the bytes
  // are copied once instead of twice (get's buffer per chunk, then their concatenation). In a new process at a
  // million images that is 21,000 page faults instead of 41,000, ~0.2 s.
  const bytes = Buffer.allocUnsafeSlow(header.b);
  let at = 0;
  for (let i = 0; i < header.c; i++) {
    const chunk = derived.getBinaryFast(chunkKey(i));
    if (!chunk || at + chunk.length > bytes.length) return undefined;
    // A view of exactly the value: the Buffer lmdb-js returns may span its whole reused buffer.
    bytes.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), at);
    at += chunk.length;
  }
  if (at !== header.b || crc32(bytes) !== header.h) return undefined;
  const columns = unpackColumns(bytes);
  return columns && { seq: header.s, columns };
}

function readHeader(derived: Database<Buffer, string>): SavedCatalogHeader | undefined {
  const bytes = derived.get(headerKey);
  if (!bytes) return undefined;
  try {
    const v = JSON.parse(bytes.toString('utf8')) as Partial<SavedCatalogHeader> | null;
    const valid =
      typeof v === 'object' &&
      v !== null &&
      [v.s, v.c, v.b, v.h].every((x) => Number.isSafeInteger(x) && (x as number) >= 0) &&
      // The byte length fits the chunks, and both stay far below what a Buffer holds (2 GiB: ~25M images).
      v.c! <= maxChunks &&
      v.b! <= v.c! * chunkBytes;
    return valid ? (v as SavedCatalogHeader) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Saves columns true at image sequence `seq`, replacing an earlier save and its chunks in one transaction of its own
 * (StoreEnv.writeDerived: the change counter stays). False when it was not written.
 */
export function saveCatalog(env: StoreEnv, seq: number, columns: Columns): boolean {
  const derived = env.dbs.derived;
  if (!derived) return false;
  const bytes = packColumns(columns);
  if (bytes.length > maxChunks * chunkBytes) return false;
  const header: SavedCatalogHeader = {
    s: seq,
    c: Math.ceil(bytes.length / chunkBytes),
    b: bytes.length,
    h: crc32(bytes),
  };
  return env.writeDerived(() => {
    // Every chunk of the earlier save goes (a longer one's last chunks would linger unread).
    for (const key of [...derived.getKeys({ start: 'catalog:', end: 'catalog;' })]) derived.remove(key);
    for (let i = 0; i < header.c; i++)
      derived.put(chunkKey(i), bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes));
    derived.put(headerKey, Buffer.from(JSON.stringify(header)));
  });
}

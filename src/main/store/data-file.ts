import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { failedPrecondition } from '../../shared/errors';
import { sleep } from './open-environment';

/** LMDB's meta page magic, as the first page of a data file holds it (little-endian, within the page's first bytes). */
const lmdbMagic = 0xbeefc0de;

/**
 * Refuses a data file whose two meta pages (LMDB's header) are damaged, or that is shorter than the pages they say are
 * in use, before LMDB opens it. LMDB trusts both: it reads pages through its memory map without checking the file's
 * length, and a page past the end killed the process with SIGBUS (`imgmeta meta ls` on a store cut to half its length;
 * `check --deep` had said ok); lmdb-js died with SIGSEGV opening a data file of 4 or 16 KiB of a 16 KiB-page store, one
 * of random bytes, and one whose meta page had a single byte changed in its page flags, format version, page size or
 * last page (one byte at a time over the first 200 bytes of each meta page; nothing else crashed). An empty file is a
 * new store, which LMDB initializes.
 * Each meta page holds the magic, the format version 4 bytes after it and the page size 24 after it (the free
 * database's `md_pad`), and the page flags 6 bytes before it; both pages carry the same values in a whole file, so they
 * are compared with each other rather than with constants of this lmdb-js's layout.
 */
export function checkDataFileHead(path: string): void {
  const file = join(path, 'data.mdb');
  if (!existsSync(file) || statSync(file).size === 0) return;
  // Another process may be committing meanwhile: its meta page write can be read half done, so a damage is only
  // believed when it is still there after a few tries (a real one always is).
  for (let attempt = 1; ; attempt++) {
    const damage = damageIn(file);
    if (damage === undefined) return;
    if (damage.notLmdb)
      throw failedPrecondition(
        `${path} is not a store: its data.mdb is not an LMDB data file (no LMDB header at its start)`,
      );
    if (attempt === 3)
      throw failedPrecondition(
        `the store's data file ${file} is damaged: ${damage.why}; restore it from a backup`,
      );
    sleep(20);
  }
}

/** What is wrong with the data file's head, or undefined. */
function damageIn(file: string): { why: string; notLmdb?: true } | undefined {
  // Both meta pages before the length: a file never shrinks and a commit writes its pages before its meta page, so a
  // length read after the meta pages always covers them.
  const page0 = readAt(file, 0, 256);
  let magicAt = -1;
  for (let at = 0; at + 28 <= page0.length && magicAt < 0; at += 4)
    if (page0.readUInt32LE(at) === lmdbMagic) magicAt = at;
  if (magicAt < 6) return { why: 'no LMDB header', notLmdb: true };
  const pageSize = page0.readUInt32LE(magicAt + 24);
  if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0)
    return { why: `its header gives a page size of ${pageSize}` };
  const page1 = readAt(file, pageSize, 256);
  const length = statSync(file).size;
  if (length < 2 * pageSize || page0.length < magicAt + 136 || page1.length < magicAt + 136)
    return {
      why: `it holds ${length.toLocaleString('en-US')} bytes, less than its two header pages of ${pageSize.toLocaleString('en-US')} (cut short)`,
    };
  const fields = (page: Buffer) => [
    page.readUInt32LE(magicAt),
    page.readUInt16LE(magicAt - 6),
    page.readUInt32LE(magicAt + 4),
    page.readUInt32LE(magicAt + 24),
  ];
  if (fields(page0).join() !== fields(page1).join())
    return {
      why: 'its two header pages disagree on the magic, the page flags, the format version or the page size',
    };
  // Each meta page's last used page, and the root pages of the free and main databases under it (48 bytes per
  // database record from 24 bytes after the magic, its root at 40; the last page after both records): both meta
  // pages' pages lie within the file, whichever LMDB picks.
  for (const page of [page0, page1]) {
    const lastPage = page.readBigUInt64LE(magicAt + 120);
    const needed = (lastPage + 1n) * BigInt(pageSize);
    if (needed > BigInt(length))
      return {
        why: `it holds ${length.toLocaleString('en-US')} bytes and its header says ${needed.toLocaleString('en-US')} are in use (truncated, or copied while it was written)`,
      };
    for (const root of [page.readBigUInt64LE(magicAt + 64), page.readBigUInt64LE(magicAt + 112)])
      if (root !== noPage && root > lastPage)
        return { why: `a database's root page ${root} lies past its last page` };
  }
  return undefined;
}

/** LMDB's P_INVALID: the root of an empty database. */
const noPage = 0xffff_ffff_ffff_ffffn;

function readAt(file: string, position: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    return bytes.subarray(0, readSync(fd, bytes, 0, length, position));
  } finally {
    closeSync(fd);
  }
}

import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { failedPrecondition, ImgmetaError } from '../../shared/errors';
import { noteNativeFailure } from './native-stderr';

/**
 * The free space creating a store's files needs, with room to spare (two lock files of ~8 KB, two meta pages and a
 * first commit of a few 16 KiB pages).
 */
const toCreate = 2 ** 20;

/**
 * Below this much free space, a failed write is taken for a full disk. A commit writes its pages first and the failing
 * one may be large (a 10 MB import batch on a disk with 8 MB left), so the bound is generous; a disk with more free
 * space than this that still fails a write has another problem, reported as it is.
 */
const nearlyFull = 64 * 2 ** 20;

/**
 * What to throw for a failed commit: a full disk said as such (diskFullError), anything else as it was.
 */
export function commitFailure(path: string, err: unknown): unknown {
  noteNativeFailure(err);
  return diskFullError(path, err) ?? err;
}

/**
 * The error for a commit that failed because the disk holding the store is full, or undefined when it is not that.
 * LMDB reports a write the filesystem cut short as EIO ("Input/output error": `mdb_page_flush`'s "short write,
 * filesystem full?"), not ENOSPC, so its message alone would tell a user nothing about space; the free space on the
 * store's filesystem does. Nothing was written: the transaction was aborted before its meta page, and the store keeps
 * working once space is freed, in the same process too.
 */
function diskFullError(path: string, err: unknown): ImgmetaError | undefined {
  if (err instanceof ImgmetaError || !(err instanceof Error)) return undefined;
  if (
    !/Input\/output error|No space left|Disk quota exceeded/i.test(err.message) &&
    !/\b(EIO|ENOSPC|EDQUOT)\b/.test(err.message)
  )
    return undefined;
  const free = freeBytes(path);
  if (free === undefined || free >= nearlyFull) return undefined;
  // The cause without lmdb-js's detail of page positions and buffer sizes.
  const cause = err.message.split(':')[0]!.trim();
  return failedPrecondition(
    `not enough space on the device holding the store at ${path} (${free.toLocaleString('en-US')} bytes free): nothing was written (${cause})`,
  );
}

/**
 * Refuses to create a store's files (any of them: a store copied without its lock files gets them anew) on a device
 * without room for them. LMDB maps a new lock file and writes through the map; on a full device the page it touches
 * cannot be allocated and the kernel kills the process with SIGBUS (checked on a full tmpfs: `imgmeta meta set` on a
 * new store died with "Bus error"), which no caller can catch. A check, not a guarantee: the space can go between it
 * and the open.
 */
export function assertRoomToCreate(path: string): void {
  // Where nothing can be created (a read-only medium, whose free space often reads 0), the open's own errors stand.
  try {
    accessSync(nearestExisting(path), constants.W_OK);
  } catch {
    return;
  }
  const free = freeBytes(path);
  if (free !== undefined && free < toCreate)
    throw failedPrecondition(
      `not enough space on the device holding ${path} to create a store there (${free.toLocaleString('en-US')} bytes free; it needs ${toCreate.toLocaleString('en-US')})`,
    );
}

/** Free bytes for this user on the filesystem of `path`, or of its nearest existing parent; undefined if unknown. */
function freeBytes(path: string): number | undefined {
  try {
    const fs = statfsSync(nearestExisting(path));
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { failedPrecondition, ImgmetaError, invalidArgument } from '../../shared/errors';
import { metadataKeySchema, namespaceSchema } from '../../shared/schemas';
import type { MetadataExportResult } from '../../shared/types';
import { tempFilePrefix } from './metadata-dir';
import { throwIfAborted } from './verify';

export interface MetadataEntry {
  key: string;
  value: Uint8Array;
}

/**
 * Writes one metadata namespace in the seed's file-per-key layout, `<dir>/<namespace>/<key>`, the layout
 * `metadata-dir` imports and Docker's distribution store reads: a key's `/` separate directories. Each file is
 * written to a temp file beside it, fsync'd and renamed over the key's path, so a reader never sees half a value.
 * Keys that would leave the namespace directory (`..`, `.`, empty components, a leading `/`) are refused, and so is
 * a key that needs a directory where a file exists (`a` and `a/b`) or the reverse. Entries are streamed: a
 * namespace of any size is never held in memory. A refusal stops the export; files already written stay.
 * Returns the namespace directory and the number of files written.
 */
export async function exportMetadata(
  entries: AsyncIterable<MetadataEntry> | Iterable<MetadataEntry>,
  namespace: string,
  dir: string,
  options: { signal?: AbortSignal } = {},
): Promise<MetadataExportResult> {
  if (!namespaceSchema.safeParse(namespace).success)
    throw invalidArgument(`metadata namespace ${JSON.stringify(namespace)} cannot be a directory name`);
  const base = resolve(dir);
  const root = join(base, namespace);
  await mkdir(base, { recursive: true }).catch((err) => {
    throw writeError(err, base);
  });
  const directories = new Set<string>();
  await ensureDirectory(root, directories, namespace);

  let written = 0;
  for await (const { key, value } of entries) {
    if (options.signal) throwIfAborted(options.signal);
    const parts = keyParts(key);
    let parent = root;
    for (const part of parts.slice(0, -1)) {
      parent = join(parent, part);
      await ensureDirectory(parent, directories, key);
    }
    const target = join(parent, parts[parts.length - 1]!);
    await writeAtomically(target, value, key);
    written++;
  }
  // The renames are durable only once the directories that hold them are.
  for (const directory of directories) await syncDirectory(directory);
  await syncDirectory(base);
  return { path: root, written };
}

/** The path components of a key, or `invalid_argument` when the key would not stay a plain path below its namespace. */
function keyParts(key: string): string[] {
  const checked = metadataKeySchema.safeParse(key);
  if (!checked.success)
    throw invalidArgument(
      `metadata key ${JSON.stringify(key)}: ${checked.error.issues[0]?.message ?? 'not a valid key'}`,
    );
  const parts = key.split('/');
  const refuse = (why: string) => {
    throw invalidArgument(`metadata key ${JSON.stringify(key)} cannot be a file path: ${why}`);
  };
  if (key.startsWith('/')) refuse('it is absolute');
  for (const part of parts) {
    if (part === '') refuse('it has an empty path component');
    if (part === '.' || part === '..') refuse(`it has a ${JSON.stringify(part)} component`);
    if (process.platform === 'win32' && /[\\:]/.test(part))
      refuse('it has a \\ or : (a path separator here)');
    if (Buffer.byteLength(part) > 255) refuse('a path component is longer than 255 bytes');
  }
  if (parts[parts.length - 1]!.startsWith(tempFilePrefix))
    refuse(`a file name starting with ${tempFilePrefix} is taken for a leftover temp file on import`);
  return parts;
}

async function ensureDirectory(path: string, known: Set<string>, key: string): Promise<void> {
  if (known.has(path)) return;
  for (let attempt = 0; attempt < 2; attempt++) {
    let info;
    try {
      info = await lstat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(err, path);
      try {
        await mkdir(path);
        known.add(path);
        return;
      } catch (mkdirErr) {
        if ((mkdirErr as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw writeError(mkdirErr, path);
      }
    }
    if (info.isDirectory()) {
      known.add(path);
      return;
    }
    // A symbolic link would take the files out of the export directory; a file cannot hold the key's files.
    throw failedPrecondition(
      `${path} is ${info.isSymbolicLink() ? 'a symbolic link' : 'a file'} where a directory is needed ` +
        `for metadata key ${JSON.stringify(key)}`,
    );
  }
  throw failedPrecondition(`${path} keeps changing while the export creates it`);
}

async function writeAtomically(target: string, value: Uint8Array, key: string): Promise<void> {
  try {
    if ((await lstat(target)).isDirectory())
      throw failedPrecondition(
        `${target} is a directory where the file of metadata key ${JSON.stringify(key)} goes`,
      );
  } catch (err) {
    if (err instanceof ImgmetaError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(err, target);
  }
  const temp = join(dirname(target), `${tempFilePrefix}imgmeta-${randomBytes(8).toString('hex')}`);
  let handle;
  try {
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (err) {
    throw writeError(err, temp);
  }
  try {
    let offset = 0;
    while (offset < value.byteLength) {
      const { bytesWritten } = await handle.write(value, offset, value.byteLength - offset);
      offset += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw writeError(err, target);
  }
}

async function syncDirectory(path: string): Promise<void> {
  // Not every platform lets a directory be opened for fsync (Windows): durability there is the OS's business.
  try {
    const handle = await open(path, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

function writeError(err: unknown, path: string): ImgmetaError {
  if (err instanceof ImgmetaError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return failedPrecondition(`cannot write ${path}: ${code ?? (err as Error).message}`);
}

import { constants, type Dirent } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ImgmetaError, invalidArgument, notFound } from '../../shared/errors';
import { limits, metadataKeySchema, namespaceSchema } from '../../shared/schemas';
import { emptyBatch, type Detection, type Importer, type ImportMetadata, type ReadOptions } from './types';
import { throwIfAborted } from './verify';

/**
 * A directory in the seed's file-per-key layout: `<base>/<namespace>/<key...>`, one file per key, the key being the
 * file's path under its namespace directory (so it may contain `/`). Docker's `image/<driver>/distribution` is one;
 * so is what `imgmeta meta export` writes. A directory handed in is all or nothing: a symbolic link, a special
 * file, a name that is not UTF-8 or a key the store cannot hold fails the whole import with the path that is wrong.
 */

/** Files a writer left behind when it died between writing its temp file and renaming it (Docker, `metadata-export`). */
export const tempFilePrefix = '.tmp-';

/** A batch is held in memory until it is committed: refuse directories that would not fit. */
const maxTotalBytes = 1024 * 1024 * 1024;
/** Detection looks at this many entries at most; past that it reports what it saw. */
const detectEntryBudget = 100_000;

// O_NOFOLLOW: a symbolic link is refused, never followed out of the source. O_NONBLOCK: opening a FIFO never hangs.
const readFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * The bytes of one regular file, at most `maxBytes`; `where` names it in errors. A missing file is `not_found`;
 * a symbolic link, a directory, a device or FIFO, a file that is too large or changes while it is read is
 * `invalid_argument`. Never reads more than `maxBytes + 1` bytes whatever the file claims.
 */
export async function readRegularFile(path: string, maxBytes: number, where: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, readFlags);
  } catch (err) {
    throw fileError(err, where);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw invalidArgument(`${where}: not a regular file`);
    if (info.size > maxBytes)
      throw invalidArgument(`${where}: ${info.size} bytes, more than the ${maxBytes} bytes allowed`);
    const bytes = Buffer.alloc(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) throw invalidArgument(`${where}: the file shrank while it was read`);
      filled += bytesRead;
    }
    const probe = Buffer.alloc(1);
    if ((await handle.read(probe, 0, 1, filled)).bytesRead !== 0)
      throw invalidArgument(`${where}: the file grew while it was read`);
    return bytes;
  } catch (err) {
    throw fileError(err, where);
  } finally {
    await handle.close();
  }
}

/** `readRegularFile`, with `undefined` for a file that does not exist. */
export async function readRegularFileIfPresent(
  path: string,
  maxBytes: number,
  where: string,
): Promise<Buffer | undefined> {
  try {
    return await readRegularFile(path, maxBytes, where);
  } catch (err) {
    if (err instanceof ImgmetaError && err.code === 'not_found') return undefined;
    throw err;
  }
}

function fileError(err: unknown, where: string): ImgmetaError {
  if (err instanceof ImgmetaError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return notFound(`${where}: missing`);
  if (code === 'ELOOP')
    return invalidArgument(`${where}: a symbolic link (refused: links are never followed)`);
  return invalidArgument(`${where}: cannot read it (${code ?? (err as Error).message})`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Directory entries with their names as bytes, so that a name that is not UTF-8 is seen, not silently mangled. */
async function entriesOf(
  dir: string,
  where: string,
): Promise<{ name: string | undefined; entry: Dirent<Buffer> }[]> {
  let entries: Dirent<Buffer>[];
  try {
    entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
  } catch (err) {
    throw fileError(err, where);
  }
  const named = entries.map((entry) => {
    let name: string | undefined;
    try {
      name = utf8.decode(entry.name);
    } catch {
      name = undefined;
    }
    return { name, entry };
  });
  // Byte order, like the store's keys: the same directory always gives the same batch.
  return named.sort((a, b) => Buffer.compare(a.entry.name, b.entry.name));
}

export interface MetadataTreeOptions {
  signal: AbortSignal;
  progress?: ReadOptions['progress'];
  /**
   * Live stores (Docker's `distribution/`): a bad entry is reported here and skipped. Without it (a directory
   * handed in), the first bad entry throws `invalid_argument` and nothing is imported.
   */
  onProblem?: (problem: { path: string; reason: string }) => void;
  /** How the files are named in messages: `distribution` gives `distribution/diffid-by-digest/sha256/ab..`. */
  label?: string;
}

export interface MetadataTree {
  entries: ImportMetadata[];
  /** Leftover temp files (`.tmp-*`) that were skipped, by path under the base. */
  skippedTemp: string[];
}

/**
 * Every file under `base` as metadata: namespace = the first directory, key = the rest of the path joined with `/`,
 * value = the file's bytes, unchanged. The order is stable: each directory's entries in byte order of their names.
 */
export async function readMetadataTree(base: string, options: MetadataTreeOptions): Promise<MetadataTree> {
  const label = options.label ?? base;
  const entries: ImportMetadata[] = [];
  const skippedTemp: string[] = [];
  let totalBytes = 0;
  const problem = (path: string, reason: string) => {
    const where = `${label}/${path}`;
    if (!options.onProblem) throw invalidArgument(`${where}: ${reason}`);
    options.onProblem({ path: where, reason });
  };

  const walk = async (namespace: string, dir: string, keyParts: string[]): Promise<void> => {
    const relDir = [namespace, ...keyParts].join('/');
    let listing;
    try {
      listing = await entriesOf(dir, `${label}/${relDir}`);
    } catch (err) {
      problem(relDir, reasonOf(err, `${label}/${relDir}`));
      return;
    }
    for (const { name, entry } of listing) {
      throwIfAborted(options.signal);
      const shown = name ?? entry.name.toString('utf8');
      const rel = `${relDir}/${shown}`;
      if (name === undefined) {
        problem(rel, 'the file name is not valid UTF-8, so it cannot be a metadata key');
        continue;
      }
      const parts = [...keyParts, name];
      const key = parts.join('/');
      const checked = metadataKeySchema.safeParse(key);
      if (!checked.success) {
        problem(rel, `not a key the store can hold: ${checked.error.issues[0]?.message ?? 'invalid key'}`);
        continue;
      }
      const path = join(dir, name);
      if (entry.isSymbolicLink()) {
        problem(rel, 'a symbolic link (refused: links are never followed)');
        continue;
      }
      if (entry.isDirectory()) {
        await walk(namespace, path, parts);
        continue;
      }
      if (!entry.isFile()) {
        problem(rel, 'not a regular file or directory');
        continue;
      }
      if (name.startsWith(tempFilePrefix)) {
        skippedTemp.push(rel);
        continue;
      }
      let value: Buffer;
      try {
        value = await readRegularFile(path, limits.valueBytes, `${label}/${rel}`);
      } catch (err) {
        problem(rel, reasonOf(err, `${label}/${rel}`));
        continue;
      }
      totalBytes += value.byteLength;
      if (totalBytes > maxTotalBytes)
        throw invalidArgument(
          `${label}: more than ${maxTotalBytes} bytes of metadata; import it in parts (one namespace directory at a time)`,
        );
      entries.push({
        namespace,
        key,
        value: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
      });
      options.progress?.({ phase: 'metadata', items: entries.length, bytes: totalBytes });
    }
  };

  for (const { name, entry } of await entriesOf(base, label)) {
    throwIfAborted(options.signal);
    const shown = name ?? entry.name.toString('utf8');
    if (name === undefined) {
      problem(shown, 'the directory name is not valid UTF-8, so it cannot be a namespace');
      continue;
    }
    if (!entry.isDirectory()) {
      problem(
        name,
        entry.isSymbolicLink()
          ? 'a symbolic link (refused: links are never followed)'
          : 'not a directory: every top-level entry must be a namespace directory',
      );
      continue;
    }
    const checked = namespaceSchema.safeParse(name);
    if (!checked.success) {
      problem(name, `not a namespace the store can hold: ${checked.error.issues[0]?.message ?? 'invalid'}`);
      continue;
    }
    await walk(name, join(base, name), []);
  }
  return { entries, skippedTemp };
}

/** The message of an error thrown while reading `where`, without repeating `where`. */
function reasonOf(err: unknown, where: string): string {
  if (err instanceof ImgmetaError && err.code === 'cancelled') throw err;
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(`${where}: `) ? message.slice(where.length + 2) : message;
}

/**
 * The shape test for detection: every top-level entry a namespace directory, every entry below a directory or a
 * regular file, at least one file. Counts keys per namespace; `undefined` when the shape does not hold.
 */
async function survey(
  base: string,
): Promise<{ namespaces: Map<string, number>; truncated: boolean } | undefined> {
  const namespaces = new Map<string, number>();
  let budget = detectEntryBudget;
  let truncated = false;
  const walk = async (dir: string, namespace: string): Promise<boolean> => {
    for (const { name, entry } of await entriesOf(dir, dir)) {
      if (budget-- <= 0) {
        truncated = true;
        return true;
      }
      if (name === undefined) return false;
      if (entry.isDirectory()) {
        if (!(await walk(join(dir, name), namespace))) return false;
      } else if (entry.isFile()) {
        if (!name.startsWith(tempFilePrefix)) namespaces.set(namespace, (namespaces.get(namespace) ?? 0) + 1);
      } else return false;
    }
    return true;
  };
  const top = await entriesOf(base, base);
  if (top.length === 0) return undefined;
  for (const { name, entry } of top) {
    if (name === undefined || !entry.isDirectory() || !namespaceSchema.safeParse(name).success)
      return undefined;
    namespaces.set(name, namespaces.get(name) ?? 0);
    if (!(await walk(join(base, name), name))) return undefined;
    if (truncated) break;
  }
  if ([...namespaces.values()].every((n) => n === 0)) return undefined;
  return { namespaces, truncated };
}

/**
 * Marks of the other kinds, checked here too (the registry runs their detectors first, but this one must never
 * claim them on its own): containerd's `io.containerd.*` directories, Docker's `image/<driver>/` (or `image/`
 * itself, or the driver directory: `imagedb/`, `layerdb/`), containers/storage's `<driver>-images/images.json`.
 */
async function isAnotherKind(path: string): Promise<boolean> {
  const exists = async (p: string) => {
    try {
      await stat(p);
      return true;
    } catch {
      return false;
    }
  };
  for (const { name } of await entriesOf(path, path)) {
    if (name === undefined) continue;
    if (/^io\.containerd\./.test(name) || name === 'imagedb' || name === 'layerdb') return true;
    if (name.endsWith('-images') && (await exists(join(path, name, 'images.json')))) return true;
    // Docker's `image/` directory handed in: its entries are driver directories.
    if ((await exists(join(path, name, 'repositories.json'))) || (await exists(join(path, name, 'imagedb'))))
      return true;
    if (name === 'image') {
      for (const driver of await entriesOf(join(path, name), name)) {
        if (driver.name === undefined) continue;
        const dir = join(path, name, driver.name);
        if ((await exists(join(dir, 'repositories.json'))) || (await exists(join(dir, 'imagedb'))))
          return true;
      }
    }
  }
  return false;
}

/**
 * Namespace directories that are images of their own: an OCI image layout (an `oci-layout` file naming its version)
 * or a containers/image `dir:` directory (a `version` file saying so, and `manifest.json`). Their files fit the
 * `<namespace>/<key>` shape, but importing a layer as a metadata value is never what a user means by handing in a
 * directory of `skopeo copy` results.
 */
async function imageDirectoriesIn(base: string, names: string[]): Promise<{ name: string; kind: string }[]> {
  const says = async (path: string, mark: RegExp) => {
    const bytes = await readRegularFileIfPresent(path, 256, path).catch(() => undefined);
    return bytes !== undefined && mark.test(bytes.toString('latin1'));
  };
  const found: { name: string; kind: string }[] = [];
  for (const name of names) {
    const dir = join(base, name);
    if (await says(join(dir, 'oci-layout'), /"imageLayoutVersion"/))
      found.push({ name, kind: 'an OCI image layout' });
    else if (
      (await says(join(dir, 'version'), /^Directory Transport Version: \d+\.\d+\n?$/)) &&
      (await stat(join(dir, 'manifest.json')).catch(() => undefined))?.isFile()
    )
      found.push({ name, kind: 'a skopeo dir: directory' });
  }
  return found;
}

async function detect(path: string): Promise<Detection | undefined> {
  const absolute = resolve(path);
  try {
    if (!(await stat(absolute)).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  let shape;
  try {
    shape = await survey(absolute);
  } catch {
    return undefined;
  }
  if (!shape || (await isAnotherKind(absolute))) return undefined;
  const images = await imageDirectoriesIn(absolute, [...shape.namespaces.keys()]);
  if (images.length > 0)
    throw invalidArgument(
      `${absolute} holds image directories, not metadata: ${images
        .slice(0, 5)
        .map((i) => `${i.name} (${i.kind})`)
        .join(
          ', ',
        )}${images.length > 5 ? ', ...' : ''}; import each one (imgmeta import ${join(absolute, images[0]!.name)})`,
    );
  const keys = [...shape.namespaces.values()].reduce((a, b) => a + b, 0);
  const notes = [
    `metadata namespaces: ${[...shape.namespaces].map(([ns, n]) => `${ns} (${n} key${n === 1 ? '' : 's'})`).join(', ')}`,
  ];
  if (shape.truncated)
    notes.push(`more than ${detectEntryBudget} entries: counted the keys among the first ones only`);
  return {
    kind: 'metadata-dir',
    path: absolute,
    description: 'file-per-key metadata directory (<namespace>/<key>)',
    namespaces: [],
    images: 0,
    metadataKeys: keys,
    notes,
  };
}

async function read(path: string, options: ReadOptions) {
  throwIfAborted(options.signal);
  const absolute = resolve(path);
  let isDir: boolean;
  try {
    isDir = (await stat(absolute)).isDirectory();
  } catch (err) {
    throw fileError(err, absolute);
  }
  if (!isDir) throw invalidArgument(`${absolute}: not a directory (expected <namespace>/<key> files)`);
  const tree = await readMetadataTree(absolute, { signal: options.signal, progress: options.progress });
  const batch = emptyBatch('metadata-dir');
  batch.metadata = tree.entries;
  if (tree.entries.length === 0)
    throw invalidArgument(`${absolute}: no metadata files (expected <namespace>/<key> files)`);
  if (tree.skippedTemp.length > 0)
    batch.notes.push(
      `skipped ${tree.skippedTemp.length} leftover temp file(s) of an interrupted write: ${tree.skippedTemp.slice(0, 5).join(', ')}`,
    );
  if (options.namespace !== undefined)
    batch.notes.push(
      'the namespace option applies to images; metadata keeps its directory names as namespaces',
    );
  options.progress({
    phase: 'metadata',
    items: tree.entries.length,
    totalItems: tree.entries.length,
    bytes: tree.entries.reduce((n, e) => n + e.value.byteLength, 0),
  });
  return batch;
}

export const metadataDirImporter: Importer = { kind: 'metadata-dir', detect, read };

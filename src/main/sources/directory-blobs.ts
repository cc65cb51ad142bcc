import {
  createReadStream,
  createWriteStream,
  lstatSync,
  readFileSync,
  realpathSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { ImgmetaError, invalidArgument } from '../../shared/errors';
import type { Descriptor } from '../../shared/types';
import { LayerCopies } from './layer-copies';
import { derivedName, walkEntries, type LayoutBlobs, type WalkEntry, type WalkResult } from './oci-index';
import type { ReadOptions } from './types';
import { BlobVerifier, checkStoredSize, throwIfAborted, verifyBytes } from './verify';

/**
 * Blobs kept as files in one directory tree, read without following links out of it: an OCI image layout
 * (`blobs/<alg>/<encoded>`) and a containers/image `dir:` directory (`<encoded>`, `<encoded>.manifest.json`) alike.
 * Each kind says where a descriptor's file lies; reading and verifying is the same.
 */

export const fsError = (err: unknown, where: string): Error => {
  if (err instanceof ImgmetaError) return err;
  return invalidArgument(`${where}: cannot read: ${(err as Error).message}`);
};

/**
 * Files inside the layout, found without following links out of it: a file's real path must stay under the layout's
 * real path, and it must be a regular file (a FIFO or a device would hang or never end). A layout holds thousands
 * of blobs in one or two directories, so each directory's real path is resolved once, and a blob costs one lstat
 * (a second look only when it is a link): resolving every blob's full path component by component took most of an
 * import's time.
 */
export class LayoutFiles {
  private readonly dirs = new Map<string, string | undefined>();

  /** `kind` names the tree in messages: "layout", "directory". */
  constructor(
    readonly root: string,
    private readonly where: string,
    private readonly kind = 'layout',
  ) {}

  /** The file at `name` (relative to the tree), or undefined when absent. */
  locate(name: string): { path: string; size: number } | undefined {
    try {
      const dir = this.realDir(dirname(join(this.root, name)));
      if (dir === undefined) return undefined;
      let path = join(dir, basename(name));
      let info = lstatSync(path, { throwIfNoEntry: false });
      if (!info) return undefined;
      if (info.isSymbolicLink()) {
        path = this.inside(realpathSync(path), name);
        info = statSync(path);
      }
      if (!info.isFile()) throw invalidArgument(`${this.where}: ${name} is not a regular file`);
      return { path, size: info.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fsError(err, `${this.where}: ${name}`);
    }
  }

  private realDir(dir: string): string | undefined {
    if (!this.dirs.has(dir)) {
      let real: string | undefined;
      try {
        real = this.inside(realpathSync(dir), relative(this.root, dir) || '.');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.dirs.set(dir, real);
    }
    return this.dirs.get(dir);
  }

  /** `real` when it lies in the tree; `name` (relative to the tree) says which entry in the refusal. */
  private inside(real: string, name: string): string {
    if (real !== this.root && !real.startsWith(this.root + sep))
      throw invalidArgument(`${this.where}: ${name} links outside the ${this.kind}; refused`);
    return real;
  }
}

/** The files of the directory at `path` (its real path resolved once), or undefined when it is not a directory. */
export async function openTree(path: string, kind: string): Promise<LayoutFiles | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return undefined;
  const root = await realpath(path).catch((err) => {
    throw fsError(err, path);
  });
  return new LayoutFiles(root, path, kind);
}

/** Reads at most `max` bytes of a file; longer files are refused rather than read. */
export async function readBounded(path: string, max: number, where: string): Promise<Uint8Array> {
  const handle = await open(path, 'r').catch((err) => {
    throw fsError(err, where);
  });
  try {
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > max) throw invalidArgument(`${where}: larger than ${max} bytes; refused`);
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  } finally {
    await handle.close();
  }
}

const smallLayerBytes = 1024 * 1024;

/** Where a blob's file lies in the directory, relative to it: the first of the candidates that exists is read. */
export type BlobFileNames = (descriptor: Descriptor) => string[];

export class DirectoryBlobs implements LayoutBlobs {
  private reads = 0;

  constructor(
    private readonly files: LayoutFiles,
    private readonly names: BlobFileNames,
    private readonly where: string,
    private readonly options: ReadOptions,
    private readonly copies: LayerCopies | undefined,
  ) {}

  /** The first candidate file that exists, or the first candidate's name (for messages) and no file. */
  private locate(descriptor: Descriptor): { name: string; file?: { path: string; size: number } } {
    const candidates = this.names(descriptor);
    for (const name of candidates) {
      const file = this.files.locate(name);
      if (file) return { name, file };
    }
    return { name: candidates[0]! };
  }

  async small(descriptor: Descriptor, what: string): Promise<Uint8Array> {
    const { name, file } = this.locate(descriptor);
    const label = `${this.where}: ${what} (${name})`;
    if (!file) throw invalidArgument(`${label} is missing`);
    checkStoredSize(file.size, descriptor, label);
    // Manifests and configs are small: read at once, yielding now and then so that a cancel and the app's other
    // calls get their turn.
    if (++this.reads % 64 === 0) await new Promise((next) => setImmediate(next));
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file.path);
    } catch (err) {
      throw fsError(err, label);
    }
    verifyBytes(bytes, descriptor, label);
    return bytes;
  }

  async large(
    descriptor: Descriptor,
    what: string,
  ): Promise<{ present: false } | { present: true; file?: string }> {
    const { name, file } = this.locate(descriptor);
    const label = `${this.where}: ${what} (${name})`;
    if (!file) return { present: false };
    checkStoredSize(file.size, descriptor, label);
    // A small layer without a copy to make is checked like a manifest: one read, no stream to set up.
    if (!this.copies && file.size <= smallLayerBytes) {
      await this.small(descriptor, what);
      return { present: true };
    }
    const verifier = new BlobVerifier(descriptor, label);
    const copy = this.copies?.nextFile();
    let out: WriteStream | undefined;
    try {
      if (copy) out = createWriteStream(copy, { flags: 'wx', mode: 0o600 });
      for await (const chunk of createReadStream(file.path, {
        highWaterMark: 1024 * 1024,
      }) as AsyncIterable<Buffer>) {
        throwIfAborted(this.options.signal);
        verifier.update(chunk);
        if (out && !out.write(chunk)) {
          const stream = out;
          await new Promise<void>((done, fail) => {
            stream.once('drain', done);
            stream.once('error', fail);
          });
        }
      }
      verifier.finish();
    } catch (err) {
      // The copy is abandoned: a write still in flight fails once the stream is destroyed, and an 'error' nobody
      // listens for would end the process.
      out?.on('error', () => {});
      out?.destroy();
      throw fsError(err, label);
    }
    if (out) {
      const stream = out;
      await new Promise<void>((done, fail) => {
        stream.once('error', fail);
        stream.end(done);
      });
    }
    return { present: true, file: copy };
  }
}

/**
 * Reads the images of a directory source from its top-level entries: every blob verified, named after the directory
 * where the source names nothing, and with `--keep-layers` the verified layers copied (the copies not kept are
 * removed, all of them when the read fails).
 */
export async function readDirectoryImages(
  files: LayoutFiles,
  names: BlobFileNames,
  entries: WalkEntry[],
  path: string,
  options: ReadOptions,
  absentLayersDeclared = false,
): Promise<WalkResult> {
  const copies = options.keepLayers ? new LayerCopies(options.tempDir) : undefined;
  try {
    await copies?.prepare();
    const result = await walkEntries(new DirectoryBlobs(files, names, path, options, copies), entries, {
      where: path,
      namespace: options.namespace ?? 'default',
      derivedName: derivedName(path),
      derivedFrom: 'directory name',
      signal: options.signal,
      progress: options.progress,
      absentLayersDeclared,
    });
    await copies?.discard(new Set(result.layers.map((l) => l.file)));
    return result;
  } catch (err) {
    await copies?.discard();
    throw err;
  }
}

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
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ImgmetaError, invalidArgument } from '../../shared/errors';
import type { Descriptor } from '../../shared/types';
import {
  checkLayoutFile,
  checkNamespace,
  derivedName,
  describeIndex,
  parseIndexJson,
  walkLayout,
  type LayoutBlobs,
} from './oci-index';
import { LayerCopies } from './layer-copies';
import { maxListBytes } from './tar';
import { emptyBatch, type Detection, type ImportBatch, type Importer, type ReadOptions } from './types';
import { BlobVerifier, throwIfAborted, verifyBytes } from './verify';

/**
 * kind `oci-layout`: a directory holding `oci-layout`, `index.json` and `blobs/<alg>/<encoded>` (umoci, skopeo
 * `oci:`, buildx `type=oci,tar=false`, our own export). Read only: nothing in the directory is written or locked.
 */

const fsError = (err: unknown, where: string): Error => {
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
class LayoutFiles {
  private readonly dirs = new Map<string, string | undefined>();

  constructor(
    readonly root: string,
    private readonly where: string,
  ) {}

  /** The file at `name` (relative to the layout), or undefined when absent. */
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
        real = this.inside(realpathSync(dir), dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.dirs.set(dir, real);
    }
    return this.dirs.get(dir);
  }

  private inside(real: string, what: string): string {
    if (real !== this.root && !real.startsWith(this.root + sep))
      throw invalidArgument(
        `${this.where}: ${relative(this.root, what) || what} links outside the layout; refused`,
      );
    return real;
  }
}

/** Reads at most `max` bytes of a file; longer files are refused rather than read. */
async function readBounded(path: string, max: number, where: string): Promise<Uint8Array> {
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

const blobPath = (digest: string) => {
  const colon = digest.indexOf(':');
  return join('blobs', digest.slice(0, colon), digest.slice(colon + 1));
};

const smallLayerBytes = 1024 * 1024;

class DirectoryBlobs implements LayoutBlobs {
  private reads = 0;

  constructor(
    private readonly files: LayoutFiles,
    private readonly where: string,
    private readonly options: ReadOptions,
    private readonly copies: LayerCopies | undefined,
  ) {}

  async small(descriptor: Descriptor, what: string): Promise<Uint8Array> {
    const relative = blobPath(descriptor.digest);
    const label = `${this.where}: ${what} (${relative})`;
    const file = this.files.locate(relative);
    if (!file) throw invalidArgument(`${label} is missing`);
    if (file.size !== descriptor.size)
      throw invalidArgument(
        `${label}: size mismatch: ${file.size} bytes, the descriptor says ${descriptor.size}`,
      );
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
    const relative = blobPath(descriptor.digest);
    const label = `${this.where}: ${what} (${relative})`;
    const file = this.files.locate(relative);
    if (!file) return { present: false };
    if (file.size !== descriptor.size)
      throw invalidArgument(
        `${label}: size mismatch: ${file.size} bytes, the descriptor says ${descriptor.size}`,
      );
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

/** Reads `oci-layout` and `index.json` of a layout directory; undefined when the directory is not a layout. */
async function openLayout(path: string) {
  const where = path;
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return undefined;
  const root = await realpath(path).catch((err) => {
    throw fsError(err, where);
  });
  const files = new LayoutFiles(root, where);
  const layoutFile = files.locate('oci-layout');
  if (!layoutFile) return undefined;
  checkLayoutFile(
    await readBounded(layoutFile.path, 64 * 1024, `${where}: oci-layout`),
    `${where}: oci-layout`,
  );
  const indexFile = files.locate('index.json');
  if (!indexFile) throw invalidArgument(`${where}: an OCI layout without index.json`);
  const indexBytes = await readBounded(indexFile.path, maxListBytes, `${where}: index.json`);
  return { files, where, indexBytes };
}

export const ociLayoutImporter: Importer = {
  kind: 'oci-layout',

  async detect(path: string, options?: { namespace?: string }): Promise<Detection | undefined> {
    const absolute = resolve(path);
    const layout = await openLayout(absolute);
    if (!layout) return undefined;
    const namespace = checkNamespace(options?.namespace ?? 'default');
    const derived = derivedName(absolute);
    const entries = parseIndexJson(layout.indexBytes, `${absolute}: index.json`);
    const { images, notes } = describeIndex(entries, derived, `${absolute}: index.json`, 'directory name');
    return {
      kind: 'oci-layout',
      path: absolute,
      description: 'OCI image layout',
      namespaces: [namespace],
      images,
      metadataKeys: 0,
      notes,
    };
  },

  async read(path: string, options: ReadOptions): Promise<ImportBatch> {
    throwIfAborted(options.signal);
    const absolute = resolve(path);
    const layout = await openLayout(absolute);
    if (!layout) throw invalidArgument(`${absolute}: not an OCI image layout (no oci-layout file)`);
    const copies = options.keepLayers ? new LayerCopies(options.tempDir) : undefined;
    try {
      await copies?.prepare();
      const result = await walkLayout(
        new DirectoryBlobs(layout.files, absolute, options, copies),
        layout.indexBytes,
        {
          where: absolute,
          namespace: options.namespace ?? 'default',
          derivedName: derivedName(absolute),
          derivedFrom: 'directory name',
          signal: options.signal,
          progress: options.progress,
        },
      );
      await copies?.discard(new Set(result.layers.map((l) => l.file)));
      return { ...emptyBatch('oci-layout'), ...result };
    } catch (err) {
      await copies?.discard();
      throw err;
    }
  },
};

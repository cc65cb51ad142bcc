import { mkdir, mkdtemp, readdir, rename, rm, rmdir, lstat, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Digest } from '../../shared/digest';
import { failedPrecondition, ImgmetaError, invalidArgument } from '../../shared/errors';
import { isImageName } from '../../shared/reference';
import type { Descriptor } from '../../shared/types';
import {
  annotations,
  childrenOf,
  isJsonMediaType,
  mediaTypes,
  parseDescriptor,
  parseJson,
  withoutNameAnnotations,
} from './oci-index';
import type { ImportProgress } from './types';
import { throwIfAborted, verifyBytes } from './verify';

/**
 * What the destination's filesystem refused (full, over quota, read-only, not this user's) is the state of the
 * machine, not a fault in imgmeta: `failed_precondition`, and the message names the cause.
 */
const refusedByDestination = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

/**
 * Writes images as an OCI image layout (`oci-layout`, `index.json`, `blobs/<alg>/<encoded>`) that skopeo, umoci,
 * containerd and our own importer read back. One `index.json` entry per image, named by
 * `org.opencontainers.image.ref.name` and `io.containerd.image.name` (both the full name). Every blob the store has
 * for those images is written; the ones it does not have (usually layers: the store keeps metadata) are returned in
 * `missing`, never silently left out. The layout is built in a temp directory beside the target and renamed into
 * place, so a failed or cancelled export leaves nothing behind. No store imports: `read.blob` is the only source.
 */

export interface ExportSource {
  /** The bytes of a blob, or undefined when the store does not have them. */
  blob(digest: Digest): Uint8Array | undefined;
}

export interface ExportImage {
  name: string;
  target: Descriptor;
}

export interface ExportOptions {
  signal: AbortSignal;
  progress(update: ImportProgress): void;
}

export interface ExportResult {
  /** Absolute path of the layout written. */
  path: string;
  images: number;
  blobs: number;
  bytes: number;
  /** Blobs the images reach that the store does not have (foreign layers with `urls` excepted: they may be absent). */
  missing: Descriptor[];
}

/** How deep indexes may nest (the store's tree stops at 16 too). */
const maxExportDepth = 16;

async function checkTarget(dir: string): Promise<{ existsEmpty: boolean }> {
  const parent = dirname(dir);
  const parentInfo = await stat(parent).catch(() => undefined);
  if (!parentInfo?.isDirectory())
    throw invalidArgument(`${parent}: the directory to export into does not exist`);
  const info = await lstat(dir).catch(() => undefined);
  if (!info) return { existsEmpty: false };
  if (!info.isDirectory()) throw invalidArgument(`${dir}: exists and is not a directory; refused`);
  if ((await readdir(dir)).length > 0) throw invalidArgument(`${dir}: the directory is not empty; refused`);
  return { existsEmpty: true };
}

const configMediaTypes = new Set([
  'application/vnd.docker.container.image.v1+json',
  'application/vnd.oci.image.config.v1+json',
]);

export async function exportLayout(
  read: ExportSource,
  images: ExportImage[],
  dir: string,
  options: ExportOptions,
): Promise<ExportResult> {
  throwIfAborted(options.signal);
  const target = resolve(dir);
  if (images.length === 0) throw invalidArgument('nothing to export: no images given');

  // One entry per name; the same name for two different targets would make the layout ambiguous.
  const byName = new Map<string, Descriptor>();
  for (const [i, image] of images.entries()) {
    if (!isImageName(image.name))
      throw invalidArgument(`images[${i}]: ${JSON.stringify(image.name)} is not an image name`);
    const descriptor = withoutNameAnnotations(
      parseDescriptor(image.target, `images[${i}] (${image.name}) target`),
    );
    // A Docker classic image (docker-archive without a layout inside, a Docker data root) is known by its config
    // only: no manifest digest exists for it, and a layout whose index points at a config is no image anyone reads.
    if (configMediaTypes.has(descriptor.mediaType))
      throw failedPrecondition(
        `${image.name} points at an image config (${descriptor.mediaType}), not a manifest or index: its source ` +
          'recorded no manifest, so there is none to export, and imgmeta does not invent one',
      );
    const known = byName.get(image.name);
    if (known && known.digest !== descriptor.digest)
      throw invalidArgument(
        `${image.name} is given twice with different targets (${known.digest}, ${descriptor.digest})`,
      );
    byName.set(image.name, descriptor);
  }

  const { existsEmpty } = await checkTarget(target);
  let temp: string;
  try {
    temp = await mkdtemp(join(dirname(target), `.${basename(target)}.export-`));
  } catch (err) {
    throw invalidArgument(`${dirname(target)}: cannot create the export there: ${(err as Error).message}`);
  }

  const written = new Set<Digest>();
  const missing = new Map<Digest, Descriptor>();
  const algorithmDirs = new Set<string>();
  let bytes = 0;

  const write = async (descriptor: Descriptor, data: Uint8Array) => {
    const [algorithm, encoded] = descriptor.digest.split(':') as [string, string];
    const folder = join(temp, 'blobs', algorithm);
    if (!algorithmDirs.has(folder)) {
      await mkdir(folder, { recursive: true });
      algorithmDirs.add(folder);
    }
    await writeFile(join(folder, encoded), data, { flag: 'wx' });
    written.add(descriptor.digest);
    bytes += data.byteLength;
    options.progress({ phase: 'exporting', items: written.size, bytes });
  };

  /** Writes a blob and, for an index or manifest, what it reaches. The subject of a referrer is not part of it. */
  const walk = async (descriptor: Descriptor, what: string, depth: number, parse: boolean): Promise<void> => {
    throwIfAborted(options.signal);
    if (written.has(descriptor.digest) || missing.has(descriptor.digest)) return;
    const data = read.blob(descriptor.digest);
    if (data === undefined) {
      if (!(descriptor.urls && descriptor.urls.length > 0)) missing.set(descriptor.digest, descriptor);
      return;
    }
    try {
      verifyBytes(data, descriptor, `${what} ${descriptor.digest}`);
    } catch (err) {
      throw failedPrecondition(`the store's copy does not match: ${(err as Error).message}`);
    }
    await write(descriptor, data);
    if (!parse || !isJsonMediaType(descriptor.mediaType)) return;
    if (depth >= maxExportDepth)
      throw failedPrecondition(`${what}: indexes nested deeper than ${maxExportDepth}`);
    const doc = parseJson(data, `${what} ${descriptor.digest}`);
    for (const [role, child, field] of childrenOf(doc, `${what} ${descriptor.digest}`)) {
      if (role === 'subject') continue;
      await walk(child, `${what} > ${field}`, depth + 1, role === 'manifest');
    }
  };

  try {
    // The layout spec wants blobs/ even when it is empty.
    await mkdir(join(temp, 'blobs'));
    for (const [name, descriptor] of byName) await walk(descriptor, name, 0, true);
    throwIfAborted(options.signal);
    // Layers the store does not hold are left out, and the index says so: our own import then takes the layout
    // back (it refuses a layout that lacks blobs without saying so); other readers ignore an annotation they do not
    // know.
    const absentLayers = [...missing.values()].filter((d) => !isJsonMediaType(d.mediaType)).length;
    const index = {
      schemaVersion: 2,
      mediaType: mediaTypes.ociIndex,
      ...(absentLayers > 0 ? { annotations: { [annotations.absentLayers]: String(absentLayers) } } : {}),
      manifests: [...byName].map(([name, descriptor]) => ({
        ...descriptor,
        annotations: {
          ...descriptor.annotations,
          [annotations.containerdName]: name,
          [annotations.refName]: name,
        },
      })),
    };
    await writeFile(join(temp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(temp, 'index.json'), JSON.stringify(index));
    throwIfAborted(options.signal);
    if (existsEmpty) await rmdir(target);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    if (err instanceof ImgmetaError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImgmetaError(
      code !== undefined && refusedByDestination.has(code) ? 'failed_precondition' : 'internal',
      `${target}: export failed: ${(err as Error).message}`,
    );
  }
  return { path: target, images: byName.size, blobs: written.size, bytes, missing: [...missing.values()] };
}

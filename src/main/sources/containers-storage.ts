import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { isDigest } from '../../shared/digest';
import { ImgmetaError, invalidArgument } from '../../shared/errors';
import { isImageName } from '../../shared/reference';
import { limits, mediaTypeSchema, namespaceSchema } from '../../shared/schemas';
import type { Descriptor } from '../../shared/types';
import { dockerConfigMediaType, parseTimestamp, unstorableReason } from './docker';
import { readRegularFile } from './metadata-dir';
import {
  emptyBatch,
  type Detection,
  type ImportBatch,
  type ImportContent,
  type Importer,
  type ReadOptions,
} from './types';
import { throwIfAborted, verifyBytes } from './verify';

/**
 * A containers/storage graph root (Podman, Buildah, Skopeo, CRI-O; see ../shared/docs/formats.md):
 *
 *     <drv>-images/images.json           the image list: id, names, big-data-names/-sizes/-digests, created, ...
 *     <drv>-images/<id>/<big-data file>  one file per big-data key: `manifest`, `manifest-sha256:<hex>`, the config
 *                                        under its digest, signatures, `instances.json` (manifest lists)
 *
 * Every name of every image becomes a record (a nameless image is `sha256:<id>`) pointing at the manifest the image
 * uses (its `manifest` key; for a manifest list, the index). Manifests and configs are stored after checking them
 * against big-data-digests / big-data-sizes and the digest their key names. A live store: a damaged image keeps its
 * names as incomplete records and is listed in `damaged`; bad bytes are never stored. Layers (unpacked directories
 * plus tar-split) are not read.
 */

const mediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  unknown: 'application/octet-stream',
} as const;

/** images.json of a big store: thousands of images, each a few KiB of JSON. */
const maxImagesJsonBytes = 256 * 1024 * 1024;
const idPattern = /^[0-9a-f]{64}$/;
const imagesDirPattern = /^(.+)-images$/;

/** containers/storage `makeBigDataBaseName`: a key of `[.0-9a-z]` only is the file name, any other `=` + base64. */
export function bigDataFileName(key: string): string {
  if (key === '' || key === '.' || key === '..')
    throw invalidArgument(`big-data key ${JSON.stringify(key)} cannot be a file name`);
  return /^[.0-9a-z]+$/.test(key) ? key : `=${Buffer.from(key, 'utf8').toString('base64')}`;
}

/**
 * The `<drv>-images` directory: the path itself, or the one in a graph root. `undefined` when there is none;
 * `invalid_argument` when the root has several (a driver change leaves the old one: the user picks).
 */
async function findImagesDir(path: string): Promise<string | undefined> {
  if (imagesDirPattern.test(basename(path)) && (await isFile(join(path, 'images.json')))) return path;
  let names: string[];
  try {
    if (!(await stat(path)).isDirectory()) return undefined;
    names = (await readdir(path)).sort();
  } catch {
    return undefined;
  }
  const found: string[] = [];
  for (const name of names)
    if (imagesDirPattern.test(name) && (await isFile(join(path, name, 'images.json')))) found.push(name);
  if (found.length === 0) return undefined;
  if (found.length > 1)
    throw invalidArgument(
      `${path} holds the image lists of several storage drivers (${found.join(', ')}): import one of ` +
        found.map((name) => join(path, name)).join(', '),
    );
  return join(path, found[0]!);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

async function readImageList(imagesDir: string): Promise<unknown[]> {
  const where = join(imagesDir, 'images.json');
  const bytes = await readRegularFile(where, maxImagesJsonBytes, where);
  // containers/storage treats an empty file as an empty list.
  if (bytes.byteLength === 0) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`${where}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc)) throw invalidArgument(`${where}: expected a JSON array of images`);
  return doc;
}

/**
 * The media type of a manifest: its own `mediaType` when it has one, otherwise from its shape (umoci and other OCI
 * writers leave it out), the way containers/image guesses it. `undefined` when the bytes are not a JSON object.
 */
export function manifestMediaType(bytes: Uint8Array): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(doc)) return undefined;
  if (typeof doc['mediaType'] === 'string' && doc['mediaType'] !== '') return doc['mediaType'];
  if (doc['schemaVersion'] === 1)
    return Array.isArray(doc['signatures']) ? mediaTypes.dockerSchema1Signed : mediaTypes.dockerSchema1;
  if (Array.isArray(doc['manifests'])) return mediaTypes.ociIndex;
  const config = doc['config'];
  if (isObject(config) && config['mediaType'] === dockerConfigMediaType) return mediaTypes.dockerManifest;
  if (isObject(config) || Array.isArray(doc['layers'])) return mediaTypes.ociManifest;
  return undefined;
}

/** The config descriptor of a manifest, when it is one. */
function configOf(bytes: Uint8Array): { digest: string; mediaType?: string } | undefined {
  try {
    const doc: unknown = JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    );
    const config = isObject(doc) ? doc['config'] : undefined;
    if (!isObject(config) || typeof config['digest'] !== 'string') return undefined;
    return {
      digest: config['digest'],
      ...(typeof config['mediaType'] === 'string' ? { mediaType: config['mediaType'] } : {}),
    };
  } catch {
    return undefined;
  }
}

interface StoredImage {
  id: string;
  names: string[];
  digest?: string;
  created?: string;
  bigDataNames: string[];
  sizes: Record<string, unknown>;
  digests: Record<string, unknown>;
}

/** One images.json entry, or the reason it cannot be read at all. */
function parseImage(value: unknown): StoredImage | string {
  if (!isObject(value)) return 'not a JSON object';
  const id = value['id'];
  if (typeof id !== 'string' || !idPattern.test(id)) return `id ${JSON.stringify(id)} is not 64 hex digits`;
  const names = value['names'] ?? [];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
    return `image ${id}: names is not a list of strings`;
  const bigDataNames = value['big-data-names'];
  const sizes = value['big-data-sizes'];
  const digests = value['big-data-digests'];
  return {
    id,
    names: names as string[],
    ...(typeof value['digest'] === 'string' ? { digest: value['digest'] } : {}),
    ...(typeof value['created'] === 'string' ? { created: value['created'] } : {}),
    bigDataNames: Array.isArray(bigDataNames)
      ? bigDataNames.filter((n): n is string => typeof n === 'string')
      : isObject(sizes)
        ? Object.keys(sizes)
        : [],
    sizes: isObject(sizes) ? sizes : {},
    digests: isObject(digests) ? digests : {},
  };
}

/** Verified bytes, or why not (with the bytes that failed the check, only ever used to name their media type). */
type BigData = { bytes: Uint8Array; digest: string } | { problem: string; unverified?: Uint8Array };

/** One big-data item, checked against the digest and size images.json records and the digest its key names. */
async function readBigData(imagesDir: string, image: StoredImage, key: string): Promise<BigData> {
  const where = `image ${image.id}: big-data ${key}`;
  const recorded = image.digests[key];
  const implied = key.startsWith('manifest-')
    ? key.slice('manifest-'.length)
    : isDigest(key)
      ? key
      : undefined;
  if (recorded !== undefined && typeof recorded !== 'string')
    return { problem: `${where}: big-data-digests holds ${JSON.stringify(recorded)}, not a digest` };
  if (recorded !== undefined && implied !== undefined && recorded !== implied)
    return { problem: `${where}: big-data-digests says ${recorded}, the key says ${implied}` };
  const digest = recorded ?? implied;
  if (digest === undefined) return { problem: `${where}: no digest recorded, so it cannot be verified` };
  const size = image.sizes[key];
  if (size !== undefined && !(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0))
    return { problem: `${where}: big-data-sizes holds ${JSON.stringify(size)}, not a size` };
  let view: Uint8Array;
  try {
    const bytes = await readRegularFile(
      join(imagesDir, image.id, bigDataFileName(key)),
      limits.valueBytes,
      where,
    );
    view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (err) {
    if (err instanceof ImgmetaError && err.code === 'cancelled') throw err;
    if (err instanceof ImgmetaError && err.code === 'not_found')
      return { problem: `${where}: missing (file ${bigDataFileName(key)})` };
    return { problem: (err as Error).message };
  }
  try {
    verifyBytes(view, { digest, ...(size !== undefined ? { size } : {}) }, where);
  } catch (err) {
    return { problem: (err as Error).message, unverified: view };
  }
  return { bytes: view, digest };
}

interface ImageResult {
  target?: Descriptor;
  /** Why the records of this image are incomplete. */
  problems: string[];
  /** Damage that did not matter: a sound copy stood in. */
  repaired: string[];
  content: ImportContent[];
  createdAt?: number;
}

async function readImage(imagesDir: string, image: StoredImage): Promise<ImageResult> {
  const result: ImageResult = { problems: [], repaired: [], content: [] };
  const created = parseTimestamp(image.created);
  if (created !== undefined) result.createdAt = created;
  const keys = new Set(image.bigDataNames);

  /** Verified bytes as content, when the store can hold them; the media type, or the reason it cannot. */
  const keep = (bytes: Uint8Array, digest: string, mediaType: string | undefined, what: string): boolean => {
    if (mediaType === undefined) {
      result.problems.push(`image ${image.id}: ${what} ${digest} is not a JSON manifest`);
      return false;
    }
    if (!mediaTypeSchema.safeParse(mediaType).success) {
      result.problems.push(
        `image ${image.id}: ${what} ${digest} has media type ${JSON.stringify(mediaType)}, which cannot be stored`,
      );
      return false;
    }
    const unstorable = unstorableReason(bytes, mediaType);
    if (unstorable) {
      result.problems.push(`image ${image.id}: ${what} ${digest}: ${unstorable}`);
      return false;
    }
    result.content.push({ digest, mediaType, bytes });
    return true;
  };

  // The manifest in use: `manifest`, or its copy under `manifest-<digest>` when `manifest` itself is damaged.
  let manifest: { bytes: Uint8Array; digest: string } | undefined;
  let unverified: Uint8Array | undefined;
  let failure: string | undefined;
  if (keys.has('manifest')) {
    const read = await readBigData(imagesDir, image, 'manifest');
    if ('bytes' in read) manifest = read;
    else ({ problem: failure, unverified } = read);
  } else failure = `image ${image.id}: no manifest recorded (big-data key "manifest")`;
  // Where the name should point when `manifest` cannot be read: the digest recorded for it, else the image's own.
  const candidates = [...new Set([image.digests['manifest'], image.digest])].filter(
    (d): d is string => typeof d === 'string' && isDigest(d),
  );
  for (const digest of manifest ? [] : candidates) {
    if (!keys.has(`manifest-${digest}`)) continue;
    const copy = await readBigData(imagesDir, image, `manifest-${digest}`);
    if ('bytes' in copy) {
      manifest = copy;
      result.repaired.push(`${failure}; used the sound copy manifest-${digest}`);
      failure = undefined;
      break;
    }
  }
  if (failure) result.problems.push(failure);

  if (manifest) {
    const mediaType = manifestMediaType(manifest.bytes);
    result.target = {
      mediaType:
        mediaType !== undefined && mediaTypeSchema.safeParse(mediaType).success
          ? mediaType
          : mediaTypes.unknown,
      digest: manifest.digest,
      size: manifest.bytes.byteLength,
    };
    keep(manifest.bytes, manifest.digest, mediaType, 'manifest');
  } else if (candidates[0] !== undefined) {
    // Nothing sound to read: the name still points where the store says, and the record shows as incomplete. The
    // bad bytes only name the media type (they are never stored); without them it is unknown.
    const digest = candidates[0];
    const size = image.sizes[digest === image.digests['manifest'] ? 'manifest' : `manifest-${digest}`];
    const guessed =
      digest === image.digests['manifest'] && unverified ? manifestMediaType(unverified) : undefined;
    result.target = {
      mediaType:
        guessed !== undefined && mediaTypeSchema.safeParse(guessed).success ? guessed : mediaTypes.unknown,
      digest,
      size: typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : 0,
    };
  }

  // Every other manifest written for the image (an image pulled from an index keeps the index too).
  const stored = new Set(result.content.map((c) => c.digest));
  for (const key of [...keys].filter((k) => k.startsWith('manifest-')).sort()) {
    const digest = key.slice('manifest-'.length);
    if (stored.has(digest)) continue;
    const read = await readBigData(imagesDir, image, key);
    if ('problem' in read) {
      result.problems.push(read.problem);
      continue;
    }
    if (keep(read.bytes, read.digest, manifestMediaType(read.bytes), 'manifest')) stored.add(digest);
  }

  // Configs are stored under their digest. Their media type is what the manifests that name them say.
  const configTypes = new Map<string, string>();
  for (const c of result.content) {
    const config = configOf(c.bytes);
    if (config && !configTypes.has(config.digest))
      configTypes.set(config.digest, config.mediaType ?? mediaTypes.ociConfig);
  }
  if (manifest) {
    const wanted = configOf(manifest.bytes);
    if (wanted && !keys.has(wanted.digest))
      result.problems.push(`image ${image.id}: config ${wanted.digest} is missing (no big-data key for it)`);
  }
  for (const key of [...keys].filter((k) => isDigest(k)).sort()) {
    const read = await readBigData(imagesDir, image, key);
    if ('problem' in read) {
      result.problems.push(read.problem);
      continue;
    }
    const fallback =
      result.target?.mediaType === mediaTypes.dockerManifest ? dockerConfigMediaType : mediaTypes.ociConfig;
    keep(read.bytes, read.digest, configTypes.get(read.digest) ?? fallback, 'config');
  }
  return result;
}

async function read(path: string, options: ReadOptions): Promise<ImportBatch> {
  throwIfAborted(options.signal);
  const absolute = resolve(path);
  const imagesDir = await findImagesDir(absolute);
  if (!imagesDir)
    throw invalidArgument(
      `${absolute}: not a containers/storage graph root (expected <driver>-images/images.json)`,
    );
  const namespace = options.namespace ?? 'podman';
  if (!namespaceSchema.safeParse(namespace).success)
    throw invalidArgument(`namespace ${JSON.stringify(namespace)} is not one the store can hold`);

  const batch = emptyBatch('containers-storage');
  const list = await readImageList(imagesDir);
  const content = new Map<string, ImportContent>();
  const seenIds = new Set<string>();
  const seenNames = new Map<string, string>();
  let bytes = 0;

  for (const [index, value] of list.entries()) {
    throwIfAborted(options.signal);
    const image = parseImage(value);
    if (typeof image === 'string') {
      batch.damaged.push({ namespace, reason: `images.json entry ${index}: ${image}; not imported` });
      continue;
    }
    if (seenIds.has(image.id)) {
      batch.damaged.push({
        namespace,
        reason: `images.json lists image ${image.id} twice; the first entry is imported`,
      });
      continue;
    }
    seenIds.add(image.id);
    const result = await readImage(imagesDir, image);
    batch.notes.push(...result.repaired);
    for (const c of result.content) {
      if (!content.has(c.digest)) {
        content.set(c.digest, c);
        bytes += c.bytes.byteLength;
      }
    }

    const names = image.names.length > 0 ? image.names : [`sha256:${image.id}`];
    for (const name of names) {
      if (!isImageName(name)) {
        batch.damaged.push({
          namespace,
          name,
          reason: `image ${image.id}: ${JSON.stringify(name)} is not a name the store can hold; not imported`,
        });
        continue;
      }
      const owner = seenNames.get(name);
      if (owner !== undefined) {
        batch.damaged.push({
          namespace,
          name,
          reason: `image ${image.id}: the name is already image ${owner}'s; not imported`,
        });
        continue;
      }
      if (!result.target) {
        batch.damaged.push({
          namespace,
          name,
          reason: `${result.problems.join('; ')}; not imported: no manifest digest to point the name at`,
        });
        continue;
      }
      seenNames.set(name, image.id);
      batch.images.push({
        namespace,
        name,
        target: result.target,
        labels: {},
        ...(result.createdAt !== undefined ? { createdAt: result.createdAt } : {}),
      });
      if (result.problems.length > 0)
        batch.damaged.push({
          namespace,
          name,
          digest: result.target.digest,
          reason: `${result.problems.join('; ')}; the record is imported, the damaged blobs are not`,
        });
    }
    options.progress({ phase: 'images', items: seenIds.size, totalItems: list.length, bytes });
  }

  batch.content = [...content.values()];
  batch.notes.push(
    'each name points at the manifest the image uses (its "manifest" big-data); podman\'s DIGEST column shows the ' +
      'digest the image was first created with, which can differ',
  );
  if (options.keepLayers)
    batch.notes.push(
      'containers/storage keeps layers unpacked (with tar-split): there are no layer blobs to keep',
    );
  return batch;
}

async function detect(path: string, options: { namespace?: string } = {}): Promise<Detection | undefined> {
  const absolute = resolve(path);
  const imagesDir = await findImagesDir(absolute);
  if (!imagesDir) return undefined;
  const list = await readImageList(imagesDir);
  let names = 0;
  let nameless = 0;
  for (const value of list) {
    const image = parseImage(value);
    if (typeof image === 'string') continue;
    if (image.names.length === 0) nameless++;
    names += Math.max(1, image.names.length);
  }
  const driver = imagesDirPattern.exec(basename(imagesDir))![1]!;
  const notes = [`storage driver ${driver}: ${list.length} image(s), ${nameless} without a name`];
  if (nameless > 0) notes.push('images without a name are named sha256:<image ID>, as containerd names them');
  return {
    kind: 'containers-storage',
    path: absolute,
    description: `containers/storage graph root (Podman, Buildah, CRI-O; driver ${driver})`,
    namespaces: [options.namespace ?? 'podman'],
    images: names,
    metadataKeys: 0,
    notes,
  };
}

export const containersStorageImporter: Importer = { kind: 'containers-storage', detect, read };

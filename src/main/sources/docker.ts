import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ImgmetaError, invalidArgument } from '../../shared/errors';
import { isImageName } from '../../shared/reference';
import { limits, namespaceSchema } from '../../shared/schemas';
import type { Descriptor } from '../../shared/types';
import { childrenOfBlob } from '../store/content';
import { readMetadataTree, readRegularFile, readRegularFileIfPresent } from './metadata-dir';
import {
  emptyBatch,
  type DamagedEntry,
  type Detection,
  type ImportBatch,
  type Importer,
  type ReadOptions,
} from './types';
import { throwIfAborted, verifyBytes } from './verify';

/**
 * Docker's classic image store, `<data root>/image/<driver>/` (see ../shared/docs/formats.md). It has no manifests:
 * an image is its config, named by the config's digest (the image ID), so every name points at the config.
 *
 *     repositories.json                         {"Repositories": {repo: {ref: image ID}}}: the names
 *     imagedb/content/sha256/<id>               the config; its sha256 is the ID
 *     imagedb/metadata/sha256/<id>/lastUpdated  when a name last moved to it (RFC 3339), for some images
 *     distribution/<namespace>/sha256/<hex>     the seed's metadata store, imported key by key
 *
 * A live store: a damaged image (config missing or not hashing to its ID) keeps its names, as incomplete records,
 * and is listed in `damaged`; its bytes are never stored. Layers are unpacked directories here: there is nothing
 * to hash or keep.
 */

export const dockerConfigMediaType = 'application/vnd.docker.container.image.v1+json';

/** repositories.json lists every name of every image: a few MiB on a big host. */
const maxRepositoriesBytes = 64 * 1024 * 1024;
const maxTimestampBytes = 256;

const idPattern = /^[0-9a-f]{64}$/;

/**
 * The `image/<driver>` directory of a Docker data root, or of the path itself when it is one. `undefined` when
 * the path is not Docker's; `invalid_argument` when it holds several drivers' stores (Docker uses one at a time and
 * nothing on disk says which: the user picks).
 */
async function findDriverDir(path: string): Promise<string | undefined> {
  if (await isDriverDir(path)) return path;
  const imageDir = join(path, 'image');
  if (!(await isDirectory(imageDir))) return undefined;
  let drivers: string[];
  try {
    drivers = (await readdir(imageDir)).sort();
  } catch (err) {
    throw invalidArgument(`${imageDir}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const found: string[] = [];
  for (const driver of drivers) if (await isDriverDir(join(imageDir, driver))) found.push(driver);
  if (found.length === 0) return undefined;
  if (found.length > 1)
    throw invalidArgument(
      `${path} holds the image stores of several storage drivers (${found.join(', ')}); Docker uses one at a ` +
        `time: import one of ${found.map((d) => join(imageDir, d)).join(', ')}`,
    );
  return join(imageDir, found[0]!);
}

async function isDriverDir(path: string): Promise<boolean> {
  return (
    (await isFile(join(path, 'repositories.json'))) || (await isDirectory(join(path, 'imagedb', 'content')))
  );
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

interface References {
  /** `ref -> image ID`. */
  refs: Map<string, string>;
  /** A reference listed twice (under two repositories) with different IDs: the first is kept. */
  conflicts: { ref: string; id: string }[];
}

/** The names, from repositories.json; a file that is not Docker's shape makes the whole store unreadable. */
async function readRepositories(driverDir: string): Promise<References> {
  const where = join(driverDir, 'repositories.json');
  const bytes = await readRegularFileIfPresent(where, maxRepositoriesBytes, where);
  const refs = new Map<string, string>();
  const conflicts: References['conflicts'] = [];
  if (bytes === undefined) return { refs, conflicts };
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`${where}: not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw invalidArgument(`${where}: expected {"Repositories": {...}}`);
  const repositories = doc['Repositories'];
  if (repositories === null || repositories === undefined) return { refs, conflicts };
  if (!isObject(repositories))
    throw invalidArgument(`${where}: expected {"Repositories": {repository: {reference: image ID}}}`);
  for (const [repository, entries] of Object.entries(repositories)) {
    if (!isObject(entries))
      throw invalidArgument(
        `${where}: repository ${JSON.stringify(repository)} is not an object of references`,
      );
    for (const [ref, id] of Object.entries(entries)) {
      if (typeof id !== 'string')
        throw invalidArgument(
          `${where}: reference ${JSON.stringify(ref)} does not map to an image ID string`,
        );
      const known = refs.get(ref);
      if (known === undefined) refs.set(ref, id);
      else if (known !== id) conflicts.push({ ref, id });
    }
  }
  return { refs, conflicts };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The IDs of imagedb/content/sha256; anything else there is ignored, as dockerd ignores it. */
async function listImageIds(driverDir: string): Promise<string[]> {
  const dir = join(driverDir, 'imagedb', 'content', 'sha256');
  try {
    return (await readdir(dir)).filter((name) => idPattern.test(name)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw invalidArgument(`${dir}: cannot read it (${code ?? err})`);
  }
}

/** RFC 3339 to ms since the epoch; Go's zero time and anything unparsable are "not recorded". */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text)) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms) || ms === goZeroTime) return undefined;
  return ms;
}
const goZeroTime = Date.parse('0001-01-01T00:00:00Z');

/**
 * Checks that the store will accept a blob as it stands (a `+json` media type must parse, a manifest's
 * descriptors must be valid): the reason it would not, or `undefined`.
 */
export function unstorableReason(bytes: Uint8Array, mediaType: string): string | undefined {
  try {
    childrenOfBlob(bytes, mediaType);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

interface ImageInfo {
  id: string;
  /** Length of the config file when it could be read (also when it did not match: the best size there is). */
  size?: number;
  createdAt?: number;
  updatedAt?: number;
  /** Why the image is incomplete. */
  problem?: string;
}

async function readImage(driverDir: string, id: string, batch: ImportBatch): Promise<ImageInfo> {
  const digest = `sha256:${id}`;
  const where = join(driverDir, 'imagedb', 'content', 'sha256', id);
  const info: ImageInfo = { id };
  let bytes: Buffer;
  try {
    const stats = await lstat(where).catch(() => undefined);
    if (stats?.isFile()) info.size = stats.size;
    bytes = await readRegularFile(where, limits.valueBytes, `config of image ${digest}`);
    info.size = bytes.byteLength;
    verifyBytes(bytes, { digest }, `config of image ${digest}`);
  } catch (err) {
    if (err instanceof ImgmetaError && err.code === 'cancelled') throw err;
    info.problem =
      err instanceof ImgmetaError && err.code === 'not_found'
        ? `config of image ${digest} is missing (imagedb/content/sha256/${id})`
        : (err as Error).message;
    return info;
  }
  const unstorable = unstorableReason(bytes, dockerConfigMediaType);
  if (unstorable) {
    info.problem = `config of image ${digest}: ${unstorable}`;
    return info;
  }
  batch.content.push({
    digest,
    mediaType: dockerConfigMediaType,
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  });
  info.createdAt = parseTimestamp((JSON.parse(bytes.toString('utf8')) as Record<string, unknown>)['created']);
  const lastUpdated = await readRegularFileIfPresent(
    join(driverDir, 'imagedb', 'metadata', 'sha256', id, 'lastUpdated'),
    maxTimestampBytes,
    `lastUpdated of image ${digest}`,
  ).catch(() => undefined);
  if (lastUpdated) info.updatedAt = parseTimestamp(lastUpdated.toString('utf8'));
  return info;
}

async function read(path: string, options: ReadOptions): Promise<ImportBatch> {
  throwIfAborted(options.signal);
  const absolute = resolve(path);
  const driverDir = await findDriverDir(absolute);
  if (!driverDir)
    throw invalidArgument(
      `${absolute}: not a Docker data root (expected image/<driver>/repositories.json or imagedb/)`,
    );
  const namespace = options.namespace ?? 'docker';
  if (!namespaceSchema.safeParse(namespace).success)
    throw invalidArgument(`namespace ${JSON.stringify(namespace)} is not one the store can hold`);

  const batch = emptyBatch('docker');
  const { refs, conflicts } = await readRepositories(driverDir);
  const ids = new Set(await listImageIds(driverDir));
  const damage = (entry: DamagedEntry) => batch.damaged.push(entry);
  for (const { ref, id } of conflicts)
    damage({
      namespace,
      name: ref,
      reason: `repositories.json also maps ${ref} to ${JSON.stringify(id)}; the first mapping, to ${refs.get(ref)}, is imported`,
    });

  // Names first: which IDs they reach, and which of them cannot be stored at all.
  const named: { name: string; id: string }[] = [];
  const referenced = new Set<string>();
  for (const [ref, id] of [...refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const hex = id.startsWith('sha256:') ? id.slice('sha256:'.length) : '';
    if (!idPattern.test(hex)) {
      damage({
        namespace,
        name: ref,
        reason: `repositories.json maps ${ref} to ${JSON.stringify(id)}, not an image ID`,
      });
      continue;
    }
    referenced.add(hex);
    if (!isImageName(ref)) {
      damage({
        namespace,
        name: ref,
        digest: id,
        reason: `${JSON.stringify(ref)} is not a name the store can hold`,
      });
      continue;
    }
    named.push({ name: ref, id: hex });
  }
  // Untagged images (`<none>` in `docker images -a`) get containerd's CRI form of a name.
  for (const id of ids) if (!referenced.has(id)) named.push({ name: `sha256:${id}`, id });

  const wanted = [...new Set([...ids, ...referenced])].sort();
  const infos = new Map<string, ImageInfo>();
  let bytes = 0;
  for (const id of wanted) {
    throwIfAborted(options.signal);
    const info = await readImage(driverDir, id, batch);
    infos.set(id, info);
    bytes += info.size ?? 0;
    options.progress({ phase: 'images', items: infos.size, totalItems: wanted.length, bytes });
  }

  for (const { name, id } of named) {
    const info = infos.get(id)!;
    const target: Descriptor = {
      mediaType: dockerConfigMediaType,
      digest: `sha256:${id}`,
      size: info.size ?? 0,
    };
    batch.images.push({
      namespace,
      name,
      target,
      labels: {},
      ...(info.createdAt !== undefined ? { createdAt: info.createdAt } : {}),
      ...(info.updatedAt !== undefined ? { updatedAt: info.updatedAt } : {}),
    });
    if (info.problem)
      damage({
        namespace,
        name,
        digest: target.digest,
        reason:
          info.size === undefined
            ? `${info.problem}; imported as incomplete, with size 0 since nothing records it`
            : `${info.problem}; imported as incomplete, without the config`,
      });
  }

  const distribution = join(driverDir, 'distribution');
  if (await isDirectory(distribution)) {
    const tree = await readMetadataTree(distribution, {
      signal: options.signal,
      progress: options.progress,
      label: 'distribution',
      onProblem: ({ path: where, reason }) => damage({ reason: `${where}: ${reason}; not imported` }),
    });
    batch.metadata = tree.entries;
    if (tree.skippedTemp.length > 0)
      batch.notes.push(`skipped ${tree.skippedTemp.length} leftover temp file(s) in distribution/`);
  }

  batch.notes.push(
    `Docker's classic store has no manifests: each name points at its image config (the image ID), as \`docker images\` shows it`,
  );
  if (options.keepLayers)
    batch.notes.push(
      'Docker keeps layers unpacked (image/' + basename(driverDir) + '): there are no layer blobs to keep',
    );
  return batch;
}

async function detect(path: string, options: { namespace?: string } = {}): Promise<Detection | undefined> {
  const absolute = resolve(path);
  const driverDir = await findDriverDir(absolute);
  if (!driverDir) return undefined;
  const { refs } = await readRepositories(driverDir);
  const ids = await listImageIds(driverDir);
  const referenced = new Set(
    [...refs.values()].filter((id) => id.startsWith('sha256:')).map((id) => id.slice('sha256:'.length)),
  );
  const untagged = ids.filter((id) => !referenced.has(id)).length;
  let metadataKeys = 0;
  const namespaces: string[] = [];
  const distribution = join(driverDir, 'distribution');
  if (await isDirectory(distribution)) {
    const count = async (dir: string): Promise<number> => {
      let n = 0;
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => []))
        if (entry.isDirectory()) n += await count(join(dir, entry.name));
        else if (entry.isFile()) n++;
      return n;
    };
    for (const entry of await readdir(distribution, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory()) continue;
      namespaces.push(entry.name);
      metadataKeys += await count(join(distribution, entry.name));
    }
  }
  const notes = [`storage driver ${basename(driverDir)}: ${ids.length} image(s), ${untagged} without a name`];
  if (untagged > 0) notes.push('images without a name are named sha256:<image ID>, as containerd names them');
  if (namespaces.length > 0) notes.push(`distribution metadata namespaces: ${namespaces.sort().join(', ')}`);
  return {
    kind: 'docker',
    path: absolute,
    description: `Docker data root (image/${basename(driverDir)})`,
    namespaces: [options.namespace ?? 'docker'],
    images: refs.size + untagged,
    metadataKeys,
    notes,
  };
}

export const dockerImporter: Importer = { kind: 'docker', detect, read };

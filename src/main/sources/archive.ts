import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { isDigest, type Digest } from '../../shared/digest';
import { ImgmetaError, invalidArgument } from '../../shared/errors';
import { isImageName } from '../../shared/reference';
import { limits } from '../../shared/schemas';
import type { Descriptor } from '../../shared/types';
import { LayerCopies } from './layer-copies';
import {
  checkLayoutFile,
  checkNamespace,
  derivedName,
  describeIndex,
  mediaTypes,
  parseIndexJson,
  parseDescriptor,
  parseJson,
  walkLayout,
  type LayoutBlobs,
} from './oci-index';
import {
  listTar,
  maxListBytes,
  readEntries,
  resolveEntry,
  safeEntryName,
  scanTar,
  type TarEntry,
} from './tar';
import {
  emptyBatch,
  type Detection,
  type ImportBatch,
  type ImportContent,
  type ImportImage,
  type ImportLayer,
  type Importer,
  type ReadOptions,
  type SourceKind,
} from './types';
import { checkStoredSize, throwIfAborted, verifyBytes } from './verify';

/**
 * kinds `oci-archive` (a tar of an OCI image layout: skopeo `oci-archive:`, buildx `type=oci`) and `docker-archive`
 * (`docker save`, skopeo `docker-archive:`; since Docker 25 with an OCI layout inside). Plain or gzip'd tars,
 * streamed once: every entry is hashed on the way, the small JSON ones kept, and everything is checked at the end,
 * because `manifest.json` / `index.json` may come after the blobs.
 */

type ArchiveKind = Extract<SourceKind, 'oci-archive' | 'docker-archive'>;

const hasFile = (entries: Map<string, TarEntry>, name: string, archive: string) =>
  resolveEntry(entries, name, archive) !== undefined;

/** The bytes of a small entry: kept by the scan, or read in a second pass. */
async function bytesOf(
  entry: TarEntry,
  path: string,
  archive: string,
  signal: AbortSignal,
  max: number = limits.valueBytes,
): Promise<Uint8Array> {
  if (entry.bytes) return entry.bytes;
  if (entry.size > max)
    throw invalidArgument(`${archive}: ${entry.name} is ${entry.size} bytes; larger than ${max}`);
  await readEntries(path, archive, new Map([[entry.name, entry]]), { signal });
  return entry.bytes!;
}

/** Writes a kept-in-memory entry out for `--keep-layers` (entries streamed past were copied by the scan). */
async function copyOf(entry: TarEntry, copies: LayerCopies | undefined): Promise<string | undefined> {
  if (!copies) return undefined;
  if (entry.file !== undefined) return entry.file;
  const file = copies.nextFile();
  await writeFile(file, entry.bytes ?? new Uint8Array(), { flag: 'wx', mode: 0o600 });
  entry.file = file;
  return file;
}

class TarBlobs implements LayoutBlobs {
  constructor(
    private readonly entries: Map<string, TarEntry>,
    private readonly path: string,
    private readonly archive: string,
    private readonly signal: AbortSignal,
    private readonly copies: LayerCopies | undefined,
  ) {}

  private find(digest: Digest): { entry: TarEntry | undefined; name: string } {
    const colon = digest.indexOf(':');
    const name = `blobs/${digest.slice(0, colon)}/${digest.slice(colon + 1)}`;
    return { entry: resolveEntry(this.entries, name, this.archive), name };
  }

  async small(descriptor: Descriptor, what: string): Promise<Uint8Array> {
    const { entry, name } = this.find(descriptor.digest);
    const label = `${this.archive}: ${what} (${name})`;
    if (!entry) throw invalidArgument(`${label} is missing`);
    checkStoredSize(entry.size, descriptor, label);
    const bytes = await bytesOf(entry, this.path, this.archive, this.signal);
    verifyBytes(bytes, descriptor, label);
    return bytes;
  }

  async large(
    descriptor: Descriptor,
    what: string,
  ): Promise<{ present: false } | { present: true; file?: string }> {
    const { entry, name } = this.find(descriptor.digest);
    const label = `${this.archive}: ${what} (${name})`;
    if (!entry) return { present: false };
    checkStoredSize(entry.size, descriptor, label);
    let actual = descriptor.digest.startsWith('sha512:') ? entry.sha512 : entry.sha256;
    if (actual === undefined && entry.bytes)
      actual = `sha512:${createHash('sha512').update(entry.bytes).digest('hex')}`;
    if (actual === undefined)
      throw invalidArgument(
        `${label}: a sha512 blob reached through a link outside blobs/sha512/ cannot be verified`,
      );
    if (actual !== descriptor.digest)
      throw invalidArgument(`${label}: digest mismatch: the bytes hash to ${actual}`);
    return { present: true, file: await copyOf(entry, this.copies) };
  }
}

/** Every regular file under `blobs/<alg>/<encoded>` must hash to its name, referenced or not: the file is verified whole. */
function checkBlobNames(entries: Map<string, TarEntry>, archive: string): void {
  for (const entry of entries.values()) {
    if (entry.type !== 'file') continue;
    const match = /^blobs\/(sha256|sha512)\/([^/]+)$/.exec(entry.name);
    if (!match) continue;
    const digest = `${match[1]}:${match[2]}`;
    if (!isDigest(digest)) continue;
    const actual = match[1] === 'sha512' ? entry.sha512 : entry.sha256;
    if (actual !== digest)
      throw invalidArgument(`${archive}: ${entry.name}: digest mismatch: the bytes hash to ${actual}`);
  }
}

interface ArchiveContext {
  path: string;
  archive: string;
  entries: Map<string, TarEntry>;
  options: ReadOptions;
  namespace: string;
  copies: LayerCopies | undefined;
}

async function readLayoutInside(ctx: ArchiveContext, kind: ArchiveKind): Promise<ImportBatch> {
  const { entries, archive, path, options } = ctx;
  const layoutEntry = resolveEntry(entries, 'oci-layout', archive)!;
  checkLayoutFile(
    await bytesOf(layoutEntry, path, archive, options.signal, 64 * 1024),
    `${archive}: oci-layout`,
  );
  const indexEntry = resolveEntry(entries, 'index.json', archive)!;
  const indexBytes = await bytesOf(indexEntry, path, archive, options.signal, maxListBytes);
  checkBlobNames(entries, archive);
  const result = await walkLayout(
    new TarBlobs(entries, path, archive, options.signal, ctx.copies),
    indexBytes,
    {
      where: archive,
      namespace: ctx.namespace,
      derivedName: derivedName(path),
      derivedFrom: 'file name',
      signal: options.signal,
      progress: options.progress,
    },
  );
  const notes =
    kind === 'docker-archive'
      ? [
          'docker save archive with an OCI layout inside: imported from its index.json (real manifest digests); manifest.json was not used',
          ...result.notes,
        ]
      : result.notes;
  return { ...emptyBatch(kind), ...result, notes };
}

interface SaveEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
  /** Foreign layers (Windows base layers) by diff ID: `docker save` leaves their bytes out. */
  LayerSources: Record<string, Descriptor>;
}

/** `manifest.json` of `docker save`: `[{Config, RepoTags, Layers}]`, checked field by field. */
function parseSaveManifest(bytes: Uint8Array, archive: string): SaveEntry[] {
  const where = `${archive}: manifest.json`;
  const doc = parseJson(bytes, where);
  if (!Array.isArray(doc)) throw invalidArgument(`${where}: not a JSON array`);
  if (doc.length > 100_000) throw invalidArgument(`${where}: more than 100000 entries`);
  return doc.map((item, i) => {
    const at = `${where} [${i}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item))
      throw invalidArgument(`${at}: not an object`);
    const { Config, RepoTags, Layers, LayerSources } = item as Record<string, unknown>;
    if (typeof Config !== 'string' || Config === '')
      throw invalidArgument(`${at}: Config must be a file name`);
    if (RepoTags !== undefined && RepoTags !== null && !Array.isArray(RepoTags))
      throw invalidArgument(`${at}: RepoTags must be an array`);
    if (!Array.isArray(Layers)) throw invalidArgument(`${at}: Layers must be an array`);
    const tags = (RepoTags ?? []) as unknown[];
    tags.forEach((tag, j) => {
      if (typeof tag !== 'string') throw invalidArgument(`${at}: RepoTags[${j}] must be a string`);
    });
    Layers.forEach((layer, j) => {
      if (typeof layer !== 'string' || layer === '')
        throw invalidArgument(`${at}: Layers[${j}] must be a file name`);
    });
    const sources: Record<string, Descriptor> = {};
    if (LayerSources !== undefined && LayerSources !== null) {
      if (typeof LayerSources !== 'object' || Array.isArray(LayerSources))
        throw invalidArgument(`${at}: LayerSources must be an object`);
      for (const [diffId, source] of Object.entries(LayerSources))
        sources[diffId] = parseDescriptor(source, `${at} LayerSources[${diffId}]`);
    }
    return { Config, RepoTags: tags as string[], Layers: Layers as string[], LayerSources: sources };
  });
}

/** The diff IDs a Docker image config lists (`rootfs.diff_ids`). */
function diffIdsOf(config: unknown, where: string): Digest[] {
  const rootfs =
    config && typeof config === 'object' && !Array.isArray(config)
      ? (config as Record<string, unknown>).rootfs
      : undefined;
  const ids =
    rootfs && typeof rootfs === 'object' && !Array.isArray(rootfs)
      ? (rootfs as Record<string, unknown>).diff_ids
      : undefined;
  if (!Array.isArray(ids)) throw invalidArgument(`${where}: the config has no rootfs.diff_ids`);
  ids.forEach((id, i) => {
    if (typeof id !== 'string' || !isDigest(id))
      throw invalidArgument(`${where}: rootfs.diff_ids[${i}] ${JSON.stringify(id)} is not a valid digest`);
  });
  return ids as Digest[];
}

/**
 * A `docker save` archive without an OCI layout: no manifest exists, so none is invented. Each image points at its
 * config (the image ID); its layers are the uncompressed tars whose sha256 are the config's diff IDs.
 */
async function readDockerSave(ctx: ArchiveContext): Promise<ImportBatch> {
  const { entries, archive, path, options, namespace } = ctx;
  const manifestEntry = resolveEntry(entries, 'manifest.json', archive)!;
  const list = parseSaveManifest(
    await bytesOf(manifestEntry, path, archive, options.signal, maxListBytes),
    archive,
  );
  const content = new Map<Digest, ImportContent>();
  const images = new Map<string, ImportImage>();
  const layers = new Map<Digest, ImportLayer>();
  const notes = [
    'docker save archive: no manifest digest exists in the archive and none was invented; each image points at its config (the image ID)',
  ];
  let bytes = 0;
  for (const [i, item] of list.entries()) {
    throwIfAborted(options.signal);
    const at = `${archive}: manifest.json [${i}]`;
    const configName = resolveNamed(item.Config, `${at} Config`);
    const configEntry = resolveEntry(entries, configName, archive);
    if (!configEntry) throw invalidArgument(`${at}: config ${item.Config} is not in the archive`);
    if (configEntry.size > limits.valueBytes)
      throw invalidArgument(
        `${at}: config ${item.Config} is ${configEntry.size} bytes; larger than ${limits.valueBytes}`,
      );
    const configBytes = await bytesOf(configEntry, path, archive, options.signal);
    const digest = configEntry.sha256!;
    // The file is named after its digest (`<hex>.json`, `blobs/sha256/<hex>`): a name that disagrees is corruption.
    const named = /(?:^|\/)([0-9a-f]{64})(?:\.json)?$/.exec(configName)?.[1];
    if (named !== undefined && `sha256:${named}` !== digest)
      throw invalidArgument(`${at}: config ${item.Config}: digest mismatch: the bytes hash to ${digest}`);
    const config = parseJson(configBytes, `${at}: config ${item.Config}`);
    const diffIds = diffIdsOf(config, `${at}: config ${item.Config}`);
    if (diffIds.length !== item.Layers.length)
      throw invalidArgument(
        `${at}: ${item.Layers.length} layers, but the config lists ${diffIds.length} diff IDs`,
      );
    for (const [j, layerName] of item.Layers.entries()) {
      const name = resolveNamed(layerName, `${at} Layers[${j}]`);
      const layer = resolveEntry(entries, name, archive);
      const diffId = diffIds[j]!;
      if (!layer) {
        const foreign = Object.hasOwn(item.LayerSources, diffId) ? item.LayerSources[diffId] : undefined;
        if (foreign?.urls && foreign.urls.length > 0) {
          notes.push(
            `foreign layer ${diffId} (${at} Layers[${j}], with urls) is not in the archive; as docker save leaves it`,
          );
          continue;
        }
        throw invalidArgument(`${at}: layer ${layerName} is not in the archive`);
      }
      const actual = diffId.startsWith('sha512:') ? layer.sha512 : layer.sha256;
      if (actual !== diffId)
        throw invalidArgument(
          `${at}: layer ${layerName} does not match rootfs.diff_ids[${j}] ${diffId}: the bytes hash to ${actual ?? 'something else'}`,
        );
      const file = layers.has(diffId) ? undefined : await copyOf(layer, ctx.copies);
      if (file !== undefined) layers.set(diffId, { digest: diffId, size: layer.size, file });
      bytes += layer.size;
    }
    if (!content.has(digest))
      content.set(digest, { digest, mediaType: mediaTypes.dockerConfig, bytes: configBytes });
    const target: Descriptor = { mediaType: mediaTypes.dockerConfig, digest, size: configBytes.byteLength };
    const names = item.RepoTags.length > 0 ? item.RepoTags : [digest];
    if (item.RepoTags.length === 0) notes.push(`manifest.json [${i}] has no RepoTags: imported as ${digest}`);
    for (const name of names) {
      if (!isImageName(name))
        throw invalidArgument(`${at}: RepoTags ${JSON.stringify(name)} is not a valid image name`);
      const existing = images.get(name);
      if (existing && existing.target.digest !== digest)
        throw invalidArgument(
          `${archive}: manifest.json gives ${name} to two images (${existing.target.digest} and ${digest})`,
        );
      if (!existing) images.set(name, { namespace, name, target, labels: {} });
    }
    options.progress({ phase: 'verifying layers', items: i + 1, totalItems: list.length, bytes });
  }
  return {
    ...emptyBatch('docker-archive'),
    content: [...content.values()],
    images: [...images.values()],
    layers: [...layers.values()],
    notes,
  };
}

/** A file name from manifest.json as an archive path: the same rules as entry names (nothing outside). */
function resolveNamed(raw: string, what: string): string {
  try {
    return safeEntryName(raw, what);
  } catch {
    throw invalidArgument(`${what}: ${JSON.stringify(raw)} points outside the archive; refused`);
  }
}

async function readArchive(path: string, options: ReadOptions, asked: ArchiveKind): Promise<ImportBatch> {
  throwIfAborted(options.signal);
  const absolute = resolve(path);
  const archive = absolute;
  const namespace = checkNamespace(options.namespace ?? 'default');
  const copies = options.keepLayers ? new LayerCopies(options.tempDir) : undefined;
  try {
    await copies?.prepare();
    const entries = await scanTar(absolute, archive, {
      signal: options.signal,
      progress: options.progress,
      copyFile: copies ? () => copies.nextFile() : undefined,
    });
    const ctx: ArchiveContext = { path: absolute, archive, entries, options, namespace, copies };
    const layout = hasFile(entries, 'oci-layout', archive);
    const saved = hasFile(entries, 'manifest.json', archive);
    if (layout && !hasFile(entries, 'index.json', archive))
      throw invalidArgument(`${archive}: an OCI layout without index.json`);
    let batch: ImportBatch;
    if (layout) batch = await readLayoutInside(ctx, saved ? 'docker-archive' : 'oci-archive');
    else if (saved) batch = await readDockerSave(ctx);
    else
      throw invalidArgument(
        `${archive}: neither a docker save archive (manifest.json) nor an OCI archive (oci-layout, index.json)`,
      );
    if (batch.kind !== asked) batch.notes.unshift(`read as ${batch.kind}: the archive is not an ${asked}`);
    await copies?.discard(new Set(batch.layers.map((l) => l.file)));
    return batch;
  } catch (err) {
    await copies?.discard();
    throw err;
  }
}

const neverAborted = new AbortController().signal;

/**
 * A tar made of a layout's or a docker save's directory rather than of its contents (`tar -cf app.tar layout/`)
 * holds everything under one folder. No reader takes that (skopeo, `ctr import` and `docker load` want the root),
 * so it is refused, saying what is inside and how to make the archive they all read.
 */
function refuseNestedRoot(names: Set<string>, archive: string): void {
  const tops = new Set([...names].map((name) => name.split('/')[0]!));
  if (tops.size !== 1) return;
  const [top] = tops;
  const layout = names.has(`${top}/oci-layout`);
  if (!layout && !names.has(`${top}/manifest.json`)) return;
  const remake = `make the archive from inside it (tar -C ${top} -cf ${basename(archive)} .)`;
  throw invalidArgument(
    layout
      ? `${archive} holds an OCI image layout under ${top}/ instead of at its root: import the extracted directory, or ${remake}`
      : `${archive} holds a docker save archive under ${top}/ instead of at its root: ${remake}`,
  );
}

async function detectArchive(
  path: string,
  options: { namespace?: string } | undefined,
  asked: ArchiveKind,
): Promise<Detection | undefined> {
  const absolute = resolve(path);
  let listing;
  try {
    listing = await listTar(
      absolute,
      absolute,
      new Set(['manifest.json', 'index.json', 'oci-layout']),
      neverAborted,
    );
  } catch (err) {
    // Not a file at all (a directory, a missing path) is simply not this kind; a corrupt archive is an error.
    const code = (err as NodeJS.ErrnoException).code;
    if (!(err instanceof ImgmetaError) && (code === 'EISDIR' || code === 'ENOENT' || code === 'ENOTDIR'))
      return undefined;
    throw err;
  }
  if (!listing) return undefined;
  const layout = listing.names.has('oci-layout') && listing.names.has('index.json');
  const saved = listing.names.has('manifest.json');
  if (!layout && !saved) refuseNestedRoot(listing.names, absolute);
  const kind: ArchiveKind | undefined = saved ? 'docker-archive' : layout ? 'oci-archive' : undefined;
  if (kind !== asked) return undefined;
  const namespace = checkNamespace(options?.namespace ?? 'default');
  const gz = listing.gzip ? "gzip'd " : '';
  let images = 0;
  let notes: string[] = [];
  let description: string;
  const indexBytes = listing.files.get('index.json');
  if (layout && indexBytes) {
    const derived = derivedName(absolute);
    ({ images, notes } = describeIndex(
      parseIndexJson(indexBytes, `${absolute}: index.json`),
      derived,
      `${absolute}: index.json`,
      'file name',
    ));
  }
  if (kind === 'oci-archive') description = `OCI archive (${gz}tar of an OCI image layout)`;
  else if (layout) description = `docker save archive (${gz}tar, with an OCI layout inside)`;
  else {
    description = `docker save archive (${gz}tar)`;
    const manifestBytes = listing.files.get('manifest.json');
    if (manifestBytes) {
      const list = parseSaveManifest(manifestBytes, absolute);
      images = list.reduce((sum, item) => sum + Math.max(item.RepoTags.length, 1), 0);
    }
    notes = [
      'no manifest digest exists in a docker save archive: images point at their config (the image ID)',
    ];
  }
  return { kind, path: absolute, description, namespaces: [namespace], images, metadataKeys: 0, notes };
}

export const ociArchiveImporter: Importer = {
  kind: 'oci-archive',
  detect: (path, options) => detectArchive(path, options, 'oci-archive'),
  read: (path, options) => readArchive(path, options, 'oci-archive'),
};

export const dockerArchiveImporter: Importer = {
  kind: 'docker-archive',
  detect: (path, options) => detectArchive(path, options, 'docker-archive'),
  read: (path, options) => readArchive(path, options, 'docker-archive'),
};

import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalidArgument } from '../../shared/errors';
import { mediaTypeSchema } from '../../shared/schemas';
import type { Descriptor } from '../../shared/types';
import { manifestMediaType } from './containers-storage';
import { openTree, readBounded, readDirectoryImages } from './directory-blobs';
import { checkNamespace, derivedName } from './oci-index';
import { maxListBytes } from './tar';
import { emptyBatch, type Detection, type ImportBatch, type Importer, type ReadOptions } from './types';
import { throwIfAborted } from './verify';

/**
 * kind `skopeo-dir`: what containers/image's `dir:` transport writes (`skopeo copy ... dir:PATH`, `podman push ...
 * dir:PATH`, `buildah push ... dir:PATH`): one image per directory,
 *
 *   version                      `Directory Transport Version: 1.1`
 *   manifest.json                the image's manifest, or its index (`--all`), as the registry served it
 *   <encoded>.manifest.json      each instance manifest of an index
 *   <encoded>                    every other blob (configs, layers), named by its digest's encoded part
 *   signature-N, <encoded>.signature-N   signatures (not imported)
 *
 * Version 1.0 named blobs `<encoded>.tar`; both are read. The transport records no image name, so the image is
 * named after the directory, `<directory>@<digest>` (a name without a tag, like any unnamed entry of a layout).
 * Read only: nothing in the directory is written.
 */

const versionFile = 'version';
const versionLine = /^Directory Transport Version: (\d+)\.(\d+)\n?$/;
const manifestFile = 'manifest.json';
/** The `version` file is one short line; anything longer is not this kind's. */
const maxVersionBytes = 256;

const encoded = (digest: string) => digest.slice(digest.indexOf(':') + 1);
/** Media types whose blobs an index's instances are: kept as `<encoded>.manifest.json`. */
const manifestLike = /manifest|index/;

/**
 * Reads `version` and `manifest.json` of a `dir:` directory; undefined when the directory is not one (no `version`
 * file saying so). A version file that says so with a version this reader does not know is an error.
 */
async function openDir(path: string) {
  const where = path;
  const files = await openTree(path, 'directory');
  if (!files) return undefined;
  const version = files.locate(versionFile);
  if (!version || version.size > maxVersionBytes) return undefined;
  const line = Buffer.from(await readBounded(version.path, maxVersionBytes, `${where}: version`)).toString(
    'utf8',
  );
  const parsed = versionLine.exec(line);
  if (!parsed) return undefined;
  if (parsed[1] !== '1')
    throw invalidArgument(
      `${where}: a containers/image dir: directory of transport version ${parsed[1]}.${parsed[2]}; this build reads version 1.x`,
    );
  const manifest = files.locate(manifestFile);
  if (!manifest) throw invalidArgument(`${where}: a containers/image dir: directory without manifest.json`);
  const bytes = await readBounded(manifest.path, maxListBytes, `${where}: manifest.json`);
  const mediaType = manifestMediaType(bytes);
  if (mediaType === undefined)
    throw invalidArgument(`${where}: manifest.json is not a JSON manifest or index`);
  if (!mediaTypeSchema.safeParse(mediaType).success)
    throw invalidArgument(`${where}: manifest.json has an invalid mediaType ${JSON.stringify(mediaType)}`);
  // The digest a registry serves it under: the sha256 of its bytes as they are (containers/image keeps them so).
  const target: Descriptor = {
    mediaType,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.byteLength,
  };
  return { files, target };
}

/** Signatures kept beside the image: counted for a note, never imported. */
async function signatureCount(path: string): Promise<number> {
  const names = await readdir(path).catch(() => [] as string[]);
  return names.filter((name) => /^(?:[0-9a-f]+\.)?signature-\d+$/.test(name)).length;
}

export const skopeoDirImporter: Importer = {
  kind: 'skopeo-dir',

  async detect(path: string, options?: { namespace?: string }): Promise<Detection | undefined> {
    const absolute = resolve(path);
    const dir = await openDir(absolute);
    if (!dir) return undefined;
    const namespace = checkNamespace(options?.namespace ?? 'default');
    return {
      kind: 'skopeo-dir',
      path: absolute,
      description: 'skopeo dir: directory (containers/image directory transport)',
      namespaces: [namespace],
      images: 1,
      metadataKeys: 0,
      notes: [
        `one image: manifest.json is ${dir.target.mediaType}`,
        `the dir: transport records no image name: imported as ${derivedName(absolute)}@${dir.target.digest}, after the directory name`,
      ],
    };
  },

  async read(path: string, options: ReadOptions): Promise<ImportBatch> {
    throwIfAborted(options.signal);
    const absolute = resolve(path);
    const dir = await openDir(absolute);
    if (!dir) throw invalidArgument(`${absolute}: not a containers/image dir: directory (no version file)`);
    const top = dir.target;
    // The candidates in the order they are likeliest: the first one names a missing blob in messages.
    const names = (d: Descriptor) => {
      const e = encoded(d.digest);
      if (d.digest === top.digest) return [manifestFile];
      return manifestLike.test(d.mediaType)
        ? [`${e}.manifest.json`, e, `${e}.tar`]
        : [e, `${e}.tar`, `${e}.manifest.json`];
    };
    const result = await readDirectoryImages(
      dir.files,
      names,
      [{ descriptor: top, what: manifestFile }],
      absolute,
      options,
    );
    const signatures = await signatureCount(absolute);
    if (signatures > 0)
      result.notes.push(`${signatures} signature file(s) beside the image were not imported`);
    return { ...emptyBatch('skopeo-dir'), ...result };
  },
};

import { join, resolve } from 'node:path';
import { invalidArgument } from '../../shared/errors';
import { openTree, readBounded, readDirectoryImages } from './directory-blobs';
import {
  checkLayoutFile,
  checkNamespace,
  derivedName,
  describeIndex,
  parseIndexJson,
  parseLayoutIndex,
} from './oci-index';
import { maxListBytes } from './tar';
import { emptyBatch, type Detection, type ImportBatch, type Importer, type ReadOptions } from './types';
import { throwIfAborted } from './verify';

/**
 * kind `oci-layout`: a directory holding `oci-layout`, `index.json` and `blobs/<alg>/<encoded>` (umoci, skopeo
 * `oci:`, buildx `type=oci,tar=false`, our own export). Read only: nothing in the directory is written or locked.
 */

const blobPath = (digest: string) => {
  const colon = digest.indexOf(':');
  return join('blobs', digest.slice(0, colon), digest.slice(colon + 1));
};

/** Reads `oci-layout` and `index.json` of a layout directory; undefined when the directory is not a layout. */
async function openLayout(path: string) {
  const where = path;
  const files = await openTree(path, 'layout');
  if (!files) return undefined;
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
    const { entries, absentLayersDeclared } = parseLayoutIndex(layout.indexBytes, absolute);
    const result = await readDirectoryImages(
      layout.files,
      (d) => [blobPath(d.digest)],
      entries,
      absolute,
      options,
      absentLayersDeclared,
    );
    return { ...emptyBatch('oci-layout'), ...result };
  },
};

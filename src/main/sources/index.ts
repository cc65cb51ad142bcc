import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalidArgument, notFound } from '../../shared/errors';
import { dockerArchiveImporter, ociArchiveImporter } from './archive';
import { containerdImporter } from './containerd';
import { containersStorageImporter } from './containers-storage';
import { dockerImporter } from './docker';
import { metadataDirImporter } from './metadata-dir';
import { ociLayoutImporter } from './oci-layout';
import { skopeoDirImporter } from './skopeo-dir';
import type { Detection, Importer } from './types';

/**
 * Every importer, in detection order: the kinds with unmistakable marks first (a layout's `oci-layout` file, a tar's
 * entries, bbolt's magic, `repositories.json`, `images.json`, a dir: directory's `version`), the file-per-key
 * metadata directory last, since any directory of directories of files looks like one.
 */
export const importers: Importer[] = [
  ociLayoutImporter,
  ociArchiveImporter,
  dockerArchiveImporter,
  containerdImporter,
  dockerImporter,
  containersStorageImporter,
  skopeoDirImporter,
  metadataDirImporter,
];

export interface Detected {
  importer: Importer;
  detection: Detection;
}

const expected =
  'expected an OCI image layout directory (oci-layout, index.json, blobs/), a docker save or OCI archive (.tar or ' +
  '.tar.gz), a containerd root or its meta.db, a Docker data root (or its image/<driver> directory), a ' +
  'containers/storage root (Podman, Buildah, CRI-O), a skopeo dir: directory (version, manifest.json), or a ' +
  'file-per-key metadata directory (<namespace>/<key>)';

/** The importer for a path, found from the path alone; nothing is written. */
export async function detectSource(path: string, options: { namespace?: string } = {}): Promise<Detected> {
  const absolute = resolve(path);
  try {
    await stat(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFound(`${absolute}: no such file or directory`);
    throw invalidArgument(`${absolute}: cannot read it (${code ?? (err as Error).message})`);
  }
  for (const importer of importers) {
    const detection = await importer.detect(absolute, options);
    if (detection) return { importer, detection };
  }
  throw invalidArgument(`${absolute} is not a source imgmeta can import: ${expected}`);
}

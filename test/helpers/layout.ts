import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf } from '../../src/main/store/content';
import type { Descriptor } from '../../src/shared/types';
import { json, oci } from './store';

/**
 * A small but complete OCI image layout written the way umoci and skopeo write one: `oci-layout`, `index.json` with
 * a `org.opencontainers.image.ref.name` per manifest, and every blob (layer included) under `blobs/sha256/`.
 */
export function writeLayout(
  dir: string,
  images: { ref: string; seed: string }[],
): { manifests: Descriptor[] } {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (bytes: Uint8Array, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor => {
    const digest = digestOf(bytes);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
    return { mediaType, digest, size: bytes.byteLength, ...extra };
  };
  const manifests = images.map(({ ref, seed }) => {
    const layer = put(new TextEncoder().encode(`layer bytes of ${seed}`), oci.layer);
    const config = put(
      json({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
      oci.config,
    );
    return put(json({ schemaVersion: 2, mediaType: oci.manifest, config, layers: [layer] }), oci.manifest, {
      annotations: { 'org.opencontainers.image.ref.name': ref },
    });
  });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: oci.index, manifests }),
  );
  return { manifests };
}

/** A temp directory for one case; `done` removes it. */
export function scratchDir(prefix = 'imgmeta-source-'): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

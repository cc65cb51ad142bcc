import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createService, type Service } from '../../src/main/service';
import { digestOf } from '../../src/main/store/content';
import { Store } from '../../src/main/store/store';
import type { Descriptor } from '../../src/shared/types';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

export function tempDir(prefix = 'imgmeta-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real store in a fresh temp directory, closed and removed after the test. */
export function tempStore(): { store: Store; service: Service; dir: string } {
  const dir = tempDir();
  const store = Store.open(join(dir, 'store'));
  cleanups.push(() => store.close());
  return { store, service: createService(store), dir: join(dir, 'store') };
}

export const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

export const oci = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export function descriptorOf(bytes: Uint8Array, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.byteLength, ...extra };
}

/** A config, a manifest with one (unstored) layer, as real OCI JSON. */
export function makeImage(seed: string, layerSize = 1000) {
  const config = json({ architecture: 'amd64', os: 'linux', config: { Env: [`SEED=${seed}`] }, rootfs: { type: 'layers', diff_ids: [] } });
  const layer: Descriptor = { mediaType: oci.layer, digest: digestOf(new TextEncoder().encode(`layer-${seed}`)), size: layerSize };
  const manifest = json({ schemaVersion: 2, mediaType: oci.manifest, config: descriptorOf(config, oci.config), layers: [layer] });
  return { config, manifest, layer, target: descriptorOf(manifest, oci.manifest) };
}

export async function putImageContent(service: Service, image: ReturnType<typeof makeImage>): Promise<void> {
  await service['content.put']({ bytes: image.config, mediaType: oci.config });
  await service['content.put']({ bytes: image.manifest, mediaType: oci.manifest });
}

export const fakeDigest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

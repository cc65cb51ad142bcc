import { cpSync, createReadStream, createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { expect } from 'vitest';
import type { ImportBatch } from '../../src/main/sources/types';
import type { Descriptor } from '../../src/shared/types';
import { parseInput } from '../../src/shared/validate';
import { tempDir } from '../helpers/store';
import { sha256 } from './helpers';

/** Shared by the OCI layout, archive and export tests: fixtures, temp layouts and tars, common checks. */

export const fixtures = join(__dirname, '..', 'fixtures');
export const umociLayout = join(fixtures, 'oci-layout-umoci', 'layout');
export const skopeo = join(fixtures, 'skopeo-archives');
export const dockerSaveTar = join(fixtures, 'docker-data-root', 'docker-save', 'all.tar');

export const oci = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
};

export interface ExpectedRef {
  ref: string;
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
  config?: { mediaType: string; digest: string; size: number };
  layers?: { mediaType: string; digest: string; size: number }[];
  manifests?: ExpectedRef[];
}

export const umociExpected = JSON.parse(
  readFileSync(join(fixtures, 'oci-layout-umoci', 'expected.json'), 'utf8'),
) as { refs: ExpectedRef[]; blobCount: number };

export { options, sha256 } from './helpers';
export const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** A writable copy of the umoci layout in a fresh temp dir, under the directory name `name`. */
export function copyLayout(name = 'layout'): string {
  const dir = join(tempDir('imgmeta-oci-'), name);
  cpSync(umociLayout, dir, { recursive: true });
  return dir;
}

/** An empty layout directory (oci-layout, empty index.json). */
export function emptyLayout(name = 'layout'): string {
  const dir = join(tempDir('imgmeta-oci-'), name);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeIndex(dir, []);
  return dir;
}

export function writeBlob(
  dir: string,
  bytes: Uint8Array,
  mediaType: string,
  extra: Partial<Descriptor> = {},
) {
  const digest = sha256(bytes);
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.byteLength, ...extra } as Descriptor;
}

export function writeIndex(dir: string, manifests: unknown[]): void {
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}

export const readIndex = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };

/** A manifest with a config and the given layers written into the layout; its descriptor. */
export function writeImage(
  dir: string,
  seed: string,
  layers: Descriptor[] = [],
  extra: Record<string, unknown> = {},
) {
  const config = writeBlob(
    dir,
    json({ architecture: 'amd64', os: 'linux', seed, rootfs: { type: 'layers', diff_ids: [] } }),
    oci.config,
  );
  return writeBlob(dir, json({ schemaVersion: 2, config, layers, ...extra }), oci.manifest);
}

export async function expectInvalid(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await expect(promise).rejects.toMatchObject({
    code: 'invalid_argument',
    message: expect.stringMatching(pattern),
  });
}

/** Every image record and content entry of a batch is one the store accepts as it is. */
export function expectStorable(batch: ImportBatch): void {
  for (const image of batch.images)
    parseInput('images.create', {
      namespace: image.namespace,
      name: image.name,
      target: image.target,
      labels: image.labels,
    });
  for (const blob of batch.content) {
    parseInput('content.put', { bytes: blob.bytes, mediaType: blob.mediaType, digest: blob.digest });
    expect(sha256(blob.bytes)).toBe(blob.digest);
  }
}

export { byName } from './helpers';
export const contentDigests = (batch: ImportBatch) => batch.content.map((c) => c.digest).sort();
export const stripTarget = (d: Descriptor) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });

export interface TarItem {
  header: tar.Header;
  data: Buffer;
}

/** All entries of a (small) fixture tar, in order. */
export async function readTar(path: string): Promise<TarItem[]> {
  const extract = tar.extract();
  const items: TarItem[] = [];
  const done = pipeline(createReadStream(path), extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
    items.push({ header: entry.header, data: Buffer.concat(chunks) });
  }
  await done;
  return items;
}

/** Writes entries as a tar (gzip'd on request) in a fresh temp dir; returns its path. */
export async function writeTar(items: TarItem[], name = 'archive.tar', gzip = false): Promise<string> {
  const path = join(tempDir('imgmeta-tar-'), name);
  const pack = tar.pack();
  const out = createWriteStream(path);
  const done = gzip
    ? pipeline(pack as unknown as NodeJS.ReadableStream, createGzip(), out)
    : pipeline(pack as unknown as NodeJS.ReadableStream, out);
  for (const { header, data } of items) {
    const type = header.type ?? 'file';
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry({ ...header, size: data.length }, data, cb);
      else pack.entry({ ...header, size: 0 }, Buffer.alloc(0), cb);
    });
  }
  pack.finalize();
  await done;
  return path;
}

export const file = (name: string, data: Buffer | string): TarItem => ({
  header: { name, type: 'file' } as tar.Header,
  data: Buffer.from(data),
});
export const link = (name: string, linkname: string, type: 'symlink' | 'link' = 'symlink'): TarItem => ({
  header: { name, type, linkname } as tar.Header,
  data: Buffer.alloc(0),
});

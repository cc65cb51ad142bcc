import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createService, type Service } from '../../src/main/service';
import { digestOf } from '../../src/main/store/content';
import { createImage } from '../../src/main/store/images';
import { Store } from '../../src/main/store/store';
import type { Descriptor, ImageRecord } from '../../src/shared/types';

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

/**
 * A store that outlives one test (for a large fixture built once in beforeAll): the caller disposes of it in
 * afterAll. `path` opens an existing store directory instead of a fresh one.
 */
export function openStore(path?: string): {
  store: Store;
  service: Service;
  dir: string;
  dispose: () => void;
} {
  const base = path === undefined ? mkdtempSync(join(tmpdir(), 'imgmeta-test-')) : undefined;
  const dir = path ?? join(base!, 'store');
  const store = Store.open(dir);
  return {
    store,
    service: createService(store),
    dir,
    dispose: () => {
      store.close();
      if (base !== undefined) rmSync(base, { recursive: true, force: true });
    },
  };
}

export const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

export const oci = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export function descriptorOf(
  bytes: Uint8Array,
  mediaType: string,
  extra: Partial<Descriptor> = {},
): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.byteLength, ...extra };
}

/** A config, a manifest with one (unstored) layer, as real OCI JSON. */
export function makeImage(seed: string, layerSize = 1000) {
  const config = json({
    architecture: 'amd64',
    os: 'linux',
    config: { Env: [`SEED=${seed}`] },
    rootfs: { type: 'layers', diff_ids: [] },
  });
  const layer: Descriptor = {
    mediaType: oci.layer,
    digest: digestOf(new TextEncoder().encode(`layer-${seed}`)),
    size: layerSize,
  };
  const manifest = json({
    schemaVersion: 2,
    mediaType: oci.manifest,
    config: descriptorOf(config, oci.config),
    layers: [layer],
  });
  return { config, manifest, layer, target: descriptorOf(manifest, oci.manifest) };
}

export async function putImageContent(service: Service, image: ReturnType<typeof makeImage>): Promise<void> {
  await service['content.put']({ bytes: image.config, mediaType: oci.config });
  await service['content.put']({ bytes: image.manifest, mediaType: oci.manifest });
}

export const fakeDigest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

// ---- shared by the store/service suites ---------------------------------------------------------------------

/**
 * Lets lmdb-js renew its read snapshot. A read keeps its snapshot until a `setTimeout(…, 0)` lmdb-js set when the
 * snapshot was taken; a timer set after it fires after it (setImmediate may not: the test then saw the old snapshot
 * whenever it ran alone).
 */
export const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export interface SeedImage {
  namespace: string;
  name: string;
  target: Descriptor;
  labels?: Record<string, string>;
  /** ms since the epoch; the transaction's time when absent. */
  createdAt?: number;
}

/** A create-input for an image whose target is a fake (unstored) manifest. */
export function imageInput(
  namespace: string,
  name: string,
  n: number,
  extra: { size?: number; labels?: Record<string, string>; mediaType?: string } = {},
) {
  return {
    namespace,
    name,
    target: {
      mediaType: extra.mediaType ?? oci.manifest,
      digest: fakeDigest(n),
      size: extra.size ?? 1000 + n,
    },
    labels: extra.labels ?? {},
  };
}

/** Many images in one transaction through the store module itself (what an importer does), with chosen times. */
export function seedImages(store: Store, images: SeedImage[]): void {
  store.write((ctx) => {
    for (const image of images) {
      const times =
        image.createdAt !== undefined
          ? { createdAt: image.createdAt, updatedAt: image.createdAt }
          : undefined;
      createImage(
        store.env,
        ctx,
        { namespace: image.namespace, name: image.name, target: image.target, labels: image.labels ?? {} },
        times,
      );
    }
  });
}

type ListQuery = Parameters<Service['images.list']>[0];

/** Every page of a list, following nextCursor; fails on a page that is not full before the last one. */
export async function listAll(
  service: Service,
  query: ListQuery,
  limit = 100,
): Promise<{ items: ImageRecord[]; pages: number; totals: number[] }> {
  const items: ImageRecord[] = [];
  const totals: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await service['images.list']({
      ...query,
      limit,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    items.push(...page.items);
    totals.push(page.total);
    pages++;
    cursor = page.nextCursor;
    if (pages > 100_000) throw new Error('paging does not end');
  } while (cursor !== undefined);
  return { items, pages, totals };
}

export const refOf = (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`;

/**
 * Everything a user can observe of a store through the API (and the raw content records), for "a failed operation
 * changes nothing": compare a snapshot before and after.
 */
export async function snapshot(service: Service, store: Store) {
  const images = (await listAll(service, {}, 1000)).items;
  const trash: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await service['trash.list']({ limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
    trash.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  const metadata: Record<string, unknown[]> = {};
  for (const { namespace } of await service['metadata.namespaces']({})) {
    const values: unknown[] = [];
    let next: string | undefined;
    do {
      const page = await service['metadata.list']({
        namespace,
        limit: 1000,
        ...(next !== undefined ? { cursor: next } : {}),
      });
      for (const info of page.items)
        values.push({
          ...info,
          value: Buffer.from((await service['metadata.get']({ namespace, key: info.key })).value).toString(
            'hex',
          ),
        });
      next = page.nextCursor;
    } while (next !== undefined);
    metadata[namespace] = values;
  }
  const content: unknown[] = [];
  for (const key of [...store.env.dbs.content.getKeys()]) {
    content.push(await service['content.info']({ digest: key }));
  }
  const { bytesOnDisk: _bytesOnDisk, ...info } = await service['store.info']({});
  const namespaces = await service['images.namespaces']({});
  return { images, trash, metadata, content, info, namespaces, changeSeq: store.changeSeq() };
}

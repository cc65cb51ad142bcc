// imgmeta's own store, driven through the calls the service makes (src/main/service.ts), minus input validation
// and the async wrapper: keep the calls in step with service.ts when the store's signatures change.
import { putContent } from '../src/main/store/content';
import { collect } from '../src/main/store/gc';
import { insertImage, type ListQuery } from '../src/main/store/images';
import { getValue, listKeys, setValue, setValues } from '../src/main/store/metadata';
import { Store } from '../src/main/store/store';
import type { ImageRecord, ImageRef, Page } from '../src/shared/types';
import { metadataNamespace, type BlobSpec, type ImageSpec } from './data';
import type { ImagePeer, MetadataListing, MetadataPeer, PageQuery, PageResult } from './peers';

const toQuery = (q: PageQuery): ListQuery => ({
  sort: q.sort,
  order: q.order,
  offset: q.offset,
  limit: q.limit,
  filter: q.label !== undefined ? { labels: [q.label] } : undefined,
});

const toResult = (page: Page<ImageRecord>): PageResult => ({
  items: page.items,
  total: page.total,
  cursor: page.nextCursor,
});

export class Imgmeta implements ImagePeer, MetadataPeer {
  readonly id = 'imgmeta';
  store: Store;

  constructor(private readonly path: string) {
    this.store = Store.open(path);
  }

  /** A fresh Store on the same environment: what a new process sees (an empty catalog, no memoized results). */
  reopen(): void {
    this.store.close();
    this.store = Store.open(this.path);
  }

  putBlobs(blobs: BlobSpec[]): void {
    this.store.write((ctx) => {
      for (const b of blobs)
        putContent(this.store.env, ctx, { bytes: b.bytes, mediaType: b.mediaType, digest: b.digest });
    });
  }

  /**
   * The bulk import the store is designed for: many insertImage calls in one store.write transaction (what the
   * importers' commitBatch does; createImage would also build each API record, which a bulk load does not return).
   */
  createImages(images: ImageSpec[]): void {
    const env = this.store.env;
    this.store.write((ctx) => {
      for (const i of images) {
        insertImage(
          env,
          ctx,
          { namespace: i.namespace, name: i.name, target: i.target, labels: i.labels },
          { createdAt: i.createdAt, updatedAt: i.updatedAt },
        );
      }
    });
  }

  /** The total `images.list` reports for all namespaces: one maintained count. */
  countAll(): number {
    return this.store.env.count(['images*']);
  }

  countNamespace(namespace: string): number {
    return this.store.imageNamespaces().find((ns) => ns.namespace === namespace)?.images ?? 0;
  }

  page(q: PageQuery): PageResult {
    return toResult(this.store.listImages(toQuery(q)));
  }

  nextPage(q: PageQuery, previous: PageResult): PageResult {
    return toResult(
      this.store.listImages({ ...toQuery(q), offset: undefined, cursor: previous.cursor as string }),
    );
  }

  nameContains(needle: string, limit: number): PageResult {
    return toResult(this.store.listImages({ sort: 'name', order: 'asc', limit, filter: { name: needle } }));
  }

  deleteImages(refs: ImageRef[]): void {
    this.store.deleteImages({ images: refs, dryRun: false, purge: true, force: true });
  }

  gc(): number {
    return this.store.write((ctx) => collect(this.store.env, ctx)).digests.length;
  }

  setMany(entries: { key: string; value: Uint8Array }[]): void {
    this.store.write((ctx) =>
      setValues(
        this.store.env,
        ctx,
        metadataNamespace,
        entries.map((e) => [e.key, e.value]),
      ),
    );
  }

  setOne(key: string, value: Uint8Array): void {
    this.store.write((ctx) => setValue(this.store.env, ctx, { namespace: metadataNamespace, key, value }));
  }

  get(key: string): Uint8Array | undefined {
    return getValue(this.store.env, metadataNamespace, key).value;
  }

  list(prefix: string, limit: number): MetadataListing {
    const page = listKeys(this.store.env, this.store.positions, {
      namespace: metadataNamespace,
      prefix,
      limit,
    });
    return { keys: page.items.map((i) => i.key), total: page.total };
  }

  close(): void {
    this.store.close();
  }
}

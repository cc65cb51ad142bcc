import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DeleteResult, ImageRef, NamespaceCount, StoreInfo } from '../../shared/types';
import { Catalog } from './catalog';
import { contentCount } from './gc';
import { StoreEnv, type StoreEnvOptions, type WriteContext } from './env';
import { listByIndex, type ListQuery } from './images';
import { SparsePositions } from './positions';
import { metadataKeyCount, namespaces as metadataNamespaces } from './metadata';
import { deleteImages, type DeleteRequest } from './trash';
import { refId } from './records';

/**
 * One open store: the LMDB environment plus this process's catalog. Operations live in the modules named after what
 * they hold (images, content, metadata, trash, gc, check); this class only ties them to one environment and keeps
 * the per-process state.
 */
export class Store {
  readonly catalog: Catalog;
  readonly positions: SparsePositions;

  private constructor(readonly env: StoreEnv) {
    this.catalog = new Catalog(env);
    this.positions = new SparsePositions(env);
  }

  static open(path: string, options: StoreEnvOptions = {}): Store {
    return new Store(StoreEnv.open(path, options));
  }

  /**
   * Opens the store for writing, or read-only when it exists and this user cannot write it (a store on a read-only
   * filesystem, a backup mounted read-only, another user's files): what the CLI, the server and the app open, so that
   * such a store can still be listed and inspected, and every write is refused saying why (createService). A
   * read-write open there failed before anything could be read ("Read-only file system").
   */
  static openAsAllowed(path: string): Store {
    return Store.open(path, { readOnly: !writable(path) });
  }

  /** Whether this process opened the store read-only. */
  get readOnly(): boolean {
    return this.env.readOnly;
  }

  get path(): string {
    return this.env.path;
  }

  write<T>(fn: (ctx: WriteContext) => T): T {
    return this.env.write(fn);
  }

  changeSeq(): number {
    return this.env.changeSeq();
  }

  listImages(q: ListQuery) {
    return listByIndex(this.env, this.positions, q) ?? this.catalog.list(q);
  }

  /**
   * Deletion by names or by a filter (less the `except` names); the filter is resolved in the same transaction that
   * deletes.
   */
  deleteImages(
    request: Omit<DeleteRequest, 'images'> & {
      images?: ImageRef[];
      matching?: Pick<ListQuery, 'namespace' | 'filter'>;
      except?: ImageRef[];
    },
  ): DeleteResult {
    const kept = new Set((request.except ?? []).map(refId));
    const resolve = () => [
      ...(request.images ?? []),
      ...(request.matching
        ? this.catalog.matching(request.matching).filter((r) => kept.size === 0 || !kept.has(refId(r)))
        : []),
    ];
    if (request.dryRun) return deleteImages(this.env, undefined, { ...request, images: resolve() });
    return this.write((ctx) => deleteImages(this.env, ctx, { ...request, images: resolve() }));
  }

  imageNamespaces(): NamespaceCount[] {
    const byName = new Map<string, NamespaceCount>();
    const entry = (namespace: string) =>
      byName.get(namespace) ?? byName.set(namespace, { namespace, images: 0, trash: 0 }).get(namespace)!;
    for (const { key, value } of this.env.countsUnder(['images'])) entry(key[1] as string).images = value;
    for (const { key, value } of this.env.countsUnder(['trash'])) entry(key[1] as string).trash = value;
    return [...byName.values()].sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
  }

  info(): Omit<StoreInfo, 'readOnly'> {
    const meta = metadataNamespaces(this.env);
    return {
      path: this.env.path,
      schema: this.env.schema(),
      changeSeq: this.env.changeSeq(),
      bytesOnDisk: this.env.bytesOnDisk(),
      images: this.env.count(['images*']),
      namespaces: this.imageNamespaces().filter((n) => n.images > 0).length,
      trash: this.env.count(['trash*']),
      content: contentCount(this.env),
      contentBytes: this.env.count(['contentBytes']),
      metadataNamespaces: meta.length,
      metadataKeys: metadataKeyCount(this.env),
    };
  }

  close(): void {
    this.env.close();
  }
}

/**
 * Whether this user can write the store at `path`: true for a directory that does not hold one yet (creating it
 * reports its own errors), otherwise whether the directory and the files LMDB writes are writable.
 */
function writable(path: string): boolean {
  if (!existsSync(join(path, 'data.mdb'))) return true;
  for (const file of [path, join(path, 'data.mdb'), join(path, 'lock.mdb')]) {
    try {
      if (existsSync(file)) accessSync(file, constants.W_OK);
    } catch {
      return false;
    }
  }
  return true;
}

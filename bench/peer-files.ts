// Docker's distribution metadata store (../shared/seeds/docker-distribution-metadata-store.txt): one file per key
// under <base>/<namespace>/<key>, each Set an atomic write: create a temp file beside it, write, fsync, close, rename.
// Docker does not fsync the directory after the rename; `syncDirectory` adds that, which a rename needs to survive a
// crash, for the single durable set compared with the other stores' durable commits.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { metadataNamespace } from './data';
import type { MetadataListing, MetadataPeer } from './peers';

export class FilePerKey implements MetadataPeer {
  readonly id = 'files';
  private tempCounter = 0;

  constructor(
    private readonly base: string,
    private readonly syncDirectory = false,
  ) {
    mkdirSync(base, { recursive: true, mode: 0o700 });
  }

  private path(key: string): string {
    return join(this.base, metadataNamespace, key);
  }

  /**
   * Docker's Set: MkdirAll of the key's directory, then an atomic write of the file. `fsync` false only for `fill`:
   * the same files, written without waiting for the disk.
   */
  private set(key: string, value: Uint8Array, syncDirectory: boolean, fsync = true): void {
    const path = this.path(key);
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const temp = join(
      dir,
      `.tmp-${key.slice(key.lastIndexOf('/') + 1)}-${process.pid}-${this.tempCounter++}`,
    );
    const fd = openSync(temp, 'wx', 0o644);
    try {
      writeSync(fd, value);
      if (fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    if (syncDirectory) {
      const dirFd = openSync(dir, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    }
  }

  /** There is no batch in a file-per-key store: one atomic write per key. */
  setMany(entries: { key: string; value: Uint8Array }[]): void {
    for (const e of entries) this.set(e.key, e.value, this.syncDirectory);
  }

  /**
   * Setup, never timed: the keys the listing and get rows read, written like setMany but without the fsync (100,000
   * fsynced writes take 2-4 minutes here, and the files and directory they leave are the same). One syncfs at the
   * end puts them on disk, so that the next durable write does not pay for flushing them.
   */
  fill(entries: { key: string; value: Uint8Array }[]): void {
    for (const e of entries) this.set(e.key, e.value, false, false);
    execFileSync('sync', ['-f', this.base]);
  }

  setOne(key: string, value: Uint8Array): void {
    this.set(key, value, true);
  }

  get(key: string): Uint8Array | undefined {
    try {
      return readFileSync(this.path(key));
    } catch {
      return undefined;
    }
  }

  /** The store has no listing: walk the namespace directory, sort the names, stat the page's files for their sizes. */
  list(prefix: string, limit: number): MetadataListing {
    const root = join(this.base, metadataNamespace);
    const keys = readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.tmp-'))
      .map((e) => (e.parentPath === root ? e.name : `${e.parentPath.slice(root.length + 1)}/${e.name}`))
      .filter((k) => k.startsWith(prefix))
      .sort();
    const page = keys.slice(0, limit);
    for (const key of page) statSync(join(root, key));
    return { keys: page, total: keys.length };
  }

  close(): void {}
}

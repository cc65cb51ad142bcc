import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../src/main/store/content';
import { mapSizeWithin, schemaVersion, storeMapSize, storePageSize } from '../../src/main/store/env';
import { Store } from '../../src/main/store/store';
import { ImgmetaError } from '../../src/shared/errors';
import {
  fakeDigest,
  imageInput,
  makeImage,
  oci,
  openStore,
  putImageContent,
  tempDir,
  tempStore,
} from '../helpers/store';

/** Opens a store directory with lmdb directly, the way another program (or a newer imgmeta) would. */
function withRawEnv(path: string, fn: (root: ReturnType<typeof open>) => void): void {
  const root = open({ path, maxDbs: 16 });
  try {
    fn(root);
  } finally {
    root.close();
  }
}

function openError(path: string, options: { readOnly?: boolean } = {}): ImgmetaError {
  try {
    Store.open(path, options).close();
  } catch (err) {
    expect(err).toBeInstanceOf(ImgmetaError);
    return err as ImgmetaError;
  }
  throw new Error(`Store.open(${path}) succeeded`);
}

describe('opening a store', () => {
  it('creates a new store in a missing or empty directory, and reopens it with its data', async () => {
    const base = tempDir();
    const path = join(base, 'deep', 'store');
    const first = openStore(path);
    await first.service['images.create'](imageInput('default', 'app:1', 1));
    await first.service['metadata.set']({ namespace: 'm', key: 'k', value: new Uint8Array([1]) });
    const seq = first.store.changeSeq();
    first.dispose();
    const again = openStore(path);
    try {
      expect((await again.service['images.get']({ namespace: 'default', name: 'app:1' })).target.digest).toBe(
        fakeDigest(1),
      );
      expect(again.store.changeSeq()).toBe(seq);
      expect((await again.service['store.info']({})).schema).toBe(schemaVersion);
    } finally {
      again.dispose();
    }
    const empty = join(base, 'empty');
    mkdirSync(empty);
    openStore(empty).dispose();
  });

  it('marks a store of the schema before with this one when it opens it for writing, and reads what it holds', async () => {
    const { dir, service, store } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1, { labels: { env: 'prod' } }));
    await service['metadata.set']({ namespace: 'm', key: 'k', value: new Uint8Array([7]) });
    store.close();
    withRawEnv(dir, (root) => root.openDB('meta', {}).putSync('schema', schemaVersion - 1));

    // Read-only: nothing is written, the mark included.
    const reader = Store.open(dir, { readOnly: true });
    expect(reader.info().schema).toBe(schemaVersion - 1);
    reader.close();
    withRawEnv(dir, (root) => expect(root.openDB('meta', {}).get('schema')).toBe(schemaVersion - 1));

    // For writing: marked, so that a build of the schema before refuses it (the test below) instead of misreading it.
    const writer = openStore(dir);
    try {
      expect((await writer.service['store.info']({})).schema).toBe(schemaVersion);
      expect((await writer.service['images.get']({ namespace: 'default', name: 'app:1' })).labels).toEqual({
        env: 'prod',
      });
      expect([...(await writer.service['metadata.get']({ namespace: 'm', key: 'k' })).value]).toEqual([7]);
    } finally {
      writer.dispose();
    }
    withRawEnv(dir, (root) => expect(root.openDB('meta', {}).get('schema')).toBe(schemaVersion));
  });

  it('refuses a store written by a newer schema, saying so', async () => {
    const { dir, store } = tempStore();
    store.close();
    withRawEnv(dir, (root) => root.openDB('meta', {}).putSync('schema', 999));
    const err = openError(dir);
    expect(err.code).toBe('failed_precondition');
    expect(err.message).toContain('newer');
    expect(err.message).toContain('999');
    // and it did not touch the record
    withRawEnv(dir, (root) => expect(root.openDB('meta', {}).get('schema')).toBe(999));
  });

  it('keeps its files inside a directory whose name has an extension (images.store)', async () => {
    const base = tempDir();
    const path = join(base, 'images.store');
    const first = openStore(path);
    await first.service['images.create'](imageInput('default', 'app:1', 1));
    first.dispose();
    expect(readdirSync(base)).toEqual(['images.store']);
    expect(readdirSync(path).sort()).toEqual(['data.mdb', 'gate.mdb', 'gate.mdb-lock', 'lock.mdb']);
    const again = openStore(path);
    try {
      expect((await again.service['images.get']({ namespace: 'default', name: 'app:1' })).target.digest).toBe(
        fakeDigest(1),
      );
    } finally {
      again.dispose();
    }
  });

  it('refuses a directory that holds other files and no data.mdb', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'not a store');
    const err = openError(dir);
    expect(err.code).toBe('failed_precondition');
    expect(err.message).toContain('not a store');
  });

  it('refuses a path that is a file', () => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, 'x');
    expect(openError(file).code).toBe('failed_precondition');
  });

  it('refuses an LMDB environment that belongs to another program, and leaves it as it was', () => {
    const dir = tempDir();
    withRawEnv(dir, (root) => root.putSync('someone-else', { data: 1 }));
    const files = readdirSync(dir).sort();
    for (const readOnly of [false, true]) {
      const err = openError(dir, { readOnly });
      expect(err.code).toBe('failed_precondition');
      expect(err.message).toContain('not an imgmeta store');
    }
    // No named database and no gate file of a store was made in it.
    expect(readdirSync(dir).sort()).toEqual(files);
    withRawEnv(dir, (root) => expect([...root.getKeys()]).toEqual(['someone-else']));
  });
  it('initializes a new store once: a process that found it empty and initializes late resets nothing', async () => {
    // Two processes opening a new store at once both find no schema; the one whose initializing transaction runs
    // second (after the first already wrote) must leave the change counter alone.
    const { store, service, dispose } = openStore();
    try {
      await service['metadata.set']({ namespace: 'm', key: 'k', value: new Uint8Array([1]) });
      const seq = store.changeSeq();
      expect(seq).toBeGreaterThan(0);
      expect(store.env.writeSchema()).toBe(false);
      expect(store.changeSeq()).toBe(seq);
    } finally {
      dispose();
    }
  });
});

describe('store.info', () => {
  it('counts images, namespaces, trash, content and metadata', async () => {
    const { service, dir } = tempStore();
    const empty = await service['store.info']({});
    expect(empty).toMatchObject({
      path: dir,
      schema: schemaVersion,
      images: 0,
      namespaces: 0,
      trash: 0,
      content: 0,
      contentBytes: 0,
      metadataNamespaces: 0,
      metadataKeys: 0,
    });
    const image = makeImage('info');
    await putImageContent(service, image);
    await service['images.create']({ namespace: 'a', name: 'app:1', target: image.target });
    await service['images.create']({ namespace: 'b', name: 'app:1', target: image.target });
    await service['images.create']({ namespace: 'b', name: 'app:2', target: image.target });
    await service['images.create']({ namespace: 'c', name: 'gone:1', target: image.target });
    await service['images.delete']({ images: [{ namespace: 'c', name: 'gone:1' }] });
    for (const key of ['x', 'y', 'z'])
      await service['metadata.set']({ namespace: 'm1', key, value: new Uint8Array(3) });
    await service['metadata.set']({ namespace: 'm2', key: 'k', value: new Uint8Array(1) });
    const info = await service['store.info']({});
    expect(info).toMatchObject({
      images: 3,
      namespaces: 2,
      trash: 1,
      content: 2,
      contentBytes: image.manifest.byteLength + image.config.byteLength,
      metadataNamespaces: 2,
      metadataKeys: 4,
    });
    expect(info.changeSeq).toBe(empty.changeSeq + 11);
    expect(info.bytesOnDisk).toBeGreaterThan(0);
  });
});

describe('store.check', () => {
  async function healthy() {
    const ctx = tempStore();
    const { service } = ctx;
    const image = makeImage('check');
    await putImageContent(service, image);
    await service['images.create']({
      namespace: 'default',
      name: 'app:1',
      target: image.target,
      labels: { team: 'x' },
    });
    await service['images.create']({ namespace: 'default', name: 'app:2', target: image.target });
    await service['images.delete']({ images: [{ namespace: 'default', name: 'app:2' }] });
    await service['metadata.set']({ namespace: 'm', key: 'k', value: new Uint8Array([1]) });
    return { ...ctx, image };
  }

  it('a healthy store is ok, shallow and deep', async () => {
    const { service, image } = await healthy();
    for (const deep of [false, true]) {
      const report = await service['store.check']({ deep });
      expect(report).toEqual({ ok: true, checkedImages: 1, checkedContent: 2, incomplete: [], errors: [] });
    }
    expect(digestOf(image.manifest)).toBe(image.target.digest);
  });

  it('a corrupt blob is an error of kind content', async () => {
    const { store, dir, image } = await healthy();
    store.close();
    withRawEnv(dir, (root) => {
      const blobs = root.openDB('blobs', { encoding: 'binary' });
      const bytes = Buffer.from(blobs.get(image.target.digest) as Buffer);
      bytes[10] = bytes[10]! ^ 0xff; // same length, other bytes
      blobs.putSync(image.target.digest, bytes);
    });
    const reopened = openStore(dir);
    try {
      const report = await reopened.service['store.check']({});
      expect(report.ok).toBe(false);
      expect(report.errors).toEqual([
        { kind: 'content', message: expect.stringContaining(image.target.digest) as unknown },
      ]);
    } finally {
      reopened.dispose();
    }
  });

  it('content that is unreachable but not queued for GC is an error: GC would never free it', async () => {
    const { service, store, dir } = await healthy();
    const orphan = new TextEncoder().encode('{"orphan":true}');
    const info = await service['content.put']({ bytes: orphan, mediaType: 'application/json' });
    expect((await service['store.check']({})).ok).toBe(true); // queued on arrival
    store.close();
    withRawEnv(dir, (root) => root.openDB('pending', {}).removeSync(info.digest));
    const reopened = openStore(dir);
    try {
      const report = await reopened.service['store.check']({});
      expect(report.errors).toEqual([
        {
          kind: 'content',
          message: expect.stringContaining(`${info.digest} is unreachable but not queued`) as unknown,
        },
      ]);
    } finally {
      reopened.dispose();
    }
  });

  it('a missing index entry is an error of kind index', async () => {
    const { service, store, dir } = await healthy();
    const created = Date.parse(
      (await service['images.get']({ namespace: 'default', name: 'app:1' })).createdAt,
    );
    store.close();
    withRawEnv(dir, (root) => {
      const index = root.openDB('index', {});
      expect(index.get(['c', 'default', created, 'app:1'])).toBe(true);
      index.removeSync(['c', 'default', created, 'app:1']);
    });
    const reopened = openStore(dir);
    try {
      const report = await reopened.service['store.check']({});
      expect(report.ok).toBe(false);
      expect(report.errors.map((e) => e.kind)).toEqual(['index']);
      expect(report.errors[0]!.message).toContain('app:1');
    } finally {
      reopened.dispose();
    }
  });

  it('an index entry that belongs to no record is an error of kind index', async () => {
    const { store, dir } = await healthy();
    store.close();
    withRawEnv(dir, (root) =>
      root.openDB('index', {}).putSync(['d', fakeDigest(5), 'default', 'ghost:1'], true),
    );
    const reopened = openStore(dir);
    try {
      const report = await reopened.service['store.check']({});
      expect(report.errors.map((e) => e.kind)).toEqual(['index']);
    } finally {
      reopened.dispose();
    }
  });

  it('a wrong or missing count is an error of kind counts that names the count', async () => {
    const { store, dir } = await healthy();
    store.close();
    withRawEnv(dir, (root) => {
      const counts = root.openDB('counts', {});
      counts.putSync(['images', 'default'], 5);
      counts.removeSync(['trash', 'default']);
    });
    const reopened = openStore(dir);
    try {
      const report = await reopened.service['store.check']({});
      expect(report.errors.map((e) => e.kind)).toEqual(['counts', 'counts']);
      const messages = report.errors.map((e) => e.message).join('\n');
      expect(messages).toContain('["images","default"]');
      expect(messages).toContain('["trash","default"]');
    } finally {
      reopened.dispose();
    }
  });

  it('an image whose manifest is not stored is incomplete, not an error', async () => {
    const { service } = await healthy();
    const missing = makeImage('not-stored');
    await service['images.create']({ namespace: 'default', name: 'partial:1', target: missing.target });
    await service['content.put']({ bytes: makeImage('half').manifest, mediaType: oci.manifest });
    await service['images.create']({ namespace: 'other', name: 'half:1', target: makeImage('half').target });
    const report = await service['store.check']({});
    expect(report.ok).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.incomplete).toEqual([
      { namespace: 'default', name: 'partial:1', missing: [missing.target.digest] },
      { namespace: 'other', name: 'half:1', missing: [digestOf(makeImage('half').config)] },
    ]);
  });
});

describe('page size', () => {
  it('a new store has 16 KiB pages; a store created with 4 KiB pages keeps them and works', async () => {
    const fresh = tempStore();
    try {
      expect((fresh.store.env.root.getStats() as { pageSize: number }).pageSize).toBe(16_384);
    } finally {
      fresh.store.close();
    }
    const dir = join(tempDir(), 'old');
    const old = open({ path: dir, maxDbs: 16, pageSize: 4096 });
    old.close();
    const { store, service, dispose } = openStore(dir);
    try {
      expect((store.env.root.getStats() as { pageSize: number }).pageSize).toBe(4096);
      await service['images.create'](imageInput('default', 'app:1', 1));
      expect((await service['images.list']({})).total).toBe(1);
    } finally {
      dispose();
    }
  });
});

describe('memory map', () => {
  it('reserves address space for growth, not disk: the file holds only the data, and another handle on the store reads what was written', async () => {
    const { store, service, dir } = tempStore();
    const reader = openStore(dir);
    try {
      const map = (store.env.root.getStats() as { mapSize: number }).mapSize;
      if (storeMapSize !== undefined) expect(map).toBe(storeMapSize);
      const value = new Uint8Array(64 * 1024).fill(7);
      for (let i = 0; i < 64; i++) await service['metadata.set']({ namespace: 'n', key: `k${i}`, value });
      const file = statSync(join(dir, 'data.mdb'));
      expect(file.size).toBeLessThan(16 * 2 ** 20);
      expect(file.blocks * 512).toBeLessThan(16 * 2 ** 20);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect((await reader.service['metadata.get']({ namespace: 'n', key: 'k63' })).value).toEqual(value);
    } finally {
      reader.dispose();
    }
  });
});

describe('the memory map under an address-space cap', () => {
  it('takes at most a quarter of the cap, in whole pages, and none under 4 GiB of cap', () => {
    const GiB = 2 ** 30;
    expect(mapSizeWithin(undefined, 64 * GiB)).toBe(64 * GiB);
    expect(mapSizeWithin(1024 * GiB, 64 * GiB)).toBe(64 * GiB);
    expect(mapSizeWithin(16 * GiB, 64 * GiB)).toBe(4 * GiB);
    const odd = mapSizeWithin(6_000_000 * 1024, 64 * GiB)!;
    expect(odd % storePageSize).toBe(0);
    expect(odd).toBeLessThanOrEqual((6_000_000 * 1024) / 4);
    expect(mapSizeWithin(3 * GiB, 64 * GiB)).toBeUndefined();
  });
});

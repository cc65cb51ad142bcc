import { describe, expect, it } from 'vitest';
import type { Service } from '../../src/main/service';
import { digestOf } from '../../src/main/store/content';
import type { Descriptor } from '../../src/shared/types';
import {
  descriptorOf,
  fakeDigest,
  imageInput,
  json,
  makeImage,
  oci,
  putImageContent,
  seedImages,
  snapshot,
  tempStore,
} from '../helpers/store';

const ref = (name: string, namespace = 'default') => ({ namespace, name });
const names = async (service: Service, namespace?: string) =>
  (await service['images.list']({ namespace, limit: 1000 })).items.map((i) => i.name);

/** Two images whose manifests differ but share one config (and a layer, which is never stored). */
function sharingConfig() {
  const config = json({ architecture: 'amd64', os: 'linux', shared: true });
  const layer: Descriptor = { mediaType: oci.layer, digest: fakeDigest(777), size: 10_000 };
  const manifest = (n: number) =>
    json({
      schemaVersion: 2,
      mediaType: oci.manifest,
      config: descriptorOf(config, oci.config),
      layers: [layer],
      annotations: { n: String(n) },
    });
  const a = manifest(1);
  const b = manifest(2);
  return { config, a, b, targetA: descriptorOf(a, oci.manifest), targetB: descriptorOf(b, oci.manifest) };
}

async function putSharing(service: Service, s: ReturnType<typeof sharingConfig>) {
  await service['content.put']({ bytes: s.config, mediaType: oci.config });
  await service['content.put']({ bytes: s.a, mediaType: oci.manifest });
  await service['content.put']({ bytes: s.b, mediaType: oci.manifest });
  await service['images.create']({ namespace: 'default', name: 'a:1', target: s.targetA });
  await service['images.create']({ namespace: 'default', name: 'b:1', target: s.targetB });
}

describe('deleting moves images to the trash', () => {
  it('trash.list shows the entry, images.list does not, counts follow', async () => {
    const { service } = tempStore();
    const created = await service['images.create'](imageInput('default', 'app:1', 1, { labels: { k: 'v' } }));
    await service['images.create'](imageInput('default', 'app:2', 2));
    const result = await service['images.delete']({ images: [ref('app:1')] });
    expect(result).toMatchObject({ deleted: [ref('app:1')], dryRun: false, purged: false, pinned: [] });
    expect(await names(service)).toEqual(['app:2']);
    const trash = await service['trash.list']({});
    expect(trash.total).toBe(1);
    expect(trash.items[0]!.image).toMatchObject({
      namespace: 'default',
      name: 'app:1',
      target: created.target,
      labels: { k: 'v' },
      createdAt: created.createdAt,
    });
    expect(trash.items[0]!.deletedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await service['images.namespaces']({})).toEqual([{ namespace: 'default', images: 1, trash: 1 }]);
    const info = await service['store.info']({});
    expect([info.images, info.trash]).toEqual([1, 1]);
  });

  it('trash.list is newest first, pages by cursor and filters by namespace', async () => {
    const { service } = tempStore();
    for (let i = 0; i < 12; i++) {
      const ns = i % 3 === 0 ? 'other' : 'default';
      await service['images.create'](imageInput(ns, `app:${i}`, i));
      await service['images.delete']({ images: [ref(`app:${i}`, ns)] });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await service['trash.list']({ limit: 5, ...(cursor ? { cursor } : {}) });
      expect(page.total).toBe(12);
      seen.push(...page.items.map((e) => e.image.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `app:${11 - i}`));
    const other = await service['trash.list']({ namespace: 'other' });
    expect(other.items.map((e) => e.image.name)).toEqual(['app:9', 'app:6', 'app:3', 'app:0']);
    expect(other.total).toBe(4);
  });
});

describe('restoring from the trash', () => {
  it('by name brings back the latest deletion of that name', async () => {
    const { service } = tempStore();
    const first = await service['images.create'](imageInput('default', 'app:1', 1, { labels: { gen: '1' } }));
    await service['images.delete']({ images: [ref('app:1')] });
    await service['images.create'](imageInput('default', 'app:1', 2, { labels: { gen: '2' } }));
    await service['images.delete']({ images: [ref('app:1')] });
    expect((await service['trash.list']({})).total).toBe(2);
    const [restored] = await service['images.restore']({ images: [ref('app:1')] });
    expect(restored).toMatchObject({
      name: 'app:1',
      labels: { gen: '2' },
      target: { digest: fakeDigest(2) },
    });
    expect(await service['images.get'](ref('app:1'))).toEqual(restored);
    const left = await service['trash.list']({});
    expect(left.items.map((e) => e.image.labels)).toEqual([{ gen: '1' }]);
    expect(left.items[0]!.image.createdAt).toBe(first.createdAt);
  });

  it('by id brings back that exact entry, with its createdAt', async () => {
    const { service } = tempStore();
    const first = await service['images.create'](imageInput('default', 'app:1', 1, { labels: { gen: '1' } }));
    await service['images.delete']({ images: [ref('app:1')] });
    await service['images.create'](imageInput('default', 'app:1', 2, { labels: { gen: '2' } }));
    await service['images.delete']({ images: [ref('app:1')] });
    const oldest = (await service['trash.list']({})).items.find((e) => e.image.labels.gen === '1')!;
    const [restored] = await service['images.restore']({ ids: [oldest.id] });
    expect(restored).toMatchObject({ name: 'app:1', labels: { gen: '1' }, createdAt: first.createdAt });
    await expect(service['images.restore']({ ids: [oldest.id] })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('when the name exists again: already_exists and nothing changes', async () => {
    const { service, store } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1));
    await service['images.create'](imageInput('default', 'app:2', 2));
    await service['images.delete']({ images: [ref('app:1'), ref('app:2')] });
    await service['images.create'](imageInput('default', 'app:1', 3));
    const before = await snapshot(service, store);
    // app:2 could be restored, but the request is all or nothing
    await expect(service['images.restore']({ images: [ref('app:2'), ref('app:1')] })).rejects.toMatchObject({
      code: 'already_exists',
    });
    await expect(service['images.restore']({ images: [ref('app:1')] })).rejects.toMatchObject({
      code: 'already_exists',
    });
    expect(await snapshot(service, store)).toEqual(before);
    expect((await service['images.get'](ref('app:1'))).target.digest).toBe(fakeDigest(3));
  });

  it('a name with nothing in the trash is not_found', async () => {
    const { service } = tempStore();
    await expect(service['images.restore']({ images: [ref('app:1')] })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('purging', () => {
  it('images.delete with purge skips the trash', async () => {
    const { service } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1));
    const result = await service['images.delete']({ images: [ref('app:1')], purge: true });
    expect(result.purged).toBe(true);
    expect(await names(service)).toEqual([]);
    expect((await service['trash.list']({})).total).toBe(0);
    await expect(service['images.restore']({ images: [ref('app:1')] })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('trash.purge removes given entries, or all of them, and reports the bytes GC will free', async () => {
    const { service } = tempStore();
    const images = ['p', 'q', 'r'].map((s) => makeImage(s));
    for (const [i, image] of images.entries()) {
      await putImageContent(service, image);
      await service['images.create']({ namespace: 'default', name: `app:${i}`, target: image.target });
    }
    await service['images.delete']({ images: [ref('app:0'), ref('app:1'), ref('app:2')] });
    const entries = (await service['trash.list']({})).items;
    const bytesOf = (image: (typeof images)[number]) => image.manifest.byteLength + image.config.byteLength;
    const dry = await service['trash.purge']({ ids: [entries[0]!.id], dryRun: true });
    expect(dry).toEqual({ purged: 1, reclaimedBytes: bytesOf(images[2]!) });
    expect((await service['trash.list']({})).total).toBe(3);
    expect(await service['trash.purge']({ ids: [entries[0]!.id] })).toEqual({
      purged: 1,
      reclaimedBytes: bytesOf(images[2]!),
    });
    expect((await service['trash.list']({})).items.map((e) => e.image.name)).toEqual(['app:1', 'app:0']);
    expect(await service['trash.purge']({})).toEqual({
      purged: 2,
      reclaimedBytes: bytesOf(images[0]!) + bytesOf(images[1]!),
    });
    expect((await service['trash.list']({})).total).toBe(0);
    expect((await service['gc.preview']({})).bytes).toBe(images.reduce((n, i) => n + bytesOf(i), 0));
  });
});

describe('purging the same trash entry twice in one request', () => {
  it('purges it once: counts stay right and the content a live image shares is kept', async () => {
    const { service } = tempStore();
    const image = makeImage('dup-purge');
    await putImageContent(service, image);
    await service['images.create']({ namespace: 'default', name: 'live:1', target: image.target });
    await service['images.create']({ namespace: 'default', name: 'gone:1', target: image.target });
    await service['images.create'](imageInput('default', 'other:1', 1));
    await service['images.delete']({ images: [ref('gone:1')] });
    await service['images.delete']({ images: [ref('other:1')] });
    const id = (await service['trash.list']({})).items.find((e) => e.image.name === 'gone:1')!.id;
    const outcome = await service['trash.purge']({ ids: [id, id] }).catch((e: unknown) => e);
    if (outcome instanceof Error) {
      // refusing the request is fine too, as long as it is a caller error and changes nothing
      expect(outcome).toMatchObject({ code: 'invalid_argument' });
      expect((await service['trash.list']({})).total).toBe(2);
    } else {
      expect(outcome).toEqual({ purged: 1, reclaimedBytes: 0 });
      expect((await service['trash.list']({})).items.map((e) => e.image.name)).toEqual(['other:1']);
    }
    expect((await service['store.check']({})).errors).toEqual([]);
    expect((await service['gc.preview']({})).digests).toEqual([]);
    await service['gc.run']({});
    const tree = await service['content.tree'](ref('live:1'));
    expect(tree.present).toBe(true);
    expect(tree.children[0]!.present).toBe(true);
  });
});

describe('pinned images', () => {
  it('are refused with failed_precondition, and nothing is deleted when one of several is pinned', async () => {
    const { service, store } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1));
    await service['images.create'](
      imageInput('default', 'app:2', 2, { labels: { 'imgmeta.pinned': 'true' } }),
    );
    await service['images.create'](imageInput('default', 'app:3', 3));
    const before = await snapshot(service, store);
    await expect(
      service['images.delete']({ images: [ref('app:1'), ref('app:2'), ref('app:3')] }),
    ).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining('pinned') as unknown,
    });
    await expect(service['images.delete']({ images: [ref('app:2')], purge: true })).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    await expect(service['images.delete']({ matching: { namespace: 'default' } })).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect(await snapshot(service, store)).toEqual(before);
  });

  it('are deleted with force, and reported as pinned', async () => {
    const { service } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1));
    await service['images.create'](
      imageInput('default', 'app:2', 2, { labels: { 'imgmeta.pinned': 'true' } }),
    );
    const result = await service['images.delete']({ images: [ref('app:1'), ref('app:2')], force: true });
    expect(result.pinned).toEqual([ref('app:2')]);
    expect(result.deleted).toEqual([ref('app:1'), ref('app:2')]);
    expect(await names(service)).toEqual([]);
  });

  it('only the value true pins', async () => {
    const { service } = tempStore();
    await service['images.create'](
      imageInput('default', 'app:1', 1, { labels: { 'imgmeta.pinned': 'false' } }),
    );
    expect((await service['images.delete']({ images: [ref('app:1')] })).deleted).toEqual([ref('app:1')]);
  });
});

describe('a dry run', () => {
  it('changes nothing but reports what would go and the bytes it would free', async () => {
    const { service, store } = tempStore();
    const image = makeImage('dry');
    await putImageContent(service, image);
    await service['images.create']({ namespace: 'default', name: 'app:1', target: image.target });
    await service['images.create'](
      imageInput('default', 'app:2', 2, { labels: { 'imgmeta.pinned': 'true' } }),
    );
    const before = await snapshot(service, store);
    const result = await service['images.delete']({
      images: [ref('app:1'), ref('app:2')],
      dryRun: true,
      force: true,
    });
    expect(result).toEqual({
      deleted: [ref('app:1'), ref('app:2')],
      count: 2,
      reclaimedBytes: image.manifest.byteLength + image.config.byteLength,
      dryRun: true,
      purged: false,
      pinned: [ref('app:2')],
      pinnedCount: 1,
    });
    expect(
      (await service['images.delete']({ matching: { filter: { name: 'app:1' } }, dryRun: true })).deleted,
    ).toEqual([ref('app:1')]);
    expect((await service['trash.purge']({ dryRun: true })).purged).toBe(0);
    expect(await snapshot(service, store)).toEqual(before);
  });
});

describe('reclaimed bytes count only content no other image shares', () => {
  it('two images sharing a config: one frees its manifest, both free manifests and config', async () => {
    const { service } = tempStore();
    const s = sharingConfig();
    await putSharing(service, s);
    const one = await service['images.delete']({ images: [ref('a:1')], dryRun: true });
    expect(one.reclaimedBytes).toBe(s.a.byteLength);
    const both = await service['images.delete']({ images: [ref('a:1'), ref('b:1')], dryRun: true });
    expect(both.reclaimedBytes).toBe(s.a.byteLength + s.b.byteLength + s.config.byteLength);
    // a tag of the same target keeps everything
    await service['images.tag']({ namespace: 'default', source: 'a:1', name: 'a:2' });
    expect((await service['images.delete']({ images: [ref('a:1')], dryRun: true })).reclaimedBytes).toBe(0);
    // the real deletion reports what the dry run did
    expect(
      (await service['images.delete']({ images: [ref('a:1'), ref('a:2'), ref('b:1')] })).reclaimedBytes,
    ).toBe(both.reclaimedBytes);
  });

  it('an image in another namespace with the same target keeps the content', async () => {
    const { service } = tempStore();
    const image = makeImage('ns');
    await putImageContent(service, image);
    await service['images.create']({ namespace: 'one', name: 'app:1', target: image.target });
    await service['images.create']({ namespace: 'two', name: 'app:1', target: image.target });
    expect((await service['images.delete']({ images: [ref('app:1', 'one')] })).reclaimedBytes).toBe(0);
    expect((await service['images.delete']({ images: [ref('app:1', 'two')] })).reclaimedBytes).toBe(0); // the trash entry of one still reaches it
    expect((await service['trash.purge']({})).reclaimedBytes).toBe(
      image.manifest.byteLength + image.config.byteLength,
    );
  });

  it('content reachable from the trash is kept by GC until the trash is purged', async () => {
    const { service } = tempStore();
    const s = sharingConfig();
    await putSharing(service, s);
    await service['images.delete']({ images: [ref('a:1')] });
    expect(await service['gc.preview']({})).toEqual({ digests: [], bytes: 0, dryRun: true });
    expect((await service['gc.run']({})).digests).toEqual([]);
    expect((await service['images.delete']({ images: [ref('b:1')] })).reclaimedBytes).toBe(s.b.byteLength);
    expect((await service['gc.preview']({})).digests).toEqual([]);
    await service['images.restore']({ images: [ref('a:1')] });
    expect((await service['content.tree'](ref('a:1'))).children.map((c) => c.present)).toEqual([true, false]);
    await service['images.delete']({ images: [ref('a:1')] });
    const purge = await service['trash.purge']({});
    expect(purge).toEqual({
      purged: 2,
      reclaimedBytes: s.a.byteLength + s.b.byteLength + s.config.byteLength,
    });
    const preview = await service['gc.preview']({});
    expect([...preview.digests].sort()).toEqual([digestOf(s.a), digestOf(s.b), digestOf(s.config)].sort());
    expect(preview.bytes).toBe(purge.reclaimedBytes);
  });
});

describe('deleting everything a filter matches', () => {
  it('one call deletes every matching image in one transaction', async () => {
    const { service, store } = tempStore();
    for (let i = 0; i < 30; i++) {
      await service['images.create'](
        imageInput(i % 2 ? 'odd' : 'even', `app-${i % 3}:${i}`, i, {
          labels: i % 5 === 0 ? { old: 'yes' } : {},
        }),
      );
    }
    const seq = store.changeSeq();
    const result = await service['images.delete']({
      matching: { namespace: 'even', filter: { name: 'app-1' } },
    });
    expect(store.changeSeq()).toBe(seq + 1);
    expect(result.deleted.map((r) => r.name).sort()).toEqual([
      'app-1:10',
      'app-1:16',
      'app-1:22',
      'app-1:28',
      'app-1:4',
    ]);
    expect(result.deleted.every((r) => r.namespace === 'even')).toBe(true);
    expect((await service['images.list']({ filter: { name: 'app-1' } })).total).toBe(5); // the odd ones stay
    const labelled = await service['images.delete']({ matching: { filter: { labels: ['old=yes'] } } });
    expect(labelled.deleted).toHaveLength(5); // 0, 5, 15, 20, 25; 10 was deleted above
    expect((await service['images.list']({ filter: { labels: ['old=yes'] } })).total).toBe(0);
    // images and matching together, overlapping, delete each image once
    const mixed = await service['images.delete']({
      images: [ref('app-2:2', 'even')],
      matching: { namespace: 'even', filter: { name: 'app-2' } },
    });
    expect(mixed.deleted.map((r) => r.name).sort()).toEqual(['app-2:14', 'app-2:2', 'app-2:26', 'app-2:8']);
    expect((await service['trash.list']({})).total).toBe(14);
    expect((await service['store.check']({})).errors).toEqual([]);
  });
});

describe('deleting all a filter matches but a few, and previews of a large deletion', () => {
  const seeded = async () => {
    const { service, store } = tempStore();
    for (let i = 0; i < 40; i++)
      await service['images.create'](
        imageInput('default', `app:${String(i).padStart(2, '0')}`, i, {
          labels: i % 10 === 0 ? { 'imgmeta.pinned': 'true' } : {},
        }),
      );
    return { service, store };
  };

  it('except keeps the named images out of a matching deletion, in the same one transaction', async () => {
    const { service, store } = await seeded();
    const seq = store.changeSeq();
    const result = await service['images.delete']({
      matching: { filter: { name: 'app:1' } },
      except: [ref('app:12'), ref('app:15'), ref('not-matched:1')],
      force: true,
    });
    expect(store.changeSeq()).toBe(seq + 1);
    expect(result.count).toBe(8);
    expect(result.deleted.map((r) => r.name)).toEqual([
      'app:10',
      'app:11',
      'app:13',
      'app:14',
      'app:16',
      'app:17',
      'app:18',
      'app:19',
    ]);
    expect(result.pinned.map((r) => r.name)).toEqual(['app:10']);
    expect((await names(service)).filter((n) => n.startsWith('app:1'))).toEqual(['app:12', 'app:15']);
  });

  it('except without matching is invalid_argument, and nothing changes', async () => {
    const { service, store } = await seeded();
    const before = await snapshot(service, store);
    await expect(
      service['images.delete']({ images: [ref('app:01')], except: [ref('app:01')] }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await snapshot(service, store)).toEqual(before);
  });

  it('names bounds the names in the answer; the counts and bytes stay whole', async () => {
    const { service } = await seeded();
    const all = await service['images.delete']({ matching: {}, dryRun: true, force: true });
    const few = await service['images.delete']({ matching: {}, dryRun: true, force: true, names: 3 });
    expect(all.deleted).toHaveLength(40);
    expect(few.deleted).toEqual(all.deleted.slice(0, 3));
    expect([few.count, all.count]).toEqual([40, 40]);
    expect(few.pinned).toHaveLength(3);
    expect([few.pinnedCount, all.pinnedCount, all.pinned.length]).toEqual([4, 4, 4]);
    expect(few.reclaimedBytes).toBe(all.reclaimedBytes);
    const none = await service['images.delete']({ matching: {}, dryRun: true, force: true, names: 0 });
    expect([none.deleted, none.pinned, none.count]).toEqual([[], [], 40]);
  });

  it('restores exactly what one deletion moved to the trash (undo), once', async () => {
    const { service, store } = await seeded();
    await service['images.delete']({ images: [ref('app:01')] });
    const result = await service['images.delete']({
      matching: { filter: { name: 'app:0' } },
      force: true,
      names: 0,
    });
    expect(result.count).toBe(9); // app:00..09 less app:01, deleted before
    expect(result.deletion).toBeDefined();
    const seq = store.changeSeq();
    const restored = await service['images.restore']({ deletion: result.deletion });
    expect(store.changeSeq()).toBe(seq + 1);
    expect(restored.map((r) => r.name).sort()).toEqual([
      'app:00',
      'app:02',
      'app:03',
      'app:04',
      'app:05',
      'app:06',
      'app:07',
      'app:08',
      'app:09',
    ]);
    // The earlier deletion stays in the trash; the same undo again finds nothing.
    expect((await service['trash.list']({})).items.map((e) => e.image.name)).toEqual(['app:01']);
    await expect(service['images.restore']({ deletion: result.deletion })).rejects.toMatchObject({
      code: 'not_found',
    });
    // Dry runs and purges leave nothing to undo.
    expect(
      (await service['images.delete']({ images: [ref('app:02')], dryRun: true })).deletion,
    ).toBeUndefined();
    expect(
      (await service['images.delete']({ images: [ref('app:02')], purge: true })).deletion,
    ).toBeUndefined();
  });
});

describe('garbage collection', () => {
  it('preview lists exactly the unreachable digests and their bytes; run removes them; check stays ok', async () => {
    const { service } = tempStore();
    const kept = makeImage('kept');
    await putImageContent(service, kept);
    await service['images.create']({ namespace: 'default', name: 'kept:1', target: kept.target });
    const orphanManifest = makeImage('orphan');
    await putImageContent(service, orphanManifest); // a manifest and its config no image points at
    const loose = json({ loose: 'blob' });
    await service['content.put']({ bytes: loose, mediaType: 'application/json' });
    const sharedConfigOnly = makeImage('kept'); // same seed: same config bytes as `kept`, already stored
    expect(digestOf(sharedConfigOnly.config)).toBe(digestOf(kept.config));

    const want = [orphanManifest.target.digest, digestOf(orphanManifest.config), digestOf(loose)].sort();
    const wantBytes =
      orphanManifest.manifest.byteLength + orphanManifest.config.byteLength + loose.byteLength;
    const preview = await service['gc.preview']({});
    expect([...preview.digests].sort()).toEqual(want);
    expect(preview).toMatchObject({ bytes: wantBytes, dryRun: true });
    const before = await service['store.info']({});
    const run = await service['gc.run']({});
    expect([...run.digests].sort()).toEqual(want);
    expect(run).toMatchObject({ bytes: wantBytes, dryRun: false });
    for (const digest of want)
      await expect(service['content.get']({ digest })).rejects.toMatchObject({ code: 'not_found' });
    expect(
      (await service['content.tree']({ namespace: 'default', name: 'kept:1' })).children[0]!.present,
    ).toBe(true);
    const after = await service['store.info']({});
    expect(after.content).toBe(before.content - 3);
    expect(after.contentBytes).toBe(before.contentBytes - wantBytes);
    expect(await service['gc.preview']({})).toEqual({ digests: [], bytes: 0, dryRun: true });
    const check = await service['store.check']({ deep: true });
    expect(check.errors).toEqual([]);
    expect(check.ok).toBe(true);
  });

  it('after deleting and purging an index image, its manifests and configs go too', async () => {
    const { service } = tempStore();
    const amd = makeImage('amd');
    const arm = makeImage('arm');
    await putImageContent(service, amd);
    await putImageContent(service, arm);
    const index = json({ schemaVersion: 2, mediaType: oci.index, manifests: [amd.target, arm.target] });
    await service['content.put']({ bytes: index, mediaType: oci.index });
    await service['images.create']({
      namespace: 'default',
      name: 'multi:1',
      target: descriptorOf(index, oci.index),
    });
    await service['images.create']({ namespace: 'default', name: 'amd:1', target: amd.target });
    const result = await service['images.delete']({ images: [ref('multi:1')], purge: true });
    expect(result.reclaimedBytes).toBe(index.byteLength + arm.manifest.byteLength + arm.config.byteLength);
    const run = await service['gc.run']({});
    expect(run.bytes).toBe(result.reclaimedBytes);
    expect((await service['store.check']({ deep: true })).ok).toBe(true);
  });
});

describe('deleting 10,000 images in one call', () => {
  it('is one transaction: the change counter moves by exactly one', async () => {
    const { service, store } = tempStore();
    seedImages(
      store,
      Array.from({ length: 10_000 }, (_, i) => ({
        namespace: `ns${i % 4}`,
        name: `bulk/app:${i}`,
        target: { mediaType: oci.manifest, digest: fakeDigest(i % 500), size: 10 },
      })),
    );
    const refs = Array.from({ length: 10_000 }, (_, i) => ref(`bulk/app:${i}`, `ns${i % 4}`));
    const before = (await service['store.info']({})).changeSeq;
    const result = await service['images.delete']({ images: refs });
    expect(result.deleted).toHaveLength(10_000);
    const info = await service['store.info']({});
    expect(info.changeSeq).toBe(before + 1);
    expect([info.images, info.trash]).toEqual([0, 10_000]);
    expect((await service['images.list']({ filter: { name: 'bulk' } })).total).toBe(0);
    expect((await service['trash.list']({ limit: 1 })).total).toBe(10_000);
    const restored = await service['images.restore']({ images: refs.slice(0, 5_000) });
    expect(restored).toHaveLength(5_000);
    expect((await service['store.info']({})).changeSeq).toBe(before + 2);
    const seq = store.changeSeq();
    const matching = await service['images.delete']({ matching: { filter: { name: 'bulk/' } }, purge: true });
    expect(matching.deleted).toHaveLength(5_000);
    expect(store.changeSeq()).toBe(seq + 1);
    expect((await service['store.check']({})).errors).toEqual([]);
  });
});

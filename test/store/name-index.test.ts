import { describe, expect, it } from 'vitest';
import { checkStore } from '../../src/main/store/check';
import { fakeDigest, listAll, seedImages, tempStore, type SeedImage } from '../helpers/store';

// Images whose records stretch what the name index copies: labels with '=' in values, several labels, descriptors
// with annotations, platform and urls, several namespaces with the same names.
const seeds: SeedImage[] = [];
for (let i = 0; i < 300; i++) {
  seeds.push({
    namespace: ['default', 'k8s.io', 'moby'][i % 3]!,
    name: `registry.example/app-${String(i % 120).padStart(3, '0')}:v${i}`,
    target: {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: fakeDigest(i),
      size: 500 + i,
      ...(i % 4 === 0 ? { annotations: { 'org.opencontainers.image.ref.name': `v${i}`, 'a=b': 'c=d' } } : {}),
      ...(i % 5 === 0 ? { platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } } : {}),
      ...(i % 7 === 0 ? { urls: ['https://example.com/blob'] } : {}),
    },
    labels:
      i % 3 === 0
        ? {}
        : { env: i % 2 ? 'prod' : 'dev', query: `a=b&c=${i}==`, 'io.cri-containerd.image': 'managed' },
    createdAt: Date.UTC(2024, 0, 1) + i * 3_600_123,
  });
}

describe('pages in name order read the name index alone', () => {
  it('answer every record exactly as images.get does, in both directions and by cursor', async () => {
    const { store, service } = tempStore();
    seedImages(store, seeds);
    for (const order of ['asc', 'desc'] as const) {
      const listed = (await listAll(service, { sort: 'name', order, limit: 37 })).items;
      expect(listed).toHaveLength(seeds.length);
      for (const record of listed)
        expect(record).toEqual(
          await service['images.get']({ namespace: record.namespace, name: record.name }),
        );
    }
    const deep = await service['images.list']({ sort: 'name', order: 'asc', offset: 250, limit: 10 });
    for (const record of deep.items)
      expect(record).toEqual(await service['images.get']({ namespace: record.namespace, name: record.name }));
  });

  it("follow an image's updates (labels, target) and still pass check", async () => {
    const { store, service } = tempStore();
    seedImages(store, seeds.slice(0, 20));
    const [first] = (await service['images.list']({ sort: 'name', order: 'asc', limit: 1 })).items;
    const updated = await service['images.update']({
      namespace: first!.namespace,
      name: first!.name,
      labels: { team: 'a=b' },
      target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: fakeDigest(999), size: 9 },
    });
    const [after] = (await service['images.list']({ sort: 'name', order: 'asc', limit: 1 })).items;
    expect(after).toEqual(updated);
    expect(checkStore(store.env, { deep: false }).errors).toEqual([]);
  });

  it('read the records of a store whose name index predates the covering fields, and check accepts it', async () => {
    const { store, service } = tempStore();
    seedImages(store, seeds.slice(0, 30));
    const expected = (await listAll(service, { sort: 'name', order: 'asc', limit: 7 })).items;
    // What an older build wrote: [created, size, mediaType, labels] only.
    store.write(() => {
      for (const { key, value } of [...store.env.dbs.index.getRange({ start: ['n*'], end: ['n*\u0001'] })])
        store.env.dbs.index.put(key, (value as unknown[]).slice(0, 4));
    });
    expect((await listAll(service, { sort: 'name', order: 'asc', limit: 7 })).items).toEqual(expected);
    expect(checkStore(store.env, { deep: false }).errors).toEqual([]);
  });
});

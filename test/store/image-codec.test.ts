import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { checkStore } from '../../src/main/store/check';
import type { StoredImage } from '../../src/main/store/env';
import { decodeImage, encodeImage } from '../../src/main/store/image-codec';
import type { Key } from '../../src/main/store/keys';
import { fakeDigest, listAll, seedImages, tempStore, type SeedImage } from '../helpers/store';

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
// The API refuses __proto__ as a label or annotation key (schemas.ts withoutProtoKey), and msgpackr renames it when it
// decodes a map; fast-check likes to generate it.
const objectKey = text.filter((k) => k !== '__proto__');
const storedImage: fc.Arbitrary<StoredImage> = fc.record({
  // Descriptors in any field order (importers write them as their source does), some with undefined fields.
  t: fc
    .tuple(
      fc.record(
        {
          mediaType: fc.constantFrom(
            'application/vnd.oci.image.index.v1+json',
            'application/vnd.docker.distribution.manifest.v2+json',
          ),
          digest: fc.nat().map(fakeDigest),
          size: fc.maxSafeNat(),
          annotations: fc.dictionary(objectKey, text, { maxKeys: 4 }),
          platform: fc.record({ architecture: text, os: text }),
          urls: fc.array(text, { maxLength: 3 }),
          artifactType: fc.constant('application/vnd.example+json'),
        },
        { requiredKeys: ['mediaType', 'digest', 'size'] },
      ),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([t, reversed, withUndefined]) => {
      const entries: [string, unknown][] = Object.entries(t);
      if (reversed) entries.reverse();
      if (withUndefined) entries.push(['platform', undefined]);
      return Object.fromEntries(entries) as unknown as StoredImage['t'];
    }),
  // Keys that mean something to a plain object, too (the boundary refuses __proto__: see below).
  l: fc.dictionary(fc.oneof(objectKey, fc.constantFrom('constructor', 'toString', 'hasOwnProperty')), text, {
    maxKeys: 8,
  }),
  c: fc.maxSafeNat(),
  u: fc.maxSafeNat(),
  z: fc.maxSafeNat(),
});

const sample: StoredImage = {
  t: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: fakeDigest(1), size: 10 },
  l: {},
  c: 1,
  u: 2,
  z: 10,
};

// What lmdb-js's default encoding wrote before: msgpackr records whose structures are defined inline in each value.
const olderPackr = new Packr({});

describe('image records on disk', () => {
  it('read back exactly as written: target fields and labels in their order, times and size', () => {
    fc.assert(
      fc.property(storedImage, (s) => {
        const back = decodeImage(encodeImage(s));
        expect(back).toEqual(s);
        // Exactly: the API prints what it reads, and `check` compares records with the name index as JSON.
        expect(JSON.stringify(back)).toBe(JSON.stringify(s));
        expect(Object.keys(back.t)).toEqual(Object.keys(s.t));
        expect(Object.keys(back.l)).toEqual(Object.keys(s.l));
        expect(Object.getPrototypeOf(back.l)).toBe(Object.prototype);
      }),
    );
  });

  it('are shorter than the records written before, which still read as they were', () => {
    fc.assert(
      fc.property(storedImage, (s) => {
        const older = olderPackr.pack(s);
        expect(decodeImage(older)).toEqual(s);
        expect(encodeImage(s).length).toBeLessThan(older.length);
      }),
    );
  });

  it('keep a __proto__ label an own label (the API refuses one; an older record turned it into __proto_)', () => {
    const s: StoredImage = {
      ...sample,
      l: JSON.parse('{"__proto__": "x", "env": "prod"}') as StoredImage['l'],
    };
    const back = decodeImage(encodeImage(s));
    expect(Object.entries(back.l)).toEqual([
      ['__proto__', 'x'],
      ['env', 'prod'],
    ]);
    expect(Object.getPrototypeOf(back.l)).toBe(Object.prototype);
  });

  it('refuse a layout this build does not know', () => {
    expect(() => decodeImage(new Packr({ useRecords: false }).pack([3, 0, 0, 0]))).toThrow(/unknown layout/);
  });

  it("from an older store list, get, update and check as before, and each rewrite uses today's layout", async () => {
    const seeds: SeedImage[] = Array.from({ length: 40 }, (_, i) => ({
      namespace: ['default', 'k8s.io'][i % 2]!,
      name: `registry.example/app:v${i}`,
      target: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: fakeDigest(i),
        size: 100 + i,
        ...(i % 3 === 0 ? { annotations: { 'org.opencontainers.image.ref.name': `v${i}` } } : {}),
      },
      labels: (i % 2 ? { env: 'prod', team: `t${i}` } : {}) as Record<string, string>,
    }));
    const { store, service } = tempStore();
    seedImages(store, seeds);
    const listed = (await listAll(service, { sort: 'created', order: 'asc', limit: 9 }, 9)).items;
    // Rewrite every record the way an older build stored it, through lmdb-js's default encoding.
    const older = store.env.root.openDB<StoredImage, Key>('images', {});
    store.write(() => {
      for (const { key, value } of [...store.env.dbs.images.getRange()]) older.put(key, value);
    });
    const firstByte = (ns: string, name: string) => store.env.dbs.images.getBinary([ns, name])![0]!;
    // A msgpackr record: its structure definition first (fixext 1, type 0x72).
    expect(firstByte('k8s.io', 'registry.example/app:v1')).toBe(0xd4);

    expect((await listAll(service, { sort: 'created', order: 'asc', limit: 9 }, 9)).items).toEqual(listed);
    const prod = await listAll(service, {
      filter: { labels: ['env=prod'] },
      sort: 'name',
      order: 'asc',
      limit: 7,
    });
    expect(prod.items.map((r) => r.labels.env)).toEqual(Array(20).fill('prod'));
    expect(checkStore(store.env, { deep: false }).errors).toEqual([]);

    const updated = await service['images.update']({
      namespace: 'k8s.io',
      name: 'registry.example/app:v1',
      labels: { env: 'dev' },
    });
    expect(await service['images.get']({ namespace: 'k8s.io', name: 'registry.example/app:v1' })).toEqual(
      updated,
    );
    // A msgpack array of 8 fixed fields and 2 label items: 0x90 | 10.
    expect(firstByte('k8s.io', 'registry.example/app:v1')).toBe(0x9a);
    expect(checkStore(store.env, { deep: false }).errors).toEqual([]);
  });
});

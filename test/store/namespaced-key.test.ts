import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey, namespacedKey } from '../../src/main/store/keys';
import { fakeDigest, seedImages, tempStore } from '../helpers/store';

// Any text: control characters, the escaped code units 0-4, lone surrogates, astral characters, empty strings and
// strings past ordered-binary's 64-character switch to its other string path.
const part = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.constantFrom(
    '',
    '\u0000',
    '\u0004x',
    'x\u0004',
    'a\u0001b',
    '\u001bx',
    '\ud800',
    'a\udc00b',
    '\u{1f600}',
    'x'.repeat(64),
  ),
);

describe('the [namespace, name] key of a record read', () => {
  it('is byte for byte the key lmdb-js writes for [namespace, name], whatever the text', () => {
    fc.assert(
      fc.property(part, part, (ns, name) => {
        expect(namespacedKey(ns, name).equals(encodeKey([ns, name]))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the image and the metadata value written under the array key, non-ASCII names included', async () => {
    const { store, service } = tempStore();
    const names = ['docker.io/library/nginx:1.25', 'registry.example/ünïcode/app:v1', 'ghcr.io/acme/api:🚀'];
    seedImages(
      store,
      names.map((name, i) => ({
        namespace: 'k8s.io',
        name,
        target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: fakeDigest(i), size: i },
      })),
    );
    for (const [i, name] of names.entries())
      expect(store.env.dbs.images.get(namespacedKey('k8s.io', name))?.t.digest).toBe(fakeDigest(i));
    for (const key of ['sha256/ab', 'repositories/ünï/tags', 'emoji/🚀']) {
      await service['metadata.set']({ namespace: 'distribution', key, value: new TextEncoder().encode(key) });
      const got = await service['metadata.get']({ namespace: 'distribution', key });
      expect(new TextDecoder().decode(got.value)).toBe(key);
    }
  });
});

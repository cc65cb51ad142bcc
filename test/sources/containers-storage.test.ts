import { cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bigDataFileName,
  containersStorageImporter,
  manifestMediaType,
} from '../../src/main/sources/containers-storage';
import type { ReadOptions } from '../../src/main/sources/types';
import { parseInput } from '../../src/shared/validate';
import { tempDir, tempStore } from '../helpers/store';
import { byName, options, rejection, sha256, treeSnapshot } from './helpers';

const fixture = join(__dirname, '..', 'fixtures', 'containers-storage');
const root = join(fixture, 'storage');
const imagesDir = join(root, 'vfs-images');

interface ExpectedImage {
  id: string;
  kind: 'image' | 'manifestList';
  names: string[];
  digests: string[];
  created: string;
  repoTags: string[];
  manifest: {
    key: string;
    mediaType: string;
    digest: string;
    size: number;
    config?: { digest: string; mediaType: string };
  };
  manifestsByDigest: { key: string; digest: string; mediaType: string }[];
  config: { key: string; digest: string; size: number } | null;
  bigData: { key: string; file: string; size: number; digest: string }[];
}
const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as {
  summary: { images: number; podmanListingRows: number; names: number; manifestLists: string[] };
  images: ExpectedImage[];
};
/** `podman images -a --digests --no-trunc --format json`: one object per listing row (per tag). */
const podman = JSON.parse(readFileSync(join(fixture, 'expected', 'podman-images.json'), 'utf8')) as {
  Id: string;
  Names: string[] | null;
  Digest: string;
  Created: number;
}[];

const namesOf = (image: ExpectedImage) => (image.names.length > 0 ? image.names : [`sha256:${image.id}`]);

const read = (path: string, extra: Partial<ReadOptions> = {}) =>
  containersStorageImporter.read(path, options(extra));

/** A writable copy of the graph root, to damage; `images` edits images.json. */
function copyRoot() {
  const copy = join(tempDir('imgmeta-cstorage-'), 'storage');
  cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
  const imagesJson = join(copy, 'vfs-images', 'images.json');
  return {
    root: copy,
    file: (id: string, key: string) => join(copy, 'vfs-images', id, bigDataFileName(key)),
    editImages(edit: (images: Record<string, unknown>[]) => void) {
      const images = JSON.parse(readFileSync(imagesJson, 'utf8')) as Record<string, unknown>[];
      edit(images);
      writeFileSync(imagesJson, JSON.stringify(images));
    },
  };
}

const base = expected.images.find((i) => i.names.includes('example.com/fixtures/base:1.0'))!;
const tools = expected.images.find((i) => i.names.includes('example.com/fixtures/tools:0.1'))!;

describe('names: every name of every image, as `podman images -a --digests` lists them', () => {
  it('has one record per name, and sha256:<id> for an image without one, in the podman namespace', async () => {
    const batch = await read(root);
    expect(batch.kind).toBe('containers-storage');
    expect(batch.images.map((i) => i.name).sort()).toEqual(expected.images.flatMap(namesOf).sort());
    expect(batch.images).toHaveLength(expected.summary.names + 2);
    expect(new Set(batch.images.map((i) => i.namespace))).toEqual(new Set(['podman']));
    expect(batch.damaged).toEqual([]);
  });

  it('matches every listing row: its names (or <none>) and its created time; the target is one of its digests', async () => {
    const images = byName(await read(root));
    expect(podman).toHaveLength(expected.summary.podmanListingRows);
    for (const row of podman) {
      const names = row.Names ?? [`sha256:${row.Id}`];
      const digests = expected.images.find((i) => i.id === row.Id)!.digests;
      for (const name of names) {
        const record = images.get(name)!;
        expect(record, name).toBeDefined();
        expect(Math.floor(record.createdAt! / 1000)).toBe(row.Created);
        // podman's DIGEST column is the digest the image was created with; the target is the manifest in use.
        // Both are among the digests podman finds the image by.
        expect(digests).toContain(record.target.digest);
        expect(digests).toContain(row.Digest);
      }
    }
  });

  it('keeps the tags of every row and the digest-only name (which podman shows in no row)', async () => {
    const images = byName(await read(root));
    for (const image of expected.images) for (const tag of image.repoTags) expect(images.has(tag)).toBe(true);
    expect(
      images.get(
        'registry.example.net/pinned/app@sha256:52dd533837d89ff6bc01a458ec9838cfd24304847f7313373cae87f5266e9cd1',
      )?.target.digest,
    ).toBe('sha256:52dd533837d89ff6bc01a458ec9838cfd24304847f7313373cae87f5266e9cd1');
  });

  it('names the dangling images sha256:<id>', async () => {
    const images = byName(await read(root));
    for (const id of [
      'b8c81ad8b2f79958f8a269f85b5b3ce00da60c0fe19bea7d047a9e239f0571c7',
      '11c887f8a0439c3a27afa96df1bb8f21534d06dde1d9edf6771b74667afe0f75',
    ])
      expect(images.has(`sha256:${id}`)).toBe(true);
  });

  it('puts the images into the namespace option when given', async () => {
    const batch = await read(root, { namespace: 'buildah' });
    expect(new Set(batch.images.map((i) => i.namespace))).toEqual(new Set(['buildah']));
  });
});

describe('targets: the manifest the image uses', () => {
  it('points each name at the `manifest` big-data: its media type, sha256 and length', async () => {
    const images = byName(await read(root));
    for (const image of expected.images)
      for (const name of namesOf(image))
        expect(images.get(name)!.target).toEqual({
          mediaType: image.manifest.mediaType,
          digest: image.manifest.digest,
          size: image.manifest.size,
        });
  });

  it('the app, copied again as OCI, points at the OCI manifest that replaced the Docker one', async () => {
    const images = byName(await read(root));
    expect(images.get('example.com/fixtures/app:1.0')!.target).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: 'sha256:52dd533837d89ff6bc01a458ec9838cfd24304847f7313373cae87f5266e9cd1',
      size: 875,
    });
  });

  it('a manifest list (no layer, no config) points at its index', async () => {
    const images = byName(await read(root));
    expect(images.get('localhost/fixtures/multi-list:1.0')!.target).toEqual({
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: 'sha256:e5ed7e0cbfae9262d8dd87e4389bd27976a35e79a59a3f133a1ad95a9c10df69',
      size: 708,
    });
  });

  it('dates each record from images.json created', async () => {
    const images = byName(await read(root));
    for (const image of expected.images)
      for (const name of namesOf(image)) expect(images.get(name)!.createdAt).toBe(Date.parse(image.created));
  });

  it('tells media types apart when the manifest has none (umoci): Docker schema2 vs OCI by the fields', () => {
    const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    expect(manifestMediaType(readFileSync(join(imagesDir, tools.id, 'manifest')))).toBe(
      'application/vnd.oci.image.manifest.v1+json',
    );
    expect(
      manifestMediaType(
        json({ schemaVersion: 2, config: { mediaType: 'application/vnd.docker.container.image.v1+json' } }),
      ),
    ).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(manifestMediaType(json({ schemaVersion: 2, manifests: [] }))).toBe(
      'application/vnd.oci.image.index.v1+json',
    );
    expect(manifestMediaType(json({ schemaVersion: 2, mediaType: 'application/x.custom+json' }))).toBe(
      'application/x.custom+json',
    );
    expect(manifestMediaType(json({ schemaVersion: 1, signatures: [] }))).toBe(
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
    );
    expect(manifestMediaType(new TextEncoder().encode('not json'))).toBeUndefined();
  });
});

describe('content: every manifest and config, verified against big-data-digests and -sizes', () => {
  it('stores the manifest in use, every manifest-sha256:* (indexes included) and the config, once each', async () => {
    const batch = await read(root);
    const content = new Map(batch.content.map((c) => [c.digest, c]));
    const wanted = new Map<string, string>();
    for (const image of expected.images) {
      wanted.set(image.manifest.digest, image.manifest.mediaType);
      for (const m of image.manifestsByDigest) wanted.set(m.digest, m.mediaType);
      if (image.config) wanted.set(image.config.digest, image.manifest.config!.mediaType);
    }
    expect([...content.keys()].sort()).toEqual([...wanted.keys()].sort());
    for (const [digest, mediaType] of wanted) {
      expect(content.get(digest)!.mediaType, digest).toBe(mediaType);
      expect(sha256(content.get(digest)!.bytes)).toBe(digest);
    }
    expect(
      content.get('sha256:99d3dfc83137f669bf64c41c729e47b17cec85865c7b3b32f51ccc9f0343c37c')!.mediaType,
    ).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('finds big-data files by the key or = + base64 of it, as containers/storage names them', () => {
    for (const image of expected.images)
      for (const item of image.bigData)
        expect(bigDataFileName(item.key)).toBe(relative(join('storage', 'vfs-images', image.id), item.file));
    expect(bigDataFileName('instances.json')).toBe('instances.json');
    expect(() => bigDataFileName('..')).toThrow(/cannot be a file name/);
  });

  it('holds no layers, even with keepLayers, and says so', async () => {
    const batch = await read(root, { keepLayers: true, tempDir: tempDir() });
    expect(batch.layers).toEqual([]);
    expect(batch.notes.join('\n')).toMatch(/no layer blobs/);
  });
});

describe('damaged entries: the sound images import, each damaged one is reported and kept as incomplete', () => {
  it('a manifest that does not match and has no sound copy: kept, pointing where the store says, not stored', async () => {
    const copy = copyRoot();
    // Still JSON (so its media type can be told), but one digit of the config digest differs.
    for (const key of ['manifest', `manifest-${tools.manifest.digest}`]) {
      const text = readFileSync(copy.file(tools.id, key), 'utf8');
      writeFileSync(copy.file(tools.id, key), text.replace(tools.id.slice(0, 8), `${tools.id.slice(0, 7)}0`));
    }
    const batch = await read(copy.root);
    for (const name of tools.names) {
      expect(byName(batch).get(name)!.target).toEqual({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: tools.manifest.digest,
        size: tools.manifest.size,
      });
      expect(batch.damaged).toContainEqual(
        expect.objectContaining({
          name,
          digest: tools.manifest.digest,
          reason: expect.stringMatching(/digest mismatch/),
        }),
      );
    }
    expect(batch.damaged).toHaveLength(tools.names.length);
    expect(batch.content.map((c) => c.digest)).not.toContain(tools.manifest.digest);
    expect(batch.images).toHaveLength(11);
  });

  it('a damaged manifest with a sound manifest-<digest> copy: the copy stands in, noted', async () => {
    const copy = copyRoot();
    writeFileSync(copy.file(base.id, 'manifest'), '{}');
    const batch = await read(copy.root);
    expect(batch.damaged).toEqual([]);
    expect(byName(batch).get('example.com/fixtures/base:1.0')!.target.digest).toBe(base.manifest.digest);
    expect(batch.notes.join('\n')).toMatch(/used the sound copy/);
  });

  it('a missing config: the record is kept, the manifest stored, the config reported', async () => {
    const copy = copyRoot();
    rmSync(copy.file(base.id, base.config!.key));
    const batch = await read(copy.root);
    expect(byName(batch).get('example.com/fixtures/base:1.0')!.target.digest).toBe(base.manifest.digest);
    expect(batch.content.map((c) => c.digest)).toContain(base.manifest.digest);
    expect(batch.content.map((c) => c.digest)).not.toContain(base.config!.digest);
    expect(batch.damaged).toEqual([
      expect.objectContaining({
        name: 'example.com/fixtures/base:1.0',
        reason: expect.stringMatching(/missing/),
      }),
    ]);
  });

  it('a big-data file that is a symbolic link out of the store is refused, not followed', async () => {
    const copy = copyRoot();
    const outside = join(tempDir(), 'config');
    cpSync(copy.file(base.id, base.config!.key), outside);
    rmSync(copy.file(base.id, base.config!.key));
    symlinkSync(outside, copy.file(base.id, base.config!.key));
    const batch = await read(copy.root);
    expect(batch.damaged).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/symbolic link/) }),
    ]);
    expect(batch.content.map((c) => c.digest)).not.toContain(base.config!.digest);
  });

  it('a size in big-data-sizes that does not match the file', async () => {
    const copy = copyRoot();
    copy.editImages((images) => {
      const image = images.find((i) => i['id'] === base.id)!;
      (image['big-data-sizes'] as Record<string, number>)[base.config!.key] = 684;
    });
    const batch = await read(copy.root);
    expect(batch.damaged).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/size mismatch/) }),
    ]);
    expect(batch.content.map((c) => c.digest)).not.toContain(base.config!.digest);
  });

  it('an invalid digest in big-data-digests', async () => {
    const copy = copyRoot();
    copy.editImages((images) => {
      const image = images.find((i) => i['id'] === base.id)!;
      (image['big-data-digests'] as Record<string, string>)['manifest'] = 'sha256:XYZ';
    });
    const batch = await read(copy.root);
    // The copy under manifest-<the image's digest> stands in.
    expect(byName(batch).get('example.com/fixtures/base:1.0')!.target.digest).toBe(base.manifest.digest);
    expect(batch.notes.join('\n')).toMatch(/invalid digest/);
  });

  it('an images.json entry without a valid id, a name the store cannot hold, a name listed twice', async () => {
    const copy = copyRoot();
    copy.editImages((images) => {
      images.push({ id: '../../etc', names: ['x:1'] });
      images.find((i) => i['id'] === base.id)!['names'] = [
        'example.com/fixtures/base:1.0',
        'example.com/UPPER:1',
      ];
      images.find((i) => i['id'] === tools.id)!['names'] = [...tools.names, 'example.com/fixtures/base:1.0'];
    });
    const batch = await read(copy.root);
    expect(batch.images).toHaveLength(11);
    expect(batch.damaged).toHaveLength(3);
    expect(batch.damaged.map((d) => d.reason).join('\n')).toMatch(/not 64 hex digits/);
    expect(batch.damaged.map((d) => d.name)).toContain('example.com/UPPER:1');
    expect(byName(batch).get('example.com/fixtures/base:1.0')!.target.digest).toBe(base.manifest.digest);
  });
});

describe('refuses what is not a readable containers/storage root, with a clear invalid_argument', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['invalid JSON', '[{"id": ', /not valid JSON/],
    ['random bytes', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)), /not valid JSON/],
    ['not an array', '{"id": "x"}', /expected a JSON array/],
  ];
  for (const [what, content, message] of cases) {
    it(`images.json with ${what}`, async () => {
      const copy = copyRoot();
      writeFileSync(join(copy.root, 'vfs-images', 'images.json'), content);
      const err = await rejection(read(copy.root));
      expect(err.code).toBe('invalid_argument');
      expect(err.message).toMatch(/images\.json/);
      expect(err.message).toMatch(message);
    });
  }

  it('an empty images.json is an empty store, as containers/storage reads it', async () => {
    const copy = copyRoot();
    writeFileSync(join(copy.root, 'vfs-images', 'images.json'), '');
    expect((await read(copy.root)).images).toEqual([]);
  });

  it('a graph root with two drivers: asks which; the <driver>-images directory can be handed in', async () => {
    const copy = copyRoot();
    cpSync(join(copy.root, 'vfs-images'), join(copy.root, 'overlay-images'), { recursive: true });
    const err = await rejection(read(copy.root));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/overlay-images, vfs-images/);
    expect((await read(join(copy.root, 'vfs-images'))).images).toHaveLength(11);
  });

  it('a directory that is not a graph root', async () => {
    expect((await rejection(read(tempDir()))).message).toMatch(/not a containers\/storage graph root/);
  });
});

describe('detection', () => {
  it('recognises the graph root and its images directory, with counts', async () => {
    for (const path of [root, imagesDir])
      expect(await containersStorageImporter.detect(path)).toMatchObject({
        kind: 'containers-storage',
        path,
        namespaces: ['podman'],
        images: 11,
        metadataKeys: 0,
      });
  });

  it('does not claim other sources', async () => {
    expect(
      await containersStorageImporter.detect(join(__dirname, '..', 'fixtures', 'docker-data-root')),
    ).toBeUndefined();
    expect(await containersStorageImporter.detect(fixture)).toBeUndefined();
    expect(await containersStorageImporter.detect(join(imagesDir, 'images.json'))).toBeUndefined();
  });
});

describe('the batch is one the store accepts', () => {
  it('every record and blob passes the store', async () => {
    const batch = await read(root);
    const { service } = tempStore();
    for (const blob of batch.content)
      await service['content.put']({ bytes: blob.bytes, mediaType: blob.mediaType });
    for (const image of batch.images) {
      const input = {
        namespace: image.namespace,
        name: image.name,
        target: image.target,
        labels: image.labels,
      };
      await service['images.create'](parseInput('images.create', input));
    }
    const list = await service['images.get']({
      namespace: 'podman',
      name: 'localhost/fixtures/multi-list:1.0',
    });
    expect(list.target.digest).toBe(
      'sha256:e5ed7e0cbfae9262d8dd87e4389bd27976a35e79a59a3f133a1ad95a9c10df69',
    );
  });
});

describe('progress, cancel, read-only', () => {
  it('reports progress per image', async () => {
    const opts = options();
    await containersStorageImporter.read(root, opts);
    expect(opts.updates).toContainEqual(
      expect.objectContaining({ phase: 'images', items: 7, totalItems: 7 }),
    );
  });

  it('an already-aborted signal gives cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await rejection(read(root, { signal: controller.signal }))).code).toBe('cancelled');
  });

  it('never writes to the source', async () => {
    const copy = copyRoot();
    const snapshot = () => treeSnapshot(copy.root);
    const before = snapshot();
    await read(copy.root);
    await containersStorageImporter.detect(copy.root);
    expect(snapshot()).toEqual(before);
  });
});

import { readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitBatch } from '../../src/main/sources/commit';
import { ociLayoutImporter } from '../../src/main/sources/oci-layout';
import type { ImportProgress } from '../../src/main/sources/types';
import { tempDir, tempStore } from '../helpers/store';
import {
  byName,
  contentDigests,
  copyLayout,
  emptyLayout,
  expectInvalid,
  expectStorable,
  json,
  oci,
  options,
  readIndex,
  sha256,
  stripTarget,
  umociExpected,
  umociLayout,
  writeBlob,
  writeImage,
  writeIndex,
} from './oci-helpers';

const read = (path: string, extra = {}) => ociLayoutImporter.read(path, options(extra));

/** Every digest expected.json lists for the umoci layout: manifests, the index, configs, layers. */
function expectedDigests() {
  const stored = new Set<string>();
  const layers = new Set<string>();
  const walk = (ref: (typeof umociExpected.refs)[number]) => {
    stored.add(ref.digest);
    if (ref.config) stored.add(ref.config.digest);
    for (const layer of ref.layers ?? []) layers.add(layer.digest);
    for (const child of ref.manifests ?? []) walk(child);
  };
  umociExpected.refs.forEach(walk);
  return { stored: [...stored].sort(), layers: [...layers].sort() };
}

describe('an OCI image layout (umoci) imports as expected.json describes it', () => {
  it('is detected, with its six names and the bare tag explained', async () => {
    const detection = await ociLayoutImporter.detect(umociLayout);
    expect(detection).toMatchObject({
      kind: 'oci-layout',
      path: umociLayout,
      description: 'OCI image layout',
      namespaces: ['default'],
      images: 6,
      metadataKeys: 0,
    });
    expect(detection!.notes.join('\n')).toMatch(/bare tags \(stable\).*layout:<tag>/);
    expect(await ociLayoutImporter.detect(umociLayout, { namespace: 'fixtures' })).toMatchObject({
      namespaces: ['fixtures'],
    });
  });

  it('names every ref, full references as they are and the bare tag after the directory', async () => {
    const batch = await read(umociLayout);
    expect(batch.kind).toBe('oci-layout');
    const names = byName(batch);
    expect([...names.keys()].sort()).toEqual([
      'example.com/fixtures/app:1.0',
      'example.com/fixtures/app:latest',
      'example.com/fixtures/base:1.0',
      'example.com/fixtures/multi:1.0',
      'example.com/fixtures/tools:0.1',
      'layout:stable',
    ]);
    for (const ref of umociExpected.refs) {
      const name = ref.ref === 'stable' ? 'layout:stable' : ref.ref;
      const image = names.get(name)!;
      expect(image.namespace).toBe('default');
      expect(image.labels).toEqual({});
      expect(stripTarget(image.target)).toEqual({
        mediaType: ref.mediaType,
        digest: ref.digest,
        size: ref.size,
      });
      // The naming annotations become the record's name; the others stay on the target.
      const { 'org.opencontainers.image.ref.name': _name, ...rest } = ref.annotations;
      expect(image.target.annotations ?? {}).toEqual(rest);
      expect(image.createdAt).toBeUndefined();
    }
    expect(names.get('example.com/fixtures/multi:1.0')!.target.annotations).toEqual({
      'org.opencontainers.image.created': '2024-01-02T03:04:05Z',
    });
    expect(batch.notes.join('\n')).toMatch(
      /bare tag "stable" .* imported as layout:stable, after the directory name/,
    );
    expect(batch.damaged).toEqual([]);
    expect(batch.metadata).toEqual([]);
  });

  it('stores the 5 manifests, the index and the 5 configs as content, verified, with the descriptor media types', async () => {
    const batch = await read(umociLayout);
    const { stored, layers } = expectedDigests();
    expect(stored).toHaveLength(11);
    expect(layers).toHaveLength(6);
    expect(stored.length + layers.length).toBe(umociExpected.blobCount);
    expect(contentDigests(batch)).toEqual(stored);
    const types = new Map(batch.content.map((c) => [c.digest, c.mediaType]));
    for (const ref of umociExpected.refs) {
      // umoci writes no mediaType inside its manifests: the descriptor's is kept.
      expect(types.get(ref.digest)).toBe(ref.mediaType);
      if (ref.config) expect(types.get(ref.config.digest)).toBe(ref.config.mediaType);
      for (const child of ref.manifests ?? []) {
        expect(types.get(child.digest)).toBe(child.mediaType);
        expect(types.get(child.config!.digest)).toBe(oci.config);
      }
    }
    for (const blob of batch.content)
      expect(Buffer.from(blob.bytes)).toEqual(
        readFileSync(join(umociLayout, 'blobs', 'sha256', blob.digest.slice(7))),
      );
    expect(batch.layers).toEqual([]);
    expectStorable(batch);
  });

  it('commits into a real store: every image complete as far as its content goes', async () => {
    const batch = await read(umociLayout);
    const { store, service } = tempStore();
    const summary = store.write((ctx) => commitBatch(store.env, ctx, batch));
    expect(summary.images.created).toHaveLength(6);
    expect(summary.content.added).toBe(11);
    const tree = await service['content.tree']({
      digest: '' + byName(batch).get('example.com/fixtures/multi:1.0')!.target.digest,
    });
    expect(tree.children.map((c) => c.descriptor.digest).sort()).toEqual([
      'sha256:534418e474dd19bdbb06abfa1d0a3e46dd5220da0b85ac9c8ef406e2d8904dbb',
      'sha256:62ea15974feba77fb52cab2597ad4955c21ba531d5f41db3a42c57093395009b',
    ]);
    // Importing the same layout again changes nothing.
    const again = store.write((ctx) => commitBatch(store.env, ctx, batch));
    expect(again.images.unchanged).toBe(6);
    expect(again.content.present).toBe(11);
  });

  it('reads without writing: the layout is byte for byte and time for time as it was', async () => {
    const dir = copyLayout();
    const snapshot = () =>
      readdirSync(dir, { recursive: true })
        .map(String)
        .sort()
        .map((f) => {
          const info = statSync(join(dir, f));
          return `${f} ${info.size} ${info.mtimeMs}`;
        });
    const before = snapshot();
    await read(dir, { keepLayers: true, tempDir: tempDir() });
    expect(snapshot()).toEqual(before);
  });
});

describe('names: io.containerd.image.name, full ref.name, bare tags, unnamed entries', () => {
  it('prefers io.containerd.image.name over org.opencontainers.image.ref.name', async () => {
    const dir = emptyLayout();
    const target = writeImage(dir, 'a');
    writeIndex(dir, [
      {
        ...target,
        annotations: {
          'io.containerd.image.name': 'docker.io/library/app:1',
          'org.opencontainers.image.ref.name': '1',
          'com.example.note': 'kept',
        },
      },
    ]);
    const batch = await read(dir);
    expect(batch.images.map((i) => i.name)).toEqual(['docker.io/library/app:1']);
    expect(batch.images[0]!.target).toEqual({ ...target, annotations: { 'com.example.note': 'kept' } });
  });

  it('names a bare tag after the directory, sanitized to the reference grammar', async () => {
    for (const [dirName, expected] of [
      ['My Layout (2)', 'my-layout-2:stable'],
      ['app.tar', 'app:stable'],
      ['__..__', 'imported:stable'],
      ['Ünïcode', 'n-code:stable'],
    ]) {
      const dir = emptyLayout(dirName);
      writeIndex(dir, [
        { ...writeImage(dir, 'a'), annotations: { 'org.opencontainers.image.ref.name': 'stable' } },
      ]);
      const batch = await read(dir);
      expect(batch.images.map((i) => i.name)).toEqual([expected]);
      expect(batch.notes.join('\n')).toContain(`imported as ${expected}`);
      expectStorable(batch);
    }
  });

  it('imports an entry with no name as <directory>@<digest>, and says so', async () => {
    const dir = emptyLayout('unnamed');
    const target = writeImage(dir, 'a');
    writeIndex(dir, [target]);
    const detection = await ociLayoutImporter.detect(dir);
    expect(detection!.notes.join('\n')).toMatch(/1 entry has no name: imported as unnamed@<digest>/);
    const batch = await read(dir);
    expect(batch.images.map((i) => i.name)).toEqual([`unnamed@${target.digest}`]);
    expect(batch.notes.join('\n')).toContain(`has no name: imported as unnamed@${target.digest}`);
    expectStorable(batch);
  });

  it('puts every image in the namespace asked for, and refuses one the store cannot keep', async () => {
    const batch = await read(umociLayout, { namespace: 'team-a' });
    expect(new Set(batch.images.map((i) => i.namespace))).toEqual(new Set(['team-a']));
    await expectInvalid(read(umociLayout, { namespace: 'no spaces' }), /namespace "no spaces"/);
  });

  it('refuses a name the store cannot keep instead of altering it', async () => {
    const dir = emptyLayout();
    const target = writeImage(dir, 'a');
    writeIndex(dir, [
      { ...target, annotations: { 'org.opencontainers.image.ref.name': 'Example.com/UPPER/app:1' } },
    ]);
    await expectInvalid(read(dir), /manifests\[0\].*"Example.com\/UPPER\/app:1" is not a valid image name/);
    writeIndex(dir, [{ ...target, annotations: { 'org.opencontainers.image.ref.name': 'bad tag!' } }]);
    await expectInvalid(read(dir), /"bad tag!" is neither a reference nor a tag/);
    writeIndex(dir, [{ ...target, annotations: { 'io.containerd.image.name': 'a b' } }]);
    await expectInvalid(read(dir), /io.containerd.image.name "a b" is not a valid image name/);
  });

  it('refuses one name for two different manifests, and imports the same name twice once', async () => {
    const dir = emptyLayout();
    const a = writeImage(dir, 'a');
    const b = writeImage(dir, 'b');
    const named = (d: object) => ({ ...d, annotations: { 'org.opencontainers.image.ref.name': 'x/app:1' } });
    writeIndex(dir, [named(a), named(a)]);
    expect((await read(dir)).images).toHaveLength(1);
    writeIndex(dir, [named(a), named(b)]);
    await expectInvalid(read(dir), /names two different manifests x\/app:1/);
  });
});

describe('nested indexes, referrers, foreign layers, unknown media types', () => {
  it('walks an index of an index of manifests and stores all of them', async () => {
    const dir = emptyLayout();
    const layer = writeBlob(dir, Buffer.from('layer bytes'), oci.layer);
    const amd = writeImage(dir, 'amd', [layer]);
    const inner = writeBlob(
      dir,
      json({ schemaVersion: 2, mediaType: oci.index, manifests: [amd] }),
      oci.index,
    );
    const outer = writeBlob(
      dir,
      json({ schemaVersion: 2, mediaType: oci.index, manifests: [inner] }),
      oci.index,
    );
    writeIndex(dir, [{ ...outer, annotations: { 'org.opencontainers.image.ref.name': 'x/nested:1' } }]);
    const batch = await read(dir, { keepLayers: true, tempDir: tempDir() });
    expect(stripTarget(batch.images[0]!.target)).toEqual(stripTarget(outer));
    expect(batch.content).toHaveLength(4); // outer, inner, manifest, config
    expect(batch.layers.map((l) => l.digest)).toEqual([layer.digest]);
  });

  it('refuses indexes nested deeper than 8', async () => {
    const dir = emptyLayout();
    let top = writeImage(dir, 'deep');
    for (let i = 0; i < 9; i++) top = writeBlob(dir, json({ schemaVersion: 2, manifests: [top] }), oci.index);
    writeIndex(dir, [{ ...top, annotations: { 'org.opencontainers.image.ref.name': 'x/deep:1' } }]);
    await expectInvalid(read(dir), /nested deeper than 8/);
  });

  it('stores an unnamed referrer (a manifest with a subject) as content only, and a named one as an image', async () => {
    const dir = emptyLayout();
    const subject = writeImage(dir, 'subject');
    const empty = writeBlob(dir, Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');
    const sbom = writeBlob(dir, Buffer.from('{"spdxVersion":"SPDX-2.3"}'), 'application/spdx+json');
    const referrer = writeBlob(
      dir,
      json({
        schemaVersion: 2,
        mediaType: oci.manifest,
        artifactType: 'application/spdx+json',
        config: empty,
        layers: [sbom],
        subject,
      }),
      oci.manifest,
      { artifactType: 'application/spdx+json' },
    );
    writeIndex(dir, [
      { ...subject, annotations: { 'org.opencontainers.image.ref.name': 'x/app:1' } },
      referrer,
    ]);
    const batch = await read(dir);
    expect(batch.images.map((i) => i.name)).toEqual(['x/app:1']);
    expect(contentDigests(batch)).toContain(referrer.digest);
    expect(contentDigests(batch)).toContain(empty.digest);
    expect(contentDigests(batch)).not.toContain(sbom.digest); // a layer, verified but not content
    expect(batch.notes.join('\n')).toMatch(
      /1 unnamed referrer manifest \(with a subject\) stored as content only/,
    );
    expectStorable(batch);

    writeIndex(dir, [
      subject,
      { ...referrer, annotations: { 'org.opencontainers.image.ref.name': 'x/sbom:1' } },
    ]);
    const named = await read(dir);
    expect(named.images.map((i) => i.name).sort()).toEqual([`layout@${subject.digest}`, 'x/sbom:1']);
    expect(named.images.find((i) => i.name === 'x/sbom:1')!.target.artifactType).toBe(
      'application/spdx+json',
    );
  });

  it('accepts a foreign layer (with urls) that is absent, and refuses any other absent layer', async () => {
    const dir = emptyLayout();
    const foreign = {
      mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
      digest: sha256('not here'),
      size: 8,
      urls: ['https://example.com/layer'],
    };
    const target = writeImage(dir, 'win', [foreign]);
    writeIndex(dir, [{ ...target, annotations: { 'org.opencontainers.image.ref.name': 'x/win:1' } }]);
    const batch = await read(dir);
    expect(batch.images).toHaveLength(1);
    expect(batch.notes.join('\n')).toMatch(/foreign layer sha256:\w+ .*with urls.* not in the layout/);

    const plain = writeImage(dir, 'plain', [{ mediaType: oci.layer, digest: sha256('absent'), size: 6 }]);
    writeIndex(dir, [{ ...plain, annotations: { 'org.opencontainers.image.ref.name': 'x/plain:1' } }]);
    await expectInvalid(read(dir), /blob sha256:\w+ \(index.json manifests\[0\] > layers\[0\]\) is missing/);
  });

  it('keeps unknown media types as they are, never rejecting them', async () => {
    const dir = emptyLayout();
    const config = writeBlob(dir, Buffer.from('opaque config bytes'), 'application/vnd.example.config');
    const layer = writeBlob(dir, Buffer.from('opaque layer'), 'application/vnd.example.thing');
    const manifest = writeBlob(
      dir,
      json({ schemaVersion: 2, mediaType: 'application/vnd.example.manifest+json', config, layers: [layer] }),
      'application/vnd.example.manifest+json',
    );
    const opaque = writeBlob(dir, Buffer.from('a target that is no JSON'), 'application/octet-stream');
    writeIndex(dir, [
      { ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'x/odd:1' } },
      { ...opaque, annotations: { 'org.opencontainers.image.ref.name': 'x/opaque:1' } },
    ]);
    const batch = await read(dir);
    expect(batch.images.map((i) => i.target.mediaType)).toEqual([
      'application/vnd.example.manifest+json',
      'application/octet-stream',
    ]);
    expect(new Map(batch.content.map((c) => [c.digest, c.mediaType]))).toEqual(
      new Map([
        [manifest.digest, 'application/vnd.example.manifest+json'],
        [config.digest, 'application/vnd.example.config'],
      ]),
    );
    expectStorable(batch);
  });
});

describe('a damaged layout is refused whole, naming the file and the reason', () => {
  const layerHex = 'ae02723aaf6aa4caff67f4761e201b5bf03b160b839f2e61d34b81196b9e0711';
  const appManifestHex = '52dd533837d89ff6bc01a458ec9838cfd24304847f7313373cae87f5266e9cd1';

  it('a missing layer', async () => {
    const dir = copyLayout();
    rmSync(join(dir, 'blobs', 'sha256', layerHex));
    await expectInvalid(read(dir), new RegExp(`blob sha256:${layerHex} .* is missing from the layout`));
  });

  it('a missing manifest', async () => {
    const dir = copyLayout();
    rmSync(join(dir, 'blobs', 'sha256', appManifestHex));
    await expectInvalid(
      read(dir),
      new RegExp(`index.json manifests\\[1\\] \\(blobs/sha256/${appManifestHex}\\) is missing`),
    );
  });

  it('a layer whose bytes do not match its digest', async () => {
    const dir = copyLayout();
    const path = join(dir, 'blobs', 'sha256', layerHex);
    const bytes = readFileSync(path);
    bytes[10] = bytes[10]! ^ 0xff;
    writeFileSync(path, bytes);
    await expectInvalid(
      read(dir),
      /layers\[0\] \(blobs\/sha256\/ae02.*\): digest mismatch: the bytes hash to sha256:/,
    );
  });

  it('a manifest whose size does not match its descriptor', async () => {
    const dir = copyLayout();
    const index = readIndex(dir);
    index.manifests[0]!.size += 1;
    writeIndex(dir, index.manifests);
    await expectInvalid(read(dir), /manifests\[0\].*size mismatch: 345 bytes, the descriptor says 346/);
  });

  it('an invalid digest in index.json', async () => {
    const dir = copyLayout();
    const index = readIndex(dir);
    index.manifests[2]!.digest = 'sha256:XYZ';
    writeIndex(dir, index.manifests);
    await expectInvalid(read(dir), /index.json manifests\[2\]: invalid descriptor: digest/);
  });

  it('a descriptor field holding an object that cannot become text (valid JSON)', async () => {
    const dir = copyLayout();
    const index = readIndex(dir);
    (index.manifests[1] as unknown as Record<string, unknown>).mediaType = {
      length: { toString: 1, valueOf: 1 },
    };
    writeIndex(dir, index.manifests);
    await expectInvalid(read(dir), /index.json manifests\[1\]: invalid descriptor/);
  });

  it('index.json that is not JSON, or random bytes', async () => {
    const dir = copyLayout();
    writeFileSync(join(dir, 'index.json'), '{"manifests": [');
    await expectInvalid(read(dir), /index.json: not valid JSON/);
    writeFileSync(join(dir, 'index.json'), Buffer.from([0x00, 0xff, 0x13, 0x37, 0x8b]));
    await expectInvalid(read(dir), /index.json: not valid JSON/);
    await expectInvalid(ociLayoutImporter.detect(dir), /index.json: not valid JSON/);
  });

  it('a manifest that is not JSON', async () => {
    const dir = emptyLayout();
    const garbage = writeBlob(dir, Buffer.from('definitely { not json'), oci.manifest);
    writeIndex(dir, [{ ...garbage, annotations: { 'org.opencontainers.image.ref.name': 'x/bad:1' } }]);
    await expectInvalid(read(dir), /manifests\[0\] sha256:\w+: not valid JSON/);
  });

  it('a manifest with an invalid layer descriptor', async () => {
    const dir = emptyLayout();
    const target = writeImage(dir, 'x', [{ mediaType: oci.layer, digest: 'md5:abc', size: -1 } as never]);
    writeIndex(dir, [{ ...target, annotations: { 'org.opencontainers.image.ref.name': 'x/bad:1' } }]);
    await expectInvalid(read(dir), /layers\[0\]: invalid descriptor/);
  });

  it('a blob that links outside the layout', async () => {
    const dir = copyLayout();
    const outside = join(tempDir(), 'outside');
    writeFileSync(outside, readFileSync(join(dir, 'blobs', 'sha256', layerHex)));
    rmSync(join(dir, 'blobs', 'sha256', layerHex));
    symlinkSync(outside, join(dir, 'blobs', 'sha256', layerHex));
    await expectInvalid(read(dir), /layout: blobs\/sha256\/ae02\w+ links outside the layout; refused/);
  });

  it('a blob that is a directory, not a file', async () => {
    const dir = copyLayout();
    rmSync(join(dir, 'blobs', 'sha256', layerHex));
    mkdirSync(join(dir, 'blobs', 'sha256', layerHex));
    await expectInvalid(read(dir), /is not a regular file/);
  });

  it('an unsupported oci-layout version, or a layout without index.json', async () => {
    const dir = copyLayout();
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await expectInvalid(ociLayoutImporter.detect(dir), /image layout version "2.0.0" is not supported/);
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    rmSync(join(dir, 'index.json'));
    await expectInvalid(read(dir), /an OCI layout without index.json/);
  });

  it('is not claimed when the path is not a layout', async () => {
    expect(await ociLayoutImporter.detect(tempDir())).toBeUndefined();
    expect(await ociLayoutImporter.detect(join(umociLayout, 'index.json'))).toBeUndefined();
    expect(await ociLayoutImporter.detect(join(tempDir(), 'absent'))).toBeUndefined();
    await expectInvalid(read(tempDir()), /not an OCI image layout/);
  });
});

describe('keep layers: verified copies under the temp dir', () => {
  it('copies each of the six layers once, byte for byte', async () => {
    const temp = tempDir();
    const batch = await read(umociLayout, { keepLayers: true, tempDir: temp });
    expect(batch.layers.map((l) => l.digest).sort()).toEqual(expectedDigests().layers);
    for (const layer of batch.layers) {
      const bytes = readFileSync(layer.file);
      expect(sha256(bytes)).toBe(layer.digest);
      expect(bytes.byteLength).toBe(layer.size);
      expect(layer.file.startsWith(temp)).toBe(true);
    }
    expect(readdirSync(temp)).toHaveLength(6);
  });

  it('leaves nothing behind when the import fails', async () => {
    const dir = copyLayout();
    rmSync(join(dir, 'blobs', 'sha256', '953783215045c312f96cde9da9618e5d423491734c9acc99f0858d2c85d529f5'));
    const temp = tempDir();
    await expectInvalid(read(dir, { keepLayers: true, tempDir: temp }), /is missing/);
    expect(readdirSync(temp)).toEqual([]);
  });
});

describe('progress and cancel', () => {
  it('reports progress with totals for the layers', async () => {
    const updates: ImportProgress[] = [];
    await read(umociLayout, { progress: (u: ImportProgress) => updates.push(u) });
    const last = updates.at(-1)!;
    expect(last).toMatchObject({ phase: 'verifying layers', items: 6, totalItems: 6 });
    expect(last.bytes).toBe(last.totalBytes);
    expect(updates.some((u) => u.phase === 'reading manifests')).toBe(true);
  });

  it('an already-aborted signal gives cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(read(umociLayout, { signal: controller.signal })).rejects.toMatchObject({
      code: 'cancelled',
    });
  });

  it('a cancel in the middle gives cancelled and removes the layer copies made so far', async () => {
    const controller = new AbortController();
    const temp = tempDir();
    const progress = (u: ImportProgress) => {
      if (u.phase === 'verifying layers' && u.items === 2) controller.abort();
    };
    await expect(
      read(umociLayout, { signal: controller.signal, progress, keepLayers: true, tempDir: temp }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(readdirSync(temp)).toEqual([]);
  });
});

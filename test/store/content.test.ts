import { describe, expect, it } from 'vitest';
import type { Service } from '../../src/main/service';
import { digestOf } from '../../src/main/store/content';
import { limits } from '../../src/shared/schemas';
import type { Descriptor, Platform, TreeNode } from '../../src/shared/types';
import { descriptorOf, fakeDigest, json, makeImage, oci, putImageContent, tempStore } from '../helpers/store';

const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const enc = (s: string) => new TextEncoder().encode(s);
const layerOf = (seed: string, size: number): Descriptor => ({
  mediaType: oci.layer,
  digest: digestOf(enc(`layer-${seed}`)),
  size,
});

/** A manifest with its config and the given (unstored) layers. */
function manifestWith(seed: string, layers: Descriptor[], extra: Record<string, unknown> = {}) {
  const config = json({ architecture: 'amd64', os: 'linux', seed, rootfs: { type: 'layers', diff_ids: [] } });
  const manifest = json({
    schemaVersion: 2,
    mediaType: oci.manifest,
    config: descriptorOf(config, oci.config),
    layers,
    ...extra,
  });
  return { config, manifest, target: descriptorOf(manifest, oci.manifest) };
}

/** An index of two platform manifests that share one layer. */
function twoPlatformIndex() {
  const shared = layerOf('shared', 5_000);
  const amd = manifestWith('amd', [shared, layerOf('amd', 700)]);
  const arm = manifestWith('arm', [shared, layerOf('arm', 900)]);
  const platforms: Platform[] = [
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm64', os: 'linux', variant: 'v8' },
  ];
  const index = json({
    schemaVersion: 2,
    mediaType: oci.index,
    manifests: [
      { ...amd.target, platform: platforms[0] },
      { ...arm.target, platform: platforms[1] },
    ],
  });
  const expectedTotal =
    index.byteLength +
    amd.manifest.byteLength +
    arm.manifest.byteLength +
    amd.config.byteLength +
    arm.config.byteLength +
    5_000 +
    700 +
    900;
  return { shared, amd, arm, platforms, index, target: descriptorOf(index, oci.index), expectedTotal };
}

async function putManifest(service: Service, m: ReturnType<typeof manifestWith>) {
  await service['content.put']({ bytes: m.config, mediaType: oci.config });
  await service['content.put']({ bytes: m.manifest, mediaType: oci.manifest });
}

const shape = (node: TreeNode): unknown => ({
  role: node.role,
  digest: node.descriptor.digest,
  present: node.present,
  ...(node.children.length > 0 ? { children: node.children.map(shape) } : {}),
});

describe('storing content verifies its digest', () => {
  it('stores the bytes under their sha256 and reports what it stored', async () => {
    const { service } = tempStore();
    const bytes = json({ hello: 'world' });
    const info = await service['content.put']({
      bytes,
      mediaType: 'application/json',
      digest: digestOf(bytes),
      labels: { source: 'test' },
    });
    expect(info).toMatchObject({
      digest: digestOf(bytes),
      size: bytes.byteLength,
      mediaType: 'application/json',
      labels: { source: 'test' },
      children: [],
    });
    expect(info.createdAt).toMatch(iso);
    const blob = await service['content.get']({ digest: digestOf(bytes) });
    expect(Buffer.from(blob.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(blob.info).toEqual(info);
    expect(await service['content.info']({ digest: info.digest })).toEqual(info);
  });

  it('without a digest, the computed sha256 is the key', async () => {
    const { service } = tempStore();
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const info = await service['content.put']({ bytes, mediaType: 'application/octet-stream' });
    expect(info.digest).toBe(digestOf(bytes));
  });

  it('a sha512 digest is verified with sha512', async () => {
    const { service } = tempStore();
    const bytes = json({ algo: 512 });
    const digest = digestOf(bytes, 'sha512');
    expect((await service['content.put']({ bytes, mediaType: 'application/json', digest })).digest).toBe(
      digest,
    );
    expect(Buffer.from((await service['content.get']({ digest })).bytes).equals(Buffer.from(bytes))).toBe(
      true,
    );
    const other = json({ algo: 'other' });
    await expect(
      service['content.put']({
        bytes: other,
        mediaType: 'application/json',
        digest: `sha512:${'0'.repeat(128)}`,
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('a digest that does not match the bytes is invalid_argument and nothing is stored', async () => {
    const { service } = tempStore();
    const image = makeImage('mismatch');
    const before = await service['store.info']({});
    await expect(
      service['content.put']({ bytes: image.manifest, mediaType: oci.manifest, digest: fakeDigest(1) }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('mismatch') as unknown,
    });
    // a digest of other bytes is refused too
    await expect(
      service['content.put']({
        bytes: image.manifest,
        mediaType: oci.manifest,
        digest: digestOf(image.config),
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(service['content.info']({ digest: image.target.digest })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(service['content.info']({ digest: fakeDigest(1) })).rejects.toMatchObject({
      code: 'not_found',
    });
    const after = await service['store.info']({});
    expect([after.content, after.contentBytes, after.changeSeq]).toEqual([
      before.content,
      before.contentBytes,
      before.changeSeq,
    ]);
  });
});

describe('manifests and indexes record what they point at', () => {
  it('a manifest records its config and layers', async () => {
    const { service } = tempStore();
    const layers = [layerOf('a', 10), layerOf('b', 20)];
    const m = manifestWith('m', layers);
    const info = await service['content.put']({ bytes: m.manifest, mediaType: oci.manifest });
    expect(info.children).toEqual([
      { role: 'config', descriptor: descriptorOf(m.config, oci.config) },
      { role: 'layer', descriptor: layers[0] },
      { role: 'layer', descriptor: layers[1] },
    ]);
  });

  it('an index records its manifests with their platforms', async () => {
    const { service } = tempStore();
    const ix = twoPlatformIndex();
    const info = await service['content.put']({ bytes: ix.index, mediaType: oci.index });
    expect(info.children).toEqual([
      { role: 'manifest', descriptor: { ...ix.amd.target, platform: ix.platforms[0] } },
      { role: 'manifest', descriptor: { ...ix.arm.target, platform: ix.platforms[1] } },
    ]);
  });

  it('a manifest without its own mediaType field is read by its shape', async () => {
    const { service } = tempStore();
    const config = json({ os: 'linux' });
    const layer = layerOf('umoci', 3);
    const manifest = json({ schemaVersion: 2, config: descriptorOf(config, oci.config), layers: [layer] });
    const info = await service['content.put']({ bytes: manifest, mediaType: oci.manifest });
    expect(info.children.map((c) => c.role)).toEqual(['config', 'layer']);
  });

  it('a config, and blobs that are not JSON, have no children', async () => {
    const { service } = tempStore();
    const m = makeImage('cfg');
    expect((await service['content.put']({ bytes: m.config, mediaType: oci.config })).children).toEqual([]);
    expect(
      (
        await service['content.put']({
          bytes: new Uint8Array([123, 0, 255]),
          mediaType: 'application/octet-stream',
        })
      ).children,
    ).toEqual([]);
  });

  it('a referrer (subject) appears under its subject in the content tree with role referrer', async () => {
    const { service } = tempStore();
    const image = makeImage('signed');
    await putImageContent(service, image);
    await service['images.create']({ namespace: 'default', name: 'app:1', target: image.target });
    const sigConfig = json({});
    const signature = json({
      schemaVersion: 2,
      mediaType: oci.manifest,
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: descriptorOf(sigConfig, 'application/vnd.oci.empty.v1+json'),
      layers: [layerOf('sig', 300)],
      subject: image.target,
    });
    await service['content.put']({ bytes: sigConfig, mediaType: 'application/vnd.oci.empty.v1+json' });
    const info = await service['content.put']({ bytes: signature, mediaType: oci.manifest });
    expect(info.children.find((c) => c.role === 'subject')).toEqual({
      role: 'subject',
      descriptor: image.target,
    });
    const tree = await service['content.tree']({ namespace: 'default', name: 'app:1' });
    expect(tree.role).toBe('target');
    const referrers = tree.children.filter((c) => c.role === 'referrer');
    expect(referrers).toHaveLength(1);
    expect(referrers[0]).toMatchObject({
      descriptor: { digest: digestOf(signature), size: signature.byteLength, mediaType: oci.manifest },
      present: true,
    });
    expect(referrers[0]!.children.map((c) => c.role)).toEqual(['config', 'layer']);
    // the referrer is not part of the image's size, and the tree of the referrer does not walk back up
    expect((await service['images.get']({ namespace: 'default', name: 'app:1' })).totalSize).toBe(
      image.target.size + image.config.byteLength + image.layer.size,
    );
    const sigTree = await service['content.tree']({ digest: digestOf(signature) });
    expect(sigTree.children.map((c) => c.role)).toEqual(['config', 'layer']);
  });

  it('invalid JSON, or a bad descriptor inside, is invalid_argument and nothing is stored', async () => {
    const { service } = tempStore();
    const bad = [
      enc('{"schemaVersion": 2, "config": '),
      enc('not json at all'),
      json({
        schemaVersion: 2,
        config: { mediaType: oci.config, digest: 'sha256:nope', size: 1 },
        layers: [],
      }),
      json({
        schemaVersion: 2,
        config: descriptorOf(json({}), oci.config),
        layers: [{ mediaType: oci.layer, digest: fakeDigest(1), size: -1 }],
      }),
      json({ schemaVersion: 2, manifests: 'not an array' }),
    ];
    for (const bytes of bad) {
      await expect(service['content.put']({ bytes, mediaType: oci.manifest })).rejects.toMatchObject({
        code: 'invalid_argument',
      });
      await expect(service['content.info']({ digest: digestOf(bytes) })).rejects.toMatchObject({
        code: 'not_found',
      });
    }
    expect((await service['store.info']({})).content).toBe(0);
  });
});

describe('content size limit', () => {
  it(`blobs above ${limits.valueBytes} bytes are invalid_argument; at the limit they are stored`, async () => {
    const { service } = tempStore();
    const over = new Uint8Array(limits.valueBytes + 1);
    await expect(
      service['content.put']({ bytes: over, mediaType: 'application/octet-stream' }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(service['content.info']({ digest: digestOf(over) })).rejects.toMatchObject({
      code: 'not_found',
    });
    const at = new Uint8Array(limits.valueBytes).fill(7);
    const info = await service['content.put']({ bytes: at, mediaType: 'application/octet-stream' });
    expect(info.size).toBe(limits.valueBytes);
    const back = await service['content.get']({ digest: info.digest });
    expect(back.bytes.byteLength).toBe(limits.valueBytes);
    expect(digestOf(back.bytes)).toBe(info.digest);
  });
});

describe('putting the same bytes twice', () => {
  it('is a no-op: same info, same counts, the store checks clean', async () => {
    const { service } = tempStore();
    const image = makeImage('twice');
    await putImageContent(service, image);
    await service['images.create']({ namespace: 'default', name: 'app:1', target: image.target });
    const info = await service['content.info']({ digest: image.target.digest });
    const before = await service['store.info']({});
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await service['content.put']({ bytes: image.manifest, mediaType: oci.manifest });
    await putImageContent(service, image);
    expect(again).toEqual(info);
    expect(await service['content.info']({ digest: image.target.digest })).toEqual(info);
    const after = await service['store.info']({});
    expect([after.content, after.contentBytes, after.images]).toEqual([
      before.content,
      before.contentBytes,
      before.images,
    ]);
    expect((await service['images.get']({ namespace: 'default', name: 'app:1' })).totalSize).toBe(
      image.target.size + image.config.byteLength + image.layer.size,
    );
    const check = await service['store.check']({ deep: true });
    expect(check.errors).toEqual([]);
    expect(check.ok).toBe(true);
  });
});

describe('the content tree of an image', () => {
  it('marks blobs that are not stored present:false', async () => {
    const { service } = tempStore();
    const image = makeImage('missing');
    await service['images.create']({ namespace: 'default', name: 'app:1', target: image.target });
    expect(shape(await service['content.tree']({ namespace: 'default', name: 'app:1' }))).toEqual({
      role: 'target',
      digest: image.target.digest,
      present: false,
    });
    await service['content.put']({ bytes: image.manifest, mediaType: oci.manifest });
    expect(shape(await service['content.tree']({ namespace: 'default', name: 'app:1' }))).toEqual({
      role: 'target',
      digest: image.target.digest,
      present: true,
      children: [
        { role: 'config', digest: digestOf(image.config), present: false },
        { role: 'layer', digest: image.layer.digest, present: false },
      ],
    });
  });

  it('an index with two platform manifests: index -> manifests (platforms) -> config and layers', async () => {
    const { service } = tempStore();
    const ix = twoPlatformIndex();
    await service['content.put']({ bytes: ix.index, mediaType: oci.index });
    await putManifest(service, ix.amd);
    await service['content.put']({ bytes: ix.arm.manifest, mediaType: oci.manifest }); // arm's config is not stored
    await service['images.create']({ namespace: 'default', name: 'multi:1', target: ix.target });
    const tree = await service['content.tree']({ namespace: 'default', name: 'multi:1' });
    expect(shape(tree)).toEqual({
      role: 'target',
      digest: ix.target.digest,
      present: true,
      children: [
        {
          role: 'manifest',
          digest: ix.amd.target.digest,
          present: true,
          children: [
            { role: 'config', digest: digestOf(ix.amd.config), present: true },
            { role: 'layer', digest: ix.shared.digest, present: false },
            { role: 'layer', digest: layerOf('amd', 700).digest, present: false },
          ],
        },
        {
          role: 'manifest',
          digest: ix.arm.target.digest,
          present: true,
          children: [
            { role: 'config', digest: digestOf(ix.arm.config), present: false },
            { role: 'layer', digest: ix.shared.digest, present: false },
            { role: 'layer', digest: layerOf('arm', 900).digest, present: false },
          ],
        },
      ],
    });
    expect(tree.children.map((c) => c.descriptor.platform)).toEqual(ix.platforms);
    expect(shape(await service['content.tree']({ digest: ix.amd.target.digest }))).toMatchObject({
      role: 'target',
      digest: ix.amd.target.digest,
    });
  });
});

describe('the total size of an image', () => {
  it('is target + config + layers, each digest once', async () => {
    const { service } = tempStore();
    const a = layerOf('a', 1_000);
    const m = manifestWith('dup', [a, layerOf('b', 2_000), a]);
    await putManifest(service, m);
    const r = await service['images.create']({ namespace: 'default', name: 'app:1', target: m.target });
    expect(r.totalSize).toBe(m.manifest.byteLength + m.config.byteLength + 1_000 + 2_000);
  });

  it('is updated when the manifest arrives after the image was created, and the size order follows', async () => {
    const { service } = tempStore();
    const m = manifestWith('late', [layerOf('late', 1_000_000)]);
    await service['images.create']({ namespace: 'default', name: 'late:1', target: m.target });
    await service['images.create']({
      namespace: 'default',
      name: 'mid:1',
      target: { mediaType: oci.manifest, digest: fakeDigest(1), size: 500_000 },
    });
    expect((await service['images.get']({ namespace: 'default', name: 'late:1' })).totalSize).toBe(
      m.manifest.byteLength,
    );
    expect((await service['images.list']({ sort: 'size' })).items.map((i) => i.name)).toEqual([
      'late:1',
      'mid:1',
    ]);
    await service['content.put']({ bytes: m.manifest, mediaType: oci.manifest });
    const want = m.manifest.byteLength + m.config.byteLength + 1_000_000;
    expect((await service['images.get']({ namespace: 'default', name: 'late:1' })).totalSize).toBe(want);
    expect((await service['images.list']({ sort: 'size' })).items.map((i) => i.name)).toEqual([
      'mid:1',
      'late:1',
    ]);
    expect(
      (await service['images.list']({ sort: 'size', filter: { name: ':1' } })).items.map((i) => i.name),
    ).toEqual(['mid:1', 'late:1']);
    expect((await service['store.check']({})).errors).toEqual([]);
  });

  it('of an index counts a layer shared by two platforms once, also when the manifests arrive later', async () => {
    const { service } = tempStore();
    const ix = twoPlatformIndex();
    await service['content.put']({ bytes: ix.index, mediaType: oci.index });
    await service['images.create']({ namespace: 'default', name: 'multi:1', target: ix.target });
    expect((await service['images.get']({ namespace: 'default', name: 'multi:1' })).totalSize).toBe(
      ix.index.byteLength + ix.amd.manifest.byteLength + ix.arm.manifest.byteLength,
    );
    await putManifest(service, ix.amd);
    await putManifest(service, ix.arm);
    expect((await service['images.get']({ namespace: 'default', name: 'multi:1' })).totalSize).toBe(
      ix.expectedTotal,
    );
    await service['images.create']({ namespace: 'default', name: 'multi:2', target: ix.target });
    expect((await service['images.get']({ namespace: 'default', name: 'multi:2' })).totalSize).toBe(
      ix.expectedTotal,
    );
  });

  it('of an image restored from the trash includes content that arrived while it was deleted', async () => {
    const { service } = tempStore();
    const m = manifestWith('trash', [layerOf('trash', 4_000)]);
    await service['images.create']({ namespace: 'default', name: 'app:1', target: m.target });
    await service['images.delete']({ images: [{ namespace: 'default', name: 'app:1' }] });
    await putManifest(service, m);
    const [restored] = await service['images.restore']({ images: [{ namespace: 'default', name: 'app:1' }] });
    const want = m.manifest.byteLength + m.config.byteLength + 4_000;
    expect(restored!.totalSize).toBe(want);
    expect((await service['images.get']({ namespace: 'default', name: 'app:1' })).totalSize).toBe(want);
    // the same target under another name agrees
    expect(
      (await service['images.tag']({ namespace: 'default', source: 'app:1', name: 'app:2' })).totalSize,
    ).toBe(want);
  });
});

describe('unknown content', () => {
  it('content.get, content.info and content.tree of an unknown digest are not_found', async () => {
    const { service } = tempStore();
    await putImageContent(service, makeImage('known'));
    for (const digest of [fakeDigest(42), `sha512:${'1'.repeat(128)}`]) {
      await expect(service['content.get']({ digest })).rejects.toMatchObject({ code: 'not_found' });
      await expect(service['content.info']({ digest })).rejects.toMatchObject({ code: 'not_found' });
      await expect(service['content.tree']({ digest })).rejects.toMatchObject({ code: 'not_found' });
    }
    await expect(service['content.tree']({ namespace: 'default', name: 'nope:1' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
